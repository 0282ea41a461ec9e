package usecase_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// countingRepo counts FindByEmail calls.
type countingRepo struct {
	ports.UserRepository
	finds atomic.Int64
}

func (r *countingRepo) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	r.finds.Add(1)
	return r.UserRepository.FindByEmail(ctx, email)
}

// stallingRepo, once armed for an email, makes the next FindByEmail of it
// read the user, signal reading, and return what it read only once proceed
// is closed: a read overtaken by a write.
type stallingRepo struct {
	ports.UserRepository
	email   string
	armed   atomic.Bool
	reading chan struct{}
	proceed chan struct{}
}

func (r *stallingRepo) arm(email string) {
	r.email = email
	r.reading = make(chan struct{})
	r.proceed = make(chan struct{})
	r.armed.Store(true)
}

func (r *stallingRepo) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if domain.EmailKey(email) == r.email && r.armed.CompareAndSwap(true, false) {
		u, err := r.UserRepository.FindByEmail(ctx, email)
		close(r.reading)
		<-r.proceed
		return u, err
	}
	return r.UserRepository.FindByEmail(ctx, email)
}

// editStored changes a user in the store directly, as another instance or
// an operator would, bypassing the Service.
func editStored(t *testing.T, store ports.UserRepository, email string, edit func(*domain.User)) {
	t.Helper()
	u, err := store.FindByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	edit(&u)
	if err := store.Update(t.Context(), u); err != nil {
		t.Fatal(err)
	}
}

// mintToken creates an approved user directly in the store and returns a
// token for it, valid at e's clock, without hashing or logging in.
func mintToken(t *testing.T, e *env, email string) string {
	t.Helper()
	now := e.clock.Now().UTC()
	if err := e.store.Create(t.Context(), domain.User{
		Email: email, PasswordHash: "-", Status: domain.StatusApproved,
		CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	codec, err := jwtcodec.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	issued := now.Truncate(time.Second)
	tok, err := codec.Encode(t.Context(), domain.Claims{Subject: email, IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// authenticate returns Authenticate's error for tok.
func (e *env) authenticate(t *testing.T, tok usecase.Token) error {
	t.Helper()
	_, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
	return err
}

// A change made outside this Service (another instance, the database)
// shows in Authenticate once UserCacheTTL has passed, and not before; the
// use cases that load the user see it at once.
func TestUserCacheHidesOutsideChangesUntilTTL(t *testing.T) {
	const ttl = 10 * time.Second
	tests := []struct {
		name string
		edit func(*domain.User)
	}{
		{"rejected", func(u *domain.User) { u.Status = domain.StatusRejected; u.TokenVersion++ }},
		{"password changed", func(u *domain.User) { u.PasswordHash = "-"; u.TokenVersion++ }},
		{"made admin", func(u *domain.User) { u.IsAdmin = true }},
		{"back to pending", func(u *domain.User) { u.Status = domain.StatusPending }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *usecase.Config) { c.UserCacheTTL = ttl })
			admin := e.admin(t)
			tok := e.approvedUser(t, admin, "ann@example.com", "password1")
			p := e.as(t, tok)

			editStored(t, e.store, "ann@example.com", tt.edit)
			wantErr(t, "Authenticate right after the outside change", e.authenticate(t, tok), nil)
			e.clock.Advance(ttl - time.Nanosecond)
			wantErr(t, "Authenticate 1ns before UserCacheTTL", e.authenticate(t, tok), nil)
			_, err := e.svc.Me(t.Context(), p)
			wantErr(t, "Me right after the outside change", err, domain.ErrInvalidToken)
			e.clock.Advance(time.Nanosecond)
			wantErr(t, "Authenticate once UserCacheTTL passed", e.authenticate(t, tok), domain.ErrInvalidToken)
		})
	}
}

// A change this Service makes takes effect at once, whatever the TTL.
func TestUserCacheSeesServiceWritesAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, e *env, admin, ann usecase.Principal)
	}{
		{"Reject", func(t *testing.T, e *env, admin, _ usecase.Principal) {
			if _, err := e.svc.Reject(t.Context(), admin, " Ann@Example.COM"); err != nil {
				t.Fatal(err)
			}
		}},
		{"Reject then Approve", func(t *testing.T, e *env, admin, _ usecase.Principal) {
			if _, err := e.svc.Reject(t.Context(), admin, "ann@example.com"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Approve(t.Context(), admin, "ann@example.com"); err != nil {
				t.Fatal(err)
			}
		}},
		{"ChangePassword", func(t *testing.T, e *env, _, ann usecase.Principal) {
			if err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2"); err != nil {
				t.Fatal(err)
			}
			if err := e.authenticate(t, e.login(t, "ann@example.com", "password2")); err != nil {
				t.Fatalf("token issued after the change: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *usecase.Config) { c.UserCacheTTL = time.Hour })
			admin := e.admin(t)
			tok := e.approvedUser(t, admin, "ann@example.com", "password1")
			ann := e.as(t, tok)
			if n := usecase.UserCacheLen(e.svc); n < 1 {
				t.Fatalf("%d users cached after Authenticate", n)
			}
			tt.write(t, e, admin, ann)
			wantErr(t, "Authenticate of the old token", e.authenticate(t, tok), domain.ErrInvalidToken)
		})
	}
}

// The cache spares store reads for UserCacheTTL; a negative TTL reads the
// store on every Authenticate.
func TestUserCacheTTL(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		wantReads int64 // for 5 Authenticates at one instant
		expiry    time.Duration
	}{
		{"default", 0, 1, usecase.DefaultUserCacheTTL},
		{"one minute", time.Minute, 1, time.Minute},
		{"negative: no cache", -1, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := &countingRepo{UserRepository: memstore.New()}
			e := newEnvOn(t, repo, func(c *usecase.Config) { c.UserCacheTTL = tt.ttl })
			tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")}
			repo.finds.Store(0)
			for range 5 {
				wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
			}
			if n := repo.finds.Load(); n != tt.wantReads {
				t.Fatalf("%d store reads for 5 Authenticates, want %d", n, tt.wantReads)
			}
			if tt.expiry == 0 {
				if n := usecase.UserCacheLen(e.svc); n != -1 {
					t.Fatalf("a cache of %d users exists with a negative UserCacheTTL", n)
				}
				editStored(t, repo, "ann@example.com", func(u *domain.User) { u.Status = domain.StatusRejected })
				wantErr(t, "Authenticate after an outside rejection, no cache", e.authenticate(t, tok), domain.ErrInvalidToken)
				return
			}
			e.clock.Advance(tt.expiry)
			repo.finds.Store(0)
			wantErr(t, "Authenticate after the TTL", e.authenticate(t, tok), nil)
			if n := repo.finds.Load(); n != 1 {
				t.Fatalf("%d store reads for an Authenticate after the TTL, want 1", n)
			}
		})
	}
}

// UserCacheSize bounds the users cached; the cache keeps working when full.
func TestUserCacheSize(t *testing.T) {
	for _, size := range []int{1, 3, 7, 8, 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			repo := &countingRepo{UserRepository: memstore.New()}
			e := newEnvOn(t, repo, func(c *usecase.Config) { c.UserCacheSize = size })
			peak := 0
			var tok usecase.Token
			for i := range 3 * size {
				tok = usecase.Token{AccessToken: mintToken(t, e, fmt.Sprintf("user%d@example.com", i))}
				wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
				peak = max(peak, usecase.UserCacheLen(e.svc))
			}
			if peak > size || peak == 0 {
				t.Fatalf("UserCacheSize %d: up to %d users cached", size, peak)
			}
			repo.finds.Store(0)
			wantErr(t, "Authenticate of the last user again", e.authenticate(t, tok), nil)
			if n := repo.finds.Load(); n != 0 {
				t.Fatalf("the user just cached was read again (%d reads)", n)
			}
		})
	}
}

// With StatelessTokens a non-admin token is accepted on its signature and
// claims alone, but an admin token is still checked, and the use cases that
// load the user still refuse a revoked one.
func TestStatelessTokens(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		t.Run(fmt.Sprintf("StatelessTokens=%v", stateless), func(t *testing.T) {
			repo := &countingRepo{UserRepository: memstore.New()}
			e := newEnvOn(t, repo, func(c *usecase.Config) { c.StatelessTokens = stateless })
			admin := e.admin(t)
			adminTok := e.login(t, "admin@admin.com", "admin-secret-1")
			annTok := e.approvedUser(t, admin, "ann@example.com", "password1")
			ann := e.as(t, annTok)
			if _, err := e.svc.Reject(t.Context(), admin, "ann@example.com"); err != nil {
				t.Fatal(err)
			}

			repo.finds.Store(0)
			err := e.authenticate(t, annTok)
			if stateless {
				wantErr(t, "Authenticate of a rejected user's token", err, nil)
				if n := repo.finds.Load(); n != 0 {
					t.Fatalf("stateless Authenticate of a non-admin token read the store %d times", n)
				}
			} else {
				wantErr(t, "Authenticate of a rejected user's token", err, domain.ErrInvalidToken)
			}
			_, err = e.svc.Me(t.Context(), ann)
			wantErr(t, "Me of the rejected user", err, domain.ErrInvalidToken)
			err = e.svc.ChangePassword(t.Context(), ann, "password1", "password2")
			wantErr(t, "ChangePassword of the rejected user", err, domain.ErrInvalidToken)
			_, err = e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password1"})
			wantErr(t, "Login of the rejected user", err, domain.ErrAccountRejected)

			// The admin's token is checked against the user's state (cached
			// for UserCacheTTL).
			wantErr(t, "Authenticate of the admin token", e.authenticate(t, adminTok), nil)
			editStored(t, repo, "admin@admin.com", func(u *domain.User) { u.TokenVersion++ })
			wantErr(t, "Authenticate of the admin token within the TTL", e.authenticate(t, adminTok), nil)
			e.clock.Advance(usecase.DefaultUserCacheTTL)
			wantErr(t, "Authenticate of the revoked admin token", e.authenticate(t, adminTok), domain.ErrInvalidToken)
		})
	}
}

// A read that started before a write and returns after it must not cache
// the old state: the next Authenticate sees the write at once, not after
// UserCacheTTL.
func TestUserCacheReadOvertakenByWrite(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, e *env, admin, ann usecase.Principal)
	}{
		{"Reject", func(t *testing.T, e *env, admin, _ usecase.Principal) {
			if _, err := e.svc.Reject(t.Context(), admin, "ann@example.com"); err != nil {
				t.Error(err)
			}
		}},
		{"ChangePassword", func(t *testing.T, e *env, _, ann usecase.Principal) {
			if err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2"); err != nil {
				t.Error(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := &stallingRepo{UserRepository: memstore.New()}
			e := newEnvOn(t, repo, func(c *usecase.Config) { c.UserCacheTTL = time.Minute })
			admin := e.admin(t)
			tok := e.approvedUser(t, admin, "ann@example.com", "password1")
			ann := e.as(t, tok)
			e.clock.Advance(time.Minute) // ann's entry expires: the next Authenticate reads the store

			repo.arm("ann@example.com")
			var wg sync.WaitGroup
			var staleErr error
			wg.Go(func() { _, staleErr = e.svc.Authenticate(context.Background(), tok.AccessToken) })
			select {
			case <-repo.reading:
			case <-time.After(10 * time.Second):
				t.Fatal("Authenticate never read the store")
			}
			tt.write(t, e, admin, ann)
			close(repo.proceed)
			wg.Wait()
			// The overtaken read saw the old state: accepting is right for it.
			wantErr(t, "the Authenticate that read before the write", staleErr, nil)

			wantErr(t, "Authenticate after the write", e.authenticate(t, tok), domain.ErrInvalidToken)
		})
	}
}
