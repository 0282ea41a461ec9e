package usecase_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// recordingHasher records the password of every Compare, in the order the
// comparisons start.
type recordingHasher struct {
	ports.PasswordHasher
	mu        sync.Mutex
	passwords []string
}

func (h *recordingHasher) Compare(ctx context.Context, hash, pw string) error {
	h.mu.Lock()
	h.passwords = append(h.passwords, pw)
	h.mu.Unlock()
	return h.PasswordHasher.Compare(ctx, hash, pw)
}

func (h *recordingHasher) order() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.passwords)
}

// newFairEnv is a gateEnv with one slot whose comparisons are recorded
// (under the blocking hasher), with perClient calls per client.
func newFairEnv(t *testing.T, perClient int) (*gateEnv, *recordingHasher) {
	t.Helper()
	bh := newBlockingHasher()
	rec := &recordingHasher{}
	e := newEnv(t, func(c *usecase.Config) {
		rec.PasswordHasher = c.Hasher
		bh.PasswordHasher = rec
		c.Hasher = bh
		c.HashConcurrency = 1
		c.HashWait = time.Minute
		c.HashQueuePerClient = perClient
		c.Limiter = usecase.NewMemoryLimiter(usecase.ThrottlePolicy{
			Pair:    usecase.Backoff{Free: 1000, Base: time.Second},
			Account: usecase.Backoff{Free: 1000, Base: time.Second},
			Client:  usecase.Backoff{Free: 1000, Base: time.Second},
		})
	})
	t.Cleanup(bh.release)
	return &gateEnv{env: e, bh: bh}, rec
}

// goLoginFrom starts a login from client in the background.
func (g *gateEnv) goLoginFrom(ctx context.Context, client, email, pw string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		_, err := g.svc.Login(usecase.WithClient(ctx, usecase.Client{Address: client}), usecase.LoginRequest{Email: email, Password: pw})
		ch <- result{err, time.Now()}
	}()
	return ch
}

// Slots go to clients in turn, a client that had nothing waiting first: a
// login from another client is served after the one running, not after
// the flood queued before it.
func TestHashGateFairBetweenClients(t *testing.T) {
	g, rec := newFairEnv(t, 8)
	held := g.hold(t, 1)
	var calls []<-chan result
	for i := range 4 {
		calls = append(calls, g.goLoginFrom(t.Context(), "203.0.113.7", fmt.Sprintf("flood%d@example.com", i), fmt.Sprintf("flood-%d", i)))
		g.waitQueued(t, int64(i+1))
	}
	calls = append(calls, g.goLoginFrom(t.Context(), "198.51.100.8", "other@example.com", "other-1"))
	g.waitQueued(t, 5)
	g.bh.release()
	for _, ch := range append(held, calls...) {
		receive(t, "login", ch)
	}
	got := rec.order()[1:] // after the holder's
	// The flood's first call was the first to queue, from a client with
	// nothing queued; the other client comes next, before the rest of the
	// flood (first come, first served would put it last).
	want := []string{"flood-0", "other-1", "flood-1", "flood-2", "flood-3"}
	if !slices.Equal(got, want) {
		t.Fatalf("comparisons in the order %v, want %v", got, want)
	}
}

// Round-robin among clients that keep a queue: two flooding clients
// alternate.
func TestHashGateRoundRobin(t *testing.T) {
	g, rec := newFairEnv(t, 8)
	held := g.hold(t, 1)
	var calls []<-chan result
	n := 0
	for _, client := range []string{"203.0.113.1", "203.0.113.2"} {
		for i := range 3 {
			calls = append(calls, g.goLoginFrom(t.Context(), client, fmt.Sprintf("u%d@example.com", n), client+"-"+fmt.Sprint(i)))
			n++
			g.waitQueued(t, int64(n))
		}
	}
	g.bh.release()
	for _, ch := range append(held, calls...) {
		receive(t, "login", ch)
	}
	want := []string{"203.0.113.1-0", "203.0.113.2-0", "203.0.113.1-1", "203.0.113.2-1", "203.0.113.1-2", "203.0.113.2-2"}
	if got := rec.order()[1:]; !slices.Equal(got, want) {
		t.Fatalf("comparisons in the order %v, want %v", got, want)
	}
}

// A client may have HashQueuePerClient calls waiting; another is refused
// at once (not after HashWait), while other clients still queue.
func TestHashGatePerClientBound(t *testing.T) {
	g, _ := newFairEnv(t, 2)
	held := g.hold(t, 1)
	var calls []<-chan result
	for i := range 2 {
		calls = append(calls, g.goLoginFrom(t.Context(), "203.0.113.7", fmt.Sprintf("flood%d@example.com", i), "password1"))
		g.waitQueued(t, int64(i+1))
	}
	start := time.Now()
	_, err := g.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Address: "203.0.113.7"}), usecase.LoginRequest{Email: "flood9@example.com", Password: "password1"})
	asRetry(t, "a third waiting call of one client", err, domain.ErrOverloaded)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("refused after %v, want at once (HashWait is a minute)", took)
	}
	// A registration of the same client shares its queue.
	_, err = g.svc.Register(usecase.WithClient(t.Context(), usecase.Client{Address: "203.0.113.7"}), "new@example.com", "password1")
	asRetry(t, "a registration of the flooding client", err, domain.ErrOverloaded)
	calls = append(calls, g.goLoginFrom(t.Context(), "198.51.100.8", "other@example.com", "password1"))
	g.waitQueued(t, 3)
	g.bh.release()
	for _, ch := range append(held, calls...) {
		wantErr(t, "queued login", receive(t, "login", ch).err, domain.ErrInvalidCredentials)
	}
}

// One account may have HashQueuePerClient calls waiting or running, from
// all clients together: a crowd of clients aiming at one account gets that
// account's share.
func TestHashGatePerAccountBound(t *testing.T) {
	g, _ := newFairEnv(t, 2)
	held := g.hold(t, 1) // holder@example.com
	queued := g.goLoginFrom(t.Context(), "203.0.113.1", "holder@example.com", "password1")
	g.waitQueued(t, 1)
	_, err := g.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Address: "203.0.113.2"}), usecase.LoginRequest{Email: "holder@example.com", Password: "password1"})
	asRetry(t, "a third call for one account", err, domain.ErrOverloaded)
	other := g.goLoginFrom(t.Context(), "203.0.113.2", "other@example.com", "password1")
	g.waitQueued(t, 2)
	g.bh.release()
	for _, ch := range []<-chan result{held[0], queued, other} {
		wantErr(t, "login", receive(t, "login", ch).err, domain.ErrInvalidCredentials)
	}
}

// When the whole gate is full, a newcomer from a client with fewer calls
// takes the place of the newest waiter of the client with the longest
// queue: a few clients that each keep their share queued cannot shut the
// gate to everybody else.
func TestHashGateFullEvictsFattest(t *testing.T) {
	g, rec := newFairEnv(t, 3)
	// One slot, a queue of 3: 4 calls in the gate at most.
	g.svc = newGateSvc(t, g, 3)
	held := g.hold(t, 1)
	var flood []<-chan result
	for i := range 2 {
		flood = append(flood, g.goLoginFrom(t.Context(), "203.0.113.7", fmt.Sprintf("flood%d@example.com", i), fmt.Sprintf("flood-%d", i)))
		g.waitQueued(t, int64(i+1))
	}
	other := g.goLoginFrom(t.Context(), "198.51.100.8", "other@example.com", "other-1")
	g.waitQueued(t, 3) // the gate is full: holder, two of the flood, other
	newcomer := g.goLoginFrom(t.Context(), "192.0.2.44", "new@example.com", "new-1")
	// The flood's newest call gives its place up at once.
	res := receive(t, "the flood's newest call", flood[1])
	asRetry(t, "the evicted call", res.err, domain.ErrOverloaded)
	g.waitQueued(t, 3)
	g.bh.release()
	for _, ch := range append(held, flood[0], other, newcomer) {
		wantErr(t, "login", receive(t, "login", ch).err, domain.ErrInvalidCredentials)
	}
	if got := rec.order(); !slices.Contains(got, "new-1") || slices.Contains(got, "flood-1") {
		t.Fatalf("comparisons %v: want the newcomer's, not the evicted call's", got)
	}
	// A client with as many calls as the fattest is refused instead.
	g2, _ := newFairEnv(t, 3)
	g2.svc = newGateSvc(t, g2, 1)
	held = g2.hold(t, 1) // the holder's flow: 1 call
	waiting := g2.goLoginFrom(t.Context(), "203.0.113.7", "x@example.com", "x-1")
	g2.waitQueued(t, 1)
	_, err := g2.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Address: "198.51.100.9"}), usecase.LoginRequest{Email: "y@example.com", Password: "y-1"})
	asRetry(t, "a newcomer when no flow has more calls than it would", err, domain.ErrOverloaded)
	g2.bh.release()
	receive(t, "held", held[0])
	receive(t, "waiting", waiting)
}

// newGateSvc rebuilds g's Service on g's store and hasher with one slot,
// a minute's wait, HashQueue queue and g's per-client share.
func newGateSvc(t *testing.T, g *gateEnv, queue int) *usecase.Service {
	t.Helper()
	svc, err := usecase.New(usecase.Config{
		Users: g.store, Hasher: g.bh, Tokens: fakeCodec{}, Now: g.clock.Now, Logger: slog.New(slog.DiscardHandler),
		HashConcurrency: 1, HashWait: time.Minute, HashQueue: queue, HashQueuePerClient: 3,
		Limiter: usecase.NewMemoryLimiter(usecase.ThrottlePolicy{
			Pair:    usecase.Backoff{Free: 1000, Base: time.Second},
			Account: usecase.Backoff{Free: 1000, Base: time.Second},
			Client:  usecase.Backoff{Free: 1000, Base: time.Second},
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// stuckRepo makes FindByEmail and Create of one email hang until their
// context ends, as a database connection that stopped answering does.
type stuckRepo struct {
	ports.UserRepository
	email   string
	entered chan struct{}
}

func (r *stuckRepo) hang(ctx context.Context, email string) error {
	if domain.EmailKey(email) != r.email {
		return nil
	}
	r.entered <- struct{}{}
	<-ctx.Done()
	return fmt.Errorf("stuckRepo: %w", ctx.Err())
}

func (r *stuckRepo) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if err := r.hang(ctx, email); err != nil {
		return domain.User{}, err
	}
	return r.UserRepository.FindByEmail(ctx, email)
}

func (r *stuckRepo) Create(ctx context.Context, u domain.User) error {
	if err := r.hang(ctx, u.Email); err != nil {
		return err
	}
	return r.UserRepository.Create(ctx, u)
}

func newStuckEnv(t *testing.T, timeout time.Duration, edit ...func(*usecase.Config)) (*env, *stuckRepo) {
	t.Helper()
	repo := &stuckRepo{UserRepository: memstore.New(), email: "stuck@example.com", entered: make(chan struct{}, 16)}
	e := newEnvOn(t, repo, append([]func(*usecase.Config){func(c *usecase.Config) {
		c.StoreTimeout = timeout
		c.HashConcurrency = 1
	}}, edit...)...)
	return e, repo
}

// Login reads the store outside the hashing slot: while one login's store
// call hangs, the only slot serves others; the hung call fails with a
// RetryError wrapping ErrStoreUnavailable once StoreTimeout passes, and
// the guess is given back to the limiter.
func TestLoginStoreCallOutsideSlot(t *testing.T) {
	const timeout = 300 * time.Millisecond
	lim := &recordingLimiter{}
	e, repo := newStuckEnv(t, timeout, func(c *usecase.Config) { c.Limiter = lim })
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")

	start := time.Now()
	hung := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Address: "1.2.3.4"}), usecase.LoginRequest{Email: "stuck@example.com", Password: "password1"})
		hung <- err
	}()
	<-repo.entered
	e.login(t, "ann@example.com", "password1") // the slot is free
	if _, err := e.svc.Register(t.Context(), "bob@example.com", "password1"); err != nil {
		t.Fatalf("Register while a store call hangs: %v", err)
	}
	err := <-hung
	if re := asRetry(t, "the stuck login", err, domain.ErrStoreUnavailable); re.After != timeout {
		t.Fatalf("RetryError.After = %v, want StoreTimeout %v", re.After, timeout)
	}
	if took := time.Since(start); took < timeout {
		t.Fatalf("the stuck login failed after %v, before StoreTimeout %v", took, timeout)
	}
	// The limiter was asked (Wait) but counted nothing: the guess was
	// never checked.
	lim.mu.Lock()
	waits, attempts := slices.Clone(lim.waits), slices.Clone(lim.attempts)
	lim.mu.Unlock()
	stuck := ports.LoginAttempt{Account: "stuck@example.com", Client: "1.2.3.4"}
	if !slices.Contains(waits, stuck) || slices.Contains(attempts, stuck) {
		t.Fatalf("limiter asked about %v, counted %v; want the stuck guess asked about, not counted", waits, attempts)
	}
}

// Every store call has the deadline: Register's Create and Authenticate's
// lookup too. A caller whose own context ends gets its context's error,
// not ErrStoreUnavailable; a negative StoreTimeout sets no deadline.
func TestStoreTimeout(t *testing.T) {
	e, repo := newStuckEnv(t, 100*time.Millisecond)
	_, err := e.svc.Register(t.Context(), "stuck@example.com", "password1")
	<-repo.entered
	asRetry(t, "Register with a hung Create", err, domain.ErrStoreUnavailable)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = e.svc.Login(ctx, usecase.LoginRequest{Email: "stuck@example.com", Password: "password1"})
	<-repo.entered
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("login whose caller's deadline passed first: %v, want the caller's context.DeadlineExceeded", err)
	}

	e, repo = newStuckEnv(t, -1)
	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = e.svc.Login(ctx, usecase.LoginRequest{Email: "stuck@example.com", Password: "password1"})
	<-repo.entered
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("StoreTimeout -1: %v after %v, want the caller's deadline after 200ms", err, time.Since(start))
	}
}

// Authenticate's user lookup has the deadline too: a stuck store is a
// RetryError wrapping ErrStoreUnavailable, not an invalid token.
func TestAuthenticateStoreTimeout(t *testing.T) {
	repo := &stuckRepo{UserRepository: memstore.New(), entered: make(chan struct{}, 16)}
	e := newEnvOn(t, repo, func(c *usecase.Config) {
		c.StoreTimeout = 100 * time.Millisecond
		c.UserCacheTTL = -1
	})
	admin := e.admin(t)
	tok := e.approvedUser(t, admin, "ann@example.com", "password1")
	repo.email = "ann@example.com"
	_, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
	<-repo.entered
	asRetry(t, "Authenticate with a hung lookup", err, domain.ErrStoreUnavailable)
	if errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("a stuck store made the token invalid: %v", err)
	}
}

// Registrations from one client are throttled after the burst (before any
// hashing), a taken email counts, other clients and the application's own
// calls are not held back.
func TestRegisterThrottled(t *testing.T) {
	e := newEnv(t, func(c *usecase.Config) {
		c.Registrations = usecase.NewMemoryRegistrationLimiter(usecase.RegistrationPolicy{
			PerClient: usecase.Rate{Burst: 3, Every: time.Minute},
		})
	})
	from := usecase.WithClient(t.Context(), usecase.Client{Address: "203.0.113.9"})
	for i := range 3 {
		if _, err := e.svc.Register(from, fmt.Sprintf("u%d@example.com", i), "password1"); err != nil {
			t.Fatal(err)
		}
	}
	hashes := e.hasher.hashes.Load()
	_, err := e.svc.Register(from, "u3@example.com", "password1")
	if re := asRetry(t, "fourth registration", err, domain.ErrTooManyRegistrations); re.After != time.Minute {
		t.Fatalf("RetryError.After = %v, want a minute", re.After)
	}
	_, err = e.svc.Register(from, "u0@example.com", "password1")
	asRetry(t, "a taken email, throttled", err, domain.ErrTooManyRegistrations)
	if n := e.hasher.hashes.Load() - hashes; n != 0 {
		t.Fatalf("%d hashes for throttled registrations", n)
	}
	if !e.logsContain("event=login_throttled") || !e.logsContain("operation=register") {
		t.Errorf("no throttling audit event for registration:\n%s", e.logs)
	}
	// Invalid input is not counted (nor throttled).
	_, err = e.svc.Register(from, "not an address", "password1")
	wantErr(t, "invalid email", err, domain.ErrInvalidEmail)
	if _, err := e.svc.Register(usecase.WithClient(t.Context(), usecase.Client{Address: "198.51.100.1"}), "other@example.com", "password1"); err != nil {
		t.Fatalf("another client: %v", err)
	}
	if _, err := e.svc.Register(t.Context(), "app@example.com", "password1"); err != nil {
		t.Fatalf("the application's own registration: %v", err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.Register(from, "u3@example.com", "password1"); err != nil {
		t.Fatalf("after the refill: %v", err)
	}
}

// A request from the network whose client is unknown (a Unix-socket peer)
// is still throttled, by the total bound; the application's own calls are
// not.
func TestRegisterUnknownClientThrottledInTotal(t *testing.T) {
	e := newEnv(t, func(c *usecase.Config) {
		c.Registrations = usecase.NewMemoryRegistrationLimiter(usecase.RegistrationPolicy{
			PerClient: usecase.Rate{Burst: 100, Every: time.Second},
			Total:     usecase.Rate{Burst: 2, Every: time.Minute},
		})
	})
	unknown := usecase.WithClient(t.Context(), usecase.Client{})
	for i := range 2 {
		if _, err := e.svc.Register(unknown, fmt.Sprintf("u%d@example.com", i), "password1"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.Register(unknown, "u2@example.com", "password1")
	asRetry(t, "a third registration from an unknown client", err, domain.ErrTooManyRegistrations)
	if _, err := e.svc.Register(t.Context(), "app@example.com", "password1"); err != nil {
		t.Fatalf("the application's own registration: %v", err)
	}
}

func TestMemoryRegistrationLimiter(t *testing.T) {
	allow := func(t *testing.T, l *usecase.MemoryRegistrationLimiter, client string, at time.Time) time.Duration {
		t.Helper()
		wait, err := l.Allow(t.Context(), client, at)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	t.Run("burst, then one per period", func(t *testing.T) {
		l := usecase.NewMemoryRegistrationLimiter(usecase.RegistrationPolicy{PerClient: usecase.Rate{Burst: 2, Every: 10 * time.Second}})
		for i := range 2 {
			if w := allow(t, l, "a", t0); w != 0 {
				t.Fatalf("registration %d of the burst waits %v", i+1, w)
			}
		}
		if w := allow(t, l, "a", t0); w != 10*time.Second {
			t.Fatalf("past the burst: wait %v, want 10s", w)
		}
		if w := allow(t, l, "a", t0.Add(4*time.Second)); w != 6*time.Second {
			t.Fatalf("4s later: wait %v, want 6s", w)
		}
		if w := allow(t, l, "a", t0.Add(10*time.Second)); w != 0 {
			t.Fatalf("one period later: wait %v, want 0", w)
		}
		if w := allow(t, l, "a", t0.Add(10*time.Second)); w == 0 {
			t.Fatal("two in one period after the burst")
		}
	})
	t.Run("the bound over time", func(t *testing.T) {
		// Over t, at most Burst + t/Every get through, however they are
		// spread.
		p := usecase.RegistrationPolicy{PerClient: usecase.Rate{Burst: 5, Every: time.Second}}
		l := usecase.NewMemoryRegistrationLimiter(p)
		admitted := 0
		for ms := 0; ms <= 20_000; ms += 37 {
			if allow(t, l, "a", t0.Add(time.Duration(ms)*time.Millisecond)) == 0 {
				admitted++
			}
		}
		if want := 5 + 20; admitted > want || admitted < want-1 {
			t.Fatalf("%d admitted in 20s, want %d (Burst + 20s/Every)", admitted, want)
		}
	})
	t.Run("total across clients", func(t *testing.T) {
		l := usecase.NewMemoryRegistrationLimiter(usecase.RegistrationPolicy{
			PerClient: usecase.Rate{Burst: 2, Every: time.Hour},
			Total:     usecase.Rate{Burst: 5, Every: time.Minute},
		})
		admitted := 0
		for i := range 10 {
			if allow(t, l, fmt.Sprintf("10.0.0.%d", i), t0) == 0 {
				admitted++
			}
		}
		if admitted != 5 {
			t.Fatalf("%d of 10 clients admitted, want the total burst 5", admitted)
		}
		if w := allow(t, l, "10.0.1.1", t0); w != time.Minute {
			t.Fatalf("a new client past the total: wait %v, want a minute", w)
		}
		// A refused registration counts in neither bucket.
		if w := allow(t, l, "10.0.1.1", t0.Add(time.Minute)); w != 0 {
			t.Fatalf("after a minute: wait %v", w)
		}
	})
	t.Run("MaxClients keeps the total", func(t *testing.T) {
		l := usecase.NewMemoryRegistrationLimiter(usecase.RegistrationPolicy{
			PerClient:  usecase.Rate{Burst: 1, Every: time.Hour},
			Total:      usecase.Rate{Burst: 100, Every: time.Hour},
			MaxClients: 8,
		})
		admitted := 0
		for i := range 200 {
			if allow(t, l, fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0) == 0 {
				admitted++
			}
		}
		if admitted != 100 {
			t.Fatalf("%d admitted with MaxClients 8, want the total 100", admitted)
		}
		if n := usecase.RegistrationClients(l); n > 8 {
			t.Fatalf("%d clients remembered, want at most 8", n)
		}
	})
}

// The default admin is seeded only when no administrator exists: a restart
// with another admin email seeds nobody.
func TestEnsureAdminOnlyWithoutAdmins(t *testing.T) {
	store := memstore.New()
	first := newEnvOn(t, store)
	if created, err := first.svc.EnsureAdmin(t.Context()); err != nil || !created {
		t.Fatalf("first start: EnsureAdmin = %v, %v", created, err)
	}
	second := newEnvOn(t, store, func(c *usecase.Config) { c.AdminEmail = "boss@corp.example" })
	created, err := second.svc.EnsureAdmin(t.Context())
	if err != nil || created {
		t.Fatalf("restart with another admin email: EnsureAdmin = %v, %v; want false", created, err)
	}
	if _, err := store.FindByEmail(t.Context(), "boss@corp.example"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("a second admin was seeded: %v", err)
	}
	if !second.logsContain("an administrator already exists") {
		t.Errorf("no log line saying why nothing was seeded:\n%s", second.logs)
	}
	_, err = second.svc.Login(t.Context(), usecase.LoginRequest{Email: "boss@corp.example", Password: "changeme"})
	wantErr(t, "login as the unseeded admin", err, domain.ErrInvalidCredentials)
}

// The built-in default admin password logs in only from the server's own
// machine, unless allowed; a changed password logs in from anywhere.
func TestDefaultAdminPasswordRemote(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.EnsureAdmin(t.Context()); err != nil {
		t.Fatal(err)
	}
	remote := usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"}
	from := usecase.WithClient(t.Context(), usecase.Client{Address: "198.51.100.7"})
	_, err := e.svc.Login(from, remote)
	wantErr(t, "remote login with the default password", err, domain.ErrDefaultPasswordRemote)
	if !e.logsContain("event=login_refused") || !e.logsContain("default admin password from a remote client") {
		t.Errorf("no audit event for the refused remote login:\n%s", e.logs)
	}
	wrong := remote
	wrong.Password = "wrong-password"
	_, err = e.svc.Login(from, wrong)
	wantErr(t, "remote login with a wrong password", err, domain.ErrInvalidCredentials)
	e.login(t, "admin@admin.com", "changeme") // local: the helper sets Client.Local
	e.admin(t)                                // changes it to admin-secret-1
	remote.Password = "admin-secret-1"
	if _, err := e.svc.Login(from, remote); err != nil {
		t.Fatalf("remote login with a changed password: %v", err)
	}

	allowed := newEnv(t, func(c *usecase.Config) { c.AllowRemoteDefaultAdmin = true })
	if _, err := allowed.svc.EnsureAdmin(t.Context()); err != nil {
		t.Fatal(err)
	}
	remote.Password = "changeme"
	if _, err := allowed.svc.Login(from, remote); err != nil {
		t.Fatalf("AllowRemoteDefaultAdmin: %v", err)
	}
	if !allowed.logsContain("accepted from any client") {
		t.Errorf("no warning that the default password is accepted from anywhere:\n%s", allowed.logs)
	}
}

// A right password rehashes at the configured cost whatever the account's
// status: pending and rejected accounts converge too.
func TestRehashPendingAndRejected(t *testing.T) {
	store := memstore.New()
	old := newEnvOn(t, store, withCost(t, 4))
	admin := old.admin(t)
	old.register(t, "pat@example.com", "password1")
	old.register(t, "rex@example.com", "password1")
	if _, err := old.svc.Reject(t.Context(), admin, "rex@example.com"); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, store, withCost(t, 5))
	_, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "pat@example.com", Password: "password1"})
	wantErr(t, "pending", err, domain.ErrAccountPending)
	_, err = e.svc.Login(t.Context(), usecase.LoginRequest{Email: "rex@example.com", Password: "password1"})
	wantErr(t, "rejected", err, domain.ErrAccountRejected)
	for _, email := range []string{"pat@example.com", "rex@example.com"} {
		u, err := store.FindByEmail(t.Context(), email)
		if err != nil {
			t.Fatal(err)
		}
		if c := bcryptCost(t, u.PasswordHash); c != 5 {
			t.Errorf("%s: hash at cost %d after a right password, want 5", email, c)
		}
	}
}

// After the bcrypt cost is raised, a wrong password for an account hashed
// at the old cost takes as long as one for an unknown email: one request
// per address does not tell which exist. Timed with real bcrypt, as a
// ratio of medians within one run.
func TestEqualWorkAcrossCostChange(t *testing.T) {
	if testing.Short() {
		t.Skip("times bcrypt at cost 9")
	}
	store := memstore.New()
	old := newEnvOn(t, store, withCost(t, 5))
	old.register(t, "old@example.com", "password1")
	generous := usecase.Backoff{Free: 1 << 20, Base: time.Second}
	e := newEnvOn(t, store, withCost(t, 9), func(c *usecase.Config) {
		c.Limiter = usecase.NewMemoryLimiter(usecase.ThrottlePolicy{Pair: generous, Account: generous, Client: generous})
	})
	timeLogin := func(email string) time.Duration {
		start := time.Now()
		_, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: email, Password: "wrong-password"})
		took := time.Since(start)
		wantErr(t, "wrong password", err, domain.ErrInvalidCredentials)
		return took
	}
	var known, unknown []time.Duration
	for range 11 {
		known = append(known, timeLogin("old@example.com"))
		unknown = append(unknown, timeLogin("nobody@example.com"))
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	ratio := float64(median(known)) / float64(median(unknown))
	t.Logf("wrong password of a cost-5 account %v, unknown email %v (cost 9): ratio %.2f", median(known), median(unknown), ratio)
	if ratio < 0.6 || ratio > 1.6 {
		t.Fatalf("a wrong password for an account hashed at the old cost takes %.2f× an unknown email's time; want about 1 (without padding it would be 1/16)", ratio)
	}
	if c := bcryptCostOf(t, store, "old@example.com"); c != 5 {
		t.Fatalf("a wrong password rehashed the account (cost %d)", c)
	}
}

// bcryptCostOf returns the cost of the stored hash of email.
func bcryptCostOf(t *testing.T, store ports.UserRepository, email string) int {
	t.Helper()
	u, err := store.FindByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return bcryptCost(t, u.PasswordHash)
}
