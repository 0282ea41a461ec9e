package usecase

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// errUnchanged tells updateUser that the change is already in place and
// nothing needs writing.
var errUnchanged = errors.New("usecase: unchanged")

// updateUser runs a read-modify-write cycle on one user, retrying from a
// fresh read, after a short random pause, when the store reports
// domain.ErrConflict. change edits the user in place, returns errUnchanged
// to write nothing, or another error to abort. updateUser returns the user
// as stored afterwards and whether it wrote.
func (s *Service) updateUser(ctx context.Context, email string, change func(*domain.User) error) (domain.User, bool, error) {
	for attempt := 1; ; attempt++ {
		u, err := s.users.FindByEmail(ctx, email)
		if err != nil {
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		}
		switch err := change(&u); {
		case errors.Is(err, errUnchanged):
			return u, false, nil
		case err != nil:
			return domain.User{}, false, err
		}
		u.UpdatedAt = s.timestamp()
		err = s.users.Update(ctx, u)
		s.forget(email)
		switch {
		case err == nil:
			u.Revision++
			return u, true, nil
		case !errors.Is(err, domain.ErrConflict):
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		case attempt == maxWriteAttempts:
			return domain.User{}, false, fmt.Errorf("usecase: update %s: gave up after %d attempts: %w", email, attempt, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		}
	}
}

// pause waits a random time that grows with attempt (up to attempt
// milliseconds), so that writers contending for one user spread out, or
// until ctx is done.
func pause(ctx context.Context, attempt int) error {
	t := time.NewTimer(rand.N(time.Duration(attempt) * time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
