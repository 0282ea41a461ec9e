package usecase_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// blockingHasher wraps a hasher; once armed, every Compare blocks until
// release is called, so that a test can keep hashing slots busy.
type blockingHasher struct {
	ports.PasswordHasher
	armed    atomic.Bool
	entered  chan struct{} // one value per Compare that started blocking
	released chan struct{}
	once     sync.Once

	active, peak atomic.Int64 // Compares running now, and at most
}

func newBlockingHasher() *blockingHasher {
	return &blockingHasher{entered: make(chan struct{}, 64), released: make(chan struct{})}
}

func (h *blockingHasher) Compare(ctx context.Context, hash, pw string) error {
	n := h.active.Add(1)
	defer h.active.Add(-1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	if h.armed.Load() {
		select {
		case h.entered <- struct{}{}:
		default:
		}
		select {
		case <-h.released:
		case <-time.After(10 * time.Second):
			// A test that never releases would hang: fail the call instead.
			return errHeldTooLong
		}
	}
	return h.PasswordHasher.Compare(ctx, hash, pw)
}

var errHeldTooLong = errors.New("blockingHasher: held for 10s without release")

// release lets every blocked and future Compare go on.
func (h *blockingHasher) release() { h.once.Do(func() { close(h.released) }) }

// gateEnv is an env whose hasher can hold hashing slots.
type gateEnv struct {
	*env
	bh *blockingHasher
}

// newGateEnv builds a Service with slots hashing slots, the given wait and
// queue (0: default), over the env's counting hasher made blockable.
func newGateEnv(t *testing.T, slots int, wait time.Duration, queue int) *gateEnv {
	t.Helper()
	bh := newBlockingHasher()
	e := newEnv(t, func(c *usecase.Config) {
		bh.PasswordHasher = c.Hasher
		c.Hasher = bh
		c.HashConcurrency = slots
		c.HashWait = wait
		c.HashQueue = queue
	})
	t.Cleanup(bh.release)
	return &gateEnv{env: e, bh: bh}
}

// result is what a background call returned.
type result struct {
	err error
	at  time.Time
}

// goLogin starts a login in the background; its result arrives on the
// returned channel.
func (g *gateEnv) goLogin(ctx context.Context, email, pw string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		_, err := g.svc.Login(ctx, usecase.LoginRequest{Email: email, Password: pw})
		ch <- result{err, time.Now()}
	}()
	return ch
}

// hold arms the hasher and starts n logins that each take a slot and block
// in Compare; it returns once all n are blocked there.
func (g *gateEnv) hold(t *testing.T, n int) []<-chan result {
	t.Helper()
	g.bh.armed.Store(true)
	var held []<-chan result
	for range n {
		held = append(held, g.goLogin(t.Context(), "holder@example.com", "password1"))
		select {
		case <-g.bh.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("a login never reached Compare")
		}
	}
	return held
}

// waitQueued waits until n calls wait for a slot.
func (g *gateEnv) waitQueued(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for usecase.HashQueued(g.svc) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls wait for a hashing slot, want %d", usecase.HashQueued(g.svc), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// receive returns the next result from ch, failing after 10 seconds.
func receive(t *testing.T, what string, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never returned", what)
		return result{}
	}
}

// pending fails if ch already holds a result.
func pending(t *testing.T, what string, ch <-chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s returned (%v) while it should still wait", what, r.err)
	default:
	}
}

// A call that finds every slot busy waits HashWait, then is refused with a
// RetryError wrapping ErrOverloaded, without hashing, whether the email
// exists or not.
func TestHashGateRefusesAfterWait(t *testing.T) {
	const wait = 50 * time.Millisecond
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			g := newGateEnv(t, 1, wait, 0)
			admin := g.admin(t)
			g.approvedUser(t, admin, "ann@example.com", "password1")
			held := g.hold(t, 1)
			g.hasher.takeCompares()

			start := time.Now()
			_, err := g.svc.Login(t.Context(), usecase.LoginRequest{Email: email, Password: "password1"})
			waited := time.Since(start)
			if re := asRetry(t, "login with every slot busy", err, domain.ErrOverloaded); re.After != time.Second {
				t.Fatalf("RetryError.After = %v, want 1s (HashWait %v, rounded up to a second)", re.After, wait)
			}
			if waited < wait {
				t.Fatalf("refused after %v, before HashWait %v", waited, wait)
			}
			if c := g.hasher.takeCompares(); len(c) != 0 {
				t.Fatalf("%d comparisons by a refused login", len(c))
			}
			pending(t, "the login holding the slot", held[0])
			g.bh.release()
			wantErr(t, "the login holding the slot", receive(t, "held login", held[0]).err, domain.ErrInvalidCredentials)
			// With the slot free again, logins work.
			g.login(t, "ann@example.com", "password1")
		})
	}
}

// When HashQueue calls already wait, another is refused at once, with
// RetryError.After = HashWait. Authenticate never hashes, so it still works.
func TestHashGateQueueFull(t *testing.T) {
	const wait = time.Minute // a call that waited would time out the test's context
	g := newGateEnv(t, 1, wait, 1)
	admin := g.admin(t)
	adminTok, err := g.svc.Login(t.Context(), usecase.LoginRequest{Email: "admin@admin.com", Password: "admin-secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	held := g.hold(t, 1)
	queued := g.goLogin(t.Context(), "admin@admin.com", "admin-secret-1")
	g.waitQueued(t, 1)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = g.svc.Login(ctx, usecase.LoginRequest{Email: "nobody@example.com", Password: "password1"})
	if re := asRetry(t, "login with the queue full", err, domain.ErrOverloaded); re.After != wait {
		t.Fatalf("RetryError.After = %v, want HashWait %v", re.After, wait)
	}
	_, err = g.svc.Register(ctx, "bob@example.com", "password1")
	asRetry(t, "Register with the queue full", err, domain.ErrOverloaded)
	if _, err := g.store.FindByEmail(t.Context(), "bob@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("refused registration stored the user (%v)", err)
	}
	pending(t, "the queued login", queued)
	if n := usecase.HashQueued(g.svc); n != 1 {
		t.Fatalf("%d calls queued after the refusals, want 1", n)
	}

	// Authenticate does not hash: neither the busy slot nor the full queue
	// holds it.
	if _, err := g.svc.Authenticate(ctx, adminTok.AccessToken); err != nil {
		t.Fatalf("Authenticate while hashing is saturated: %v", err)
	}
	if _, err := g.svc.ListPending(ctx, admin, 10, 0); err != nil {
		t.Fatalf("ListPending while hashing is saturated: %v", err)
	}

	g.bh.release()
	wantErr(t, "the held login", receive(t, "held login", held[0]).err, domain.ErrInvalidCredentials)
	wantErr(t, "the queued login", receive(t, "queued login", queued).err, nil)
}

// A call waiting for a slot gives up when its context ends, with the
// context's error, the same whether the email exists or not.
func TestHashGateContextCancelledWhileWaiting(t *testing.T) {
	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			g := newGateEnv(t, 1, time.Minute, 0)
			admin := g.admin(t)
			g.approvedUser(t, admin, "ann@example.com", "password1")
			g.hold(t, 1)

			ctx, cancel := context.WithCancel(t.Context())
			waiting := g.goLogin(ctx, email, "password1")
			g.waitQueued(t, 1)
			cancel()
			err := receive(t, "cancelled login", waiting).err
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("login cancelled while waiting for a slot: %v, want context.Canceled", err)
			}
			if errors.Is(err, domain.ErrOverloaded) || errors.Is(err, domain.ErrInvalidCredentials) {
				t.Fatalf("login cancelled while waiting for a slot: %v, want only the context's error", err)
			}
			g.waitQueued(t, 0)
		})
	}
}

// Registration hashes, so it is capped like login.
func TestHashGateCapsRegister(t *testing.T) {
	g := newGateEnv(t, 1, 50*time.Millisecond, 0)
	held := g.hold(t, 1)
	_, err := g.svc.Register(t.Context(), "bob@example.com", "password1")
	asRetry(t, "Register with every slot busy", err, domain.ErrOverloaded)
	if _, err := g.store.FindByEmail(t.Context(), "bob@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("refused registration stored the user (%v)", err)
	}
	g.bh.release()
	receive(t, "held login", held[0])
	g.register(t, "bob@example.com", "password1")
}

// No more than HashConcurrency comparisons run at once; the others wait in
// the queue and all complete once slots free up.
func TestHashGateConcurrency(t *testing.T) {
	const slots, waiting = 2, 3
	g := newGateEnv(t, slots, time.Minute, 0)
	held := g.hold(t, slots)
	for range waiting {
		held = append(held, g.goLogin(t.Context(), "holder@example.com", "password1"))
	}
	g.waitQueued(t, waiting)
	if n := g.bh.active.Load(); n != slots {
		t.Fatalf("%d comparisons running, want %d", n, slots)
	}
	g.bh.release()
	for _, ch := range held {
		wantErr(t, "login", receive(t, "login", ch).err, domain.ErrInvalidCredentials)
	}
	if p := g.bh.peak.Load(); p != slots {
		t.Fatalf("up to %d comparisons ran at once, want %d", p, slots)
	}
}

func TestHashSettingsMustNotBeNegative(t *testing.T) {
	base := newEnv(t)
	for _, tt := range []struct {
		name string
		edit func(*usecase.Config)
	}{
		{"HashConcurrency", func(c *usecase.Config) { c.HashConcurrency = -1 }},
		{"HashWait", func(c *usecase.Config) { c.HashWait = -time.Second }},
		{"HashQueue", func(c *usecase.Config) { c.HashQueue = -1 }},
		{"UserCacheSize", func(c *usecase.Config) { c.UserCacheSize = -1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := usecase.Config{Users: memstore.New(), Hasher: base.hasher, Tokens: fakeCodec{}}
			if _, err := usecase.New(cfg); err != nil {
				t.Fatalf("valid config refused: %v", err)
			}
			tt.edit(&cfg)
			if _, err := usecase.New(cfg); err == nil {
				t.Fatalf("negative %s accepted", tt.name)
			}
		})
	}
}

// The default hashing cap keeps one P free of hashing (bcrypt does not
// yield, so a P that hashes serves nothing else for a fifth of a second),
// is at least one, and is never more than the CPUs; the Service uses it
// when HashConcurrency is zero. The test sets GOMAXPROCS, so it does not
// run in parallel with others.
func TestDefaultHashConcurrency(t *testing.T) {
	cpus := runtime.NumCPU()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tt := range []struct{ procs, want int }{
		{1, 1},
		{2, 1},
		{cpus + 1, cpus},
		{cpus + 4, cpus},
		{max(2, cpus) - 1, max(1, max(2, cpus)-2)},
	} {
		runtime.GOMAXPROCS(tt.procs)
		if got := usecase.DefaultHashConcurrency(); got != tt.want {
			t.Errorf("GOMAXPROCS=%d, NumCPU=%d: DefaultHashConcurrency() = %d, want %d", tt.procs, cpus, got, tt.want)
		}
		e := newEnv(t)
		if got := usecase.HashSlots(e.svc); got != tt.want {
			t.Errorf("GOMAXPROCS=%d: a Service with HashConcurrency 0 hashes %d at once, want %d", tt.procs, got, tt.want)
		}
	}
	e := newEnv(t, func(c *usecase.Config) { c.HashConcurrency = 7 })
	if got := usecase.HashSlots(e.svc); got != 7 {
		t.Errorf("HashConcurrency 7: %d slots", got)
	}
}
