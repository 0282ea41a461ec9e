package usecase

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// hashGate bounds how many password hashes and comparisons run at once, so
// that a flood of logins or registrations cannot take every CPU from the
// rest of the application. A call waits for a slot at most wait; when
// queue calls are already waiting, or the wait passes, it is refused with
// domain.ErrOverloaded.
type hashGate struct {
	slots  chan struct{}
	wait   time.Duration
	queue  int64
	queued atomic.Int64
}

func newHashGate(slots int, wait time.Duration, queue int) *hashGate {
	return &hashGate{slots: make(chan struct{}, slots), wait: wait, queue: int64(queue)}
}

// overloaded is the refusal of a call that found no slot.
func (g *hashGate) overloaded() error {
	return &domain.RetryError{Err: domain.ErrOverloaded, After: max(time.Second, g.wait)}
}

// run calls f in a slot.
func (g *hashGate) run(ctx context.Context, f func() error) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.queued.Add(1) > g.queue {
			g.queued.Add(-1)
			return g.overloaded()
		}
		err := g.await(ctx)
		g.queued.Add(-1)
		if err != nil {
			return err
		}
	}
	defer func() { <-g.slots }()
	return f()
}

// await waits for a slot, for at most g.wait.
func (g *hashGate) await(ctx context.Context) error {
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return g.overloaded()
	case <-ctx.Done():
		return fmt.Errorf("usecase: waiting to hash a password: %w", ctx.Err())
	}
}
