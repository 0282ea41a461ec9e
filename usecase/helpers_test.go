package usecase_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// testKey is an HS256 key for tests (random, as jwtcodec requires).
var testKey = []byte("ApXnwSIpKXcOhxWWMaKInDZqWxyRu40NENCgBwwf")

// newClock returns a clock stopped at a fixed instant.
func newClock() *authtest.Clock {
	return authtest.NewClock(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
}

// countingHasher wraps a real bcrypt hasher and records the cost of every
// hash it is asked to compare against.
type countingHasher struct {
	ports.PasswordHasher
	mu           sync.Mutex
	compareCosts []int
	hashes       atomic.Int64
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.hashes.Add(1)
	return h.PasswordHasher.Hash(ctx, pw)
}

func (h *countingHasher) Compare(ctx context.Context, hash, pw string) error {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		cost = -1
	}
	h.mu.Lock()
	h.compareCosts = append(h.compareCosts, cost)
	h.mu.Unlock()
	return h.PasswordHasher.Compare(ctx, hash, pw)
}

// takeCompares returns the costs recorded since the last call.
func (h *countingHasher) takeCompares() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.compareCosts
	h.compareCosts = nil
	return c
}

// env is a Service over memstore with a fixed clock and captured logs.
type env struct {
	svc    *usecase.Service
	store  ports.UserRepository
	clock  *authtest.Clock
	hasher *countingHasher
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// withCost makes the Service hash at cost.
func withCost(t testing.TB, cost int) func(*usecase.Config) {
	t.Helper()
	h, err := bcrypthash.New(cost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *usecase.Config) { c.Hasher = &countingHasher{PasswordHasher: h} }
}

// bcryptCost returns the cost a bcrypt hash was made with.
func bcryptCost(t *testing.T, hash string) int {
	t.Helper()
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

// testCost is the bcrypt cost tests hash at.
const testCost = bcrypt.MinCost

// newEnv builds a Service; edit changes the Config before New.
func newEnv(t testing.TB, edit ...func(*usecase.Config)) *env {
	t.Helper()
	return newEnvOn(t, memstore.New(), edit...)
}

func newEnvOn(t testing.TB, store ports.UserRepository, edit ...func(*usecase.Config)) *env {
	t.Helper()
	bh, err := bcrypthash.New(testCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	codec, err := jwtcodec.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: store, clock: newClock(), hasher: &countingHasher{PasswordHasher: bh}, logs: &syncBuffer{}}
	cfg := usecase.Config{
		Users:  store,
		Hasher: e.hasher,
		Tokens: codec,
		Now:    e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	for _, f := range edit {
		f(&cfg)
	}
	if e.svc, err = usecase.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.hasher.takeCompares()
	e.hasher.hashes.Store(0) // New hashed the stand-in password
	return e
}

// register registers email and fails the test on error.
func (e *env) register(t testing.TB, email, pw string) domain.User {
	t.Helper()
	u, err := e.svc.Register(t.Context(), email, pw)
	if err != nil {
		t.Fatalf("Register(%s): %v", email, err)
	}
	return u
}

// seedAdmin seeds the admin with a non-default password and returns its
// principal.
func (e *env) admin(t testing.TB) usecase.Principal {
	t.Helper()
	tok := e.login(t, "admin@admin.com", "changeme")
	if err := e.svc.ChangePassword(t.Context(), e.as(t, tok), "changeme", "admin-secret-1"); err != nil {
		t.Fatalf("change default admin password: %v", err)
	}
	return e.as(t, e.login(t, "admin@admin.com", "admin-secret-1"))
}

// as authenticates tok and returns its principal.
func (e *env) as(t testing.TB, tok usecase.Token) usecase.Principal {
	t.Helper()
	p, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}

// login logs in (seeding the admin first when it is the admin's email) and
// fails the test on error.
func (e *env) login(t testing.TB, email, pw string) usecase.Token {
	t.Helper()
	if strings.EqualFold(email, "admin@admin.com") {
		if _, err := e.svc.EnsureAdmin(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// The tests are the application itself: on the server's machine.
	tok, err := e.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Local: true}), usecase.LoginRequest{Email: email, Password: pw})
	if err != nil {
		t.Fatalf("Login(%s): %v", email, err)
	}
	return tok
}

// approvedUser registers email, approves it and logs in.
func (e *env) approvedUser(t testing.TB, admin usecase.Principal, email, pw string) usecase.Token {
	t.Helper()
	e.register(t, email, pw)
	if _, err := e.svc.Approve(t.Context(), admin, email); err != nil {
		t.Fatalf("Approve(%s): %v", email, err)
	}
	return e.login(t, email, pw)
}

// wantErr fails unless errors.Is(err, want) (or both are nil).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// faultyRepo wraps a repository and fails Update with ErrConflict while
// conflicts > 0, or with failUpdate when set.
type faultyRepo struct {
	ports.UserRepository
	conflicts  atomic.Int64
	onConflict func() // called on each injected conflict, if set
	failUpdate error
	hideEmail  string
}

func (r *faultyRepo) Update(ctx context.Context, u domain.User) error {
	if r.conflicts.Add(-1) >= 0 {
		if r.onConflict != nil {
			r.onConflict()
		}
		return domain.ErrConflict
	}
	if r.failUpdate != nil {
		return r.failUpdate
	}
	return r.UserRepository.Update(ctx, u)
}

func (r *faultyRepo) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if r.hideEmail != "" && domain.EmailKey(email) == r.hideEmail {
		return domain.User{}, domain.ErrUserNotFound
	}
	return r.UserRepository.FindByEmail(ctx, email)
}

// logsContain reports whether the captured logs contain s.
func (e *env) logsContain(s string) bool { return strings.Contains(e.logs.String(), s) }

// fakeCodec is a TokenCodec that is never meant to be called.
type fakeCodec struct{}

func (fakeCodec) Encode(context.Context, domain.Claims) (string, error) {
	return "", errors.New("fakeCodec")
}
func (fakeCodec) Decode(context.Context, string, time.Time) (domain.Claims, error) {
	return domain.Claims{}, domain.ErrInvalidToken
}

// interleavingRepo runs intrude, once, just before the first Update that
// follows arm: a concurrent writer slipping in between a use case's read
// and its write. intrude may itself use the repository.
type interleavingRepo struct {
	ports.UserRepository
	armed   atomic.Bool
	intrude func()
}

func (r *interleavingRepo) arm(intrude func()) {
	r.intrude = intrude
	r.armed.Store(true)
}

func (r *interleavingRepo) Update(ctx context.Context, u domain.User) error {
	if r.armed.CompareAndSwap(true, false) {
		r.intrude()
	}
	return r.UserRepository.Update(ctx, u)
}
