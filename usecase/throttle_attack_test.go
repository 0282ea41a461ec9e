package usecase_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// A flood of fresh guesses fills the limiter with counters under their free
// failures; making room drops those, never the counter that holds an
// attacker back.
func TestMemoryLimiterFloodDoesNotEvictWaitingCounters(t *testing.T) {
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{MaxEntries: 64})
	victim := ports.LoginAttempt{Account: "ann@example.com", Client: "198.51.100.1"}
	admitted, wait := admitAll(t, l, func(int) ports.LoginAttempt { return victim }, 0, t0, 100)
	if admitted != usecase.DefaultThrottlePolicy.Pair.Free || wait == 0 {
		t.Fatalf("victim pair: %d admitted, wait %v", admitted, wait)
	}
	for i := range 10_000 {
		a := ports.LoginAttempt{Account: fmt.Sprintf("u%d@example.com", i), Client: fmt.Sprintf("2001:db8:%x::/64", i)}
		if w := attempt(t, l, a, t0); w != 0 {
			t.Fatalf("fresh guess %d refused (%v)", i, w)
		}
	}
	counters, _ := l.Sizes()
	if counters > 64 {
		t.Fatalf("%d counters, over the bound of 64", counters)
	}
	if w := attempt(t, l, victim, t0); w != wait {
		t.Fatalf("after the flood the victim's pair waits %v, want still %v", w, wait)
	}
}

// The owner's right password from one client clears that client's
// failures, but not the failures from other clients: the account-wide cap
// stays shut to them.
func TestOwnerLoginDoesNotReopenAccountCap(t *testing.T) {
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{})
	free := usecase.DefaultThrottlePolicy.Account.Free
	for i := range free {
		if w := attempt(t, l, ports.LoginAttempt{Account: "ann@example.com", Client: fmt.Sprintf("198.51.100.%d", i+1)}, t0); w != 0 {
			t.Fatalf("guess %d refused (%v)", i, w)
		}
	}
	owner := ports.LoginAttempt{Account: "ann@example.com", Client: "203.0.113.5"}
	if w := attempt(t, l, owner, t0); w == 0 {
		t.Fatal("the account cap did not trip")
	}
	// The owner logs in (from their known client, after the wait). Their
	// guess was counted like any other until it proved right, so the
	// account-wide wait runs from it: the cap stays shut to clients the
	// owner has not used, instead of being cleared.
	later := t0.Add(time.Hour)
	if w := attempt(t, l, owner, later); w != 0 {
		t.Fatalf("owner refused after the wait (%v)", w)
	}
	succeeded(t, l, owner, later)
	fresh := ports.LoginAttempt{Account: "ann@example.com", Client: "198.51.100.200"}
	if w := attempt(t, l, fresh, later); w != usecase.DefaultThrottlePolicy.Account.Base {
		t.Fatalf("a fresh client right after the owner's login: wait %v, want %v (the owner's login reopened the cap)", w, usecase.DefaultThrottlePolicy.Account.Base)
	}
	if w := attempt(t, l, owner, later); w != 0 {
		t.Fatalf("the owner's known client: refused (%v)", w)
	}
}

// A throttled guess is refused at once, even while every hashing slot is
// taken and the queue would make it wait a minute.
func TestThrottledGuessDoesNotQueue(t *testing.T) {
	g := newGateEnv(t, 1, time.Minute, 0)
	admin := g.admin(t)
	g.approvedUser(t, admin, "ann@example.com", "password1")
	for range usecase.DefaultThrottlePolicy.Pair.Free {
		_, err := g.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
		wantErr(t, "wrong password", err, domain.ErrInvalidCredentials)
	}
	held := g.hold(t, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := g.svc.Login(usecase.WithClient(ctx, usecase.Client{Address: "1.2.3.4"}), usecase.LoginRequest{Email: "ann@example.com", Password: "password1"})
	wantErr(t, "throttled guess while the only slot is held", err, domain.ErrTooManyAttempts)
	g.bh.release()
	<-held[0]
}

// A guess refused for want of a hashing slot was never checked, so it is
// not counted: a user retrying during a flood is not throttled for it.
func TestOverloadedGuessIsNotCounted(t *testing.T) {
	g := newGateEnv(t, 1, time.Millisecond, 0)
	admin := g.admin(t)
	g.approvedUser(t, admin, "ann@example.com", "password1")
	held := g.hold(t, 1)
	for i := range 20 {
		_, err := g.loginFrom(t, "1.2.3.4", "ann@example.com", "password1")
		wantErr(t, fmt.Sprintf("login %d during the flood", i), err, domain.ErrOverloaded)
	}
	g.bh.release()
	<-held[0]
	g.bh.armed.Store(false)
	for i := range usecase.DefaultThrottlePolicy.Pair.Free {
		_, err := g.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
		wantErr(t, fmt.Sprintf("wrong password %d after the flood", i), err, domain.ErrInvalidCredentials)
	}
}

// login_throttled is logged at most once a second, with the number left
// out before it, so refused guesses, which cost nothing, cannot flood the
// log.
func TestThrottledAuditIsRateLimited(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")
	for range usecase.DefaultThrottlePolicy.Pair.Free {
		_, _ = e.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
	}
	for range 50 {
		_, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
		wantErr(t, "throttled", err, domain.ErrTooManyAttempts)
	}
	if n := strings.Count(e.logs.String(), "event=login_throttled"); n != 1 {
		t.Fatalf("%d login_throttled lines for 50 refusals within a second, want 1", n)
	}
	e.clock.Advance(time.Second) // the pair's wait, and the log's second
	_, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
	wantErr(t, "the guess after the wait", err, domain.ErrInvalidCredentials)
	_, err = e.loginFrom(t, "1.2.3.4", "ann@example.com", "wrong-password")
	wantErr(t, "throttled again", err, domain.ErrTooManyAttempts)
	if n := strings.Count(e.logs.String(), "event=login_throttled"); n != 2 || !e.logsContain("suppressed_before=49") {
		t.Fatalf("%d login_throttled lines, want 2, the second counting the 49 left out:\n%s", n, e.logs)
	}
}

// ChangePassword throttles by the client the context carries, like a login:
// a guesser from a stolen token's new address is held by its own pair
// counter, and the owner at a known address is not held by it.
func TestChangePasswordThrottledByClient(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	tok := e.approvedUser(t, admin, "ann@example.com", "password1")
	if _, err := e.loginFrom(t, "203.0.113.5", "ann@example.com", "password1"); err != nil {
		t.Fatal(err)
	}
	thief := usecase.WithClient(t.Context(), usecase.Client{Address: "198.51.100.7"})
	p := e.as(t, tok)
	for i := range usecase.DefaultThrottlePolicy.Pair.Free {
		err := e.svc.ChangePassword(thief, p, fmt.Sprintf("guess-%d", i), "password2")
		wantErr(t, "wrong current password", err, domain.ErrIncorrectPassword)
	}
	err := e.svc.ChangePassword(thief, p, "password1", "password2")
	wantErr(t, "thief's sixth guess", err, domain.ErrTooManyAttempts)
	if _, err := e.loginFrom(t, "203.0.113.5", "ann@example.com", "password1"); err != nil {
		t.Fatalf("the owner at a known address: %v", err)
	}
	if !e.logsContain("operation=change_password") || !e.logsContain("client=198.51.100.7") {
		t.Fatalf("the throttled change is not audited with its client:\n%s", e.logs)
	}
}
