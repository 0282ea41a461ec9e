package usecase_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// These tests put one writer deterministically between another's read and
// write, the interleaving that loses updates when a use case writes back a
// stale copy. The store refuses the stale write (ErrConflict); the use case
// must re-read and decide again.

// A rejection lands while the user's password change is between read and
// write: the change must fail and the user must stay rejected.
func TestRejectBetweenPasswordChangeReadAndWrite(t *testing.T) {
	repo := &interleavingRepo{UserRepository: memstore.New()}
	e := newEnvOn(t, repo)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	before, _ := repo.FindByEmail(t.Context(), "ann@example.com")

	repo.arm(func() {
		if _, err := e.svc.Reject(t.Context(), admin, "ann@example.com"); err != nil {
			t.Errorf("intruding Reject: %v", err)
		}
	})
	err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2")
	wantErr(t, "ChangePassword overtaken by a rejection", err, domain.ErrInvalidToken)

	u, _ := repo.FindByEmail(t.Context(), "ann@example.com")
	if u.Status != domain.StatusRejected {
		t.Fatalf("status %s: the rejected user was silently reinstated", u.Status)
	}
	if u.PasswordHash != before.PasswordHash || u.TokenVersion != before.TokenVersion+1 {
		t.Fatalf("user = %+v; want the old hash and exactly the rejection's version bump", u)
	}
}

// A password change lands while a rejection is between read and write: both
// must take effect.
func TestPasswordChangeBetweenRejectReadAndWrite(t *testing.T) {
	repo := &interleavingRepo{UserRepository: memstore.New()}
	e := newEnvOn(t, repo)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	before, _ := repo.FindByEmail(t.Context(), "ann@example.com")

	repo.arm(func() {
		if err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2"); err != nil {
			t.Errorf("intruding ChangePassword: %v", err)
		}
	})
	u, err := e.svc.Reject(t.Context(), admin, "ann@example.com")
	wantErr(t, "Reject overtaken by a password change", err, nil)

	stored, _ := repo.FindByEmail(t.Context(), "ann@example.com")
	if stored != u {
		t.Fatalf("Reject returned %+v, store holds %+v", u, stored)
	}
	if u.Status != domain.StatusRejected || u.PasswordHash == before.PasswordHash || u.TokenVersion != before.TokenVersion+2 {
		t.Fatalf("user = %+v; want rejected, the new hash, and both version bumps", u)
	}
}

// An approval lands while another admin's rejection of the same user is
// between read and write: the rejection is re-decided on the fresh state and
// wins last, with nothing lost.
func TestApproveBetweenRejectReadAndWrite(t *testing.T) {
	repo := &interleavingRepo{UserRepository: memstore.New()}
	e := newEnvOn(t, repo)
	admin := e.admin(t)
	e.register(t, "ann@example.com", "password1")

	repo.arm(func() {
		if _, err := e.svc.Approve(t.Context(), admin, "ann@example.com"); err != nil {
			t.Errorf("intruding Approve: %v", err)
		}
	})
	u, err := e.svc.Reject(t.Context(), admin, "ann@example.com")
	wantErr(t, "Reject", err, nil)
	if u.Status != domain.StatusRejected || u.Revision != 3 {
		t.Fatalf("user = %+v; want rejected at revision 3 (create, approve, reject)", u)
	}
}

func TestUpdateRetryStopsWhenContextEnds(t *testing.T) {
	repo := &faultyRepo{UserRepository: memstore.New()}
	e := newEnvOn(t, repo)
	admin := e.admin(t)
	e.register(t, "ann@example.com", "password1")
	repo.conflicts.Store(1 << 30)

	ctx, cancel := context.WithCancel(t.Context())
	repo.onConflict = cancel
	_, err := e.svc.Approve(ctx, admin, "ann@example.com")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Approve with a cancelled context under endless conflicts: %v, want context.Canceled", err)
	}
}

// Accounts hashed at an older cost are rehashed at the configured cost on
// their next successful login, so every account converges on the same work
// per login attempt.
func TestLoginRehashesAtConfiguredCost(t *testing.T) {
	store := memstore.New()
	old := newEnvOn(t, store)
	old.register(t, "ann@example.com", "password1")
	admin := old.admin(t)
	if _, err := old.svc.Approve(t.Context(), admin, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	stale, _ := store.FindByEmail(t.Context(), "ann@example.com")

	upgraded := newEnvOn(t, store, withCost(t, testCost+1))
	_, err := upgraded.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "wrong-password"})
	wantErr(t, "wrong password", err, domain.ErrInvalidCredentials)
	if u, _ := store.FindByEmail(t.Context(), "ann@example.com"); u.PasswordHash != stale.PasswordHash {
		t.Fatal("a failed login rehashed the password")
	}

	tok := upgraded.login(t, "ann@example.com", "password1")
	u, _ := store.FindByEmail(t.Context(), "ann@example.com")
	if cost := bcryptCost(t, u.PasswordHash); cost != testCost+1 {
		t.Fatalf("hash cost after login = %d, want %d", cost, testCost+1)
	}
	if u.TokenVersion != stale.TokenVersion {
		t.Fatal("rehashing revoked the user's tokens")
	}
	if _, err := upgraded.svc.Authenticate(t.Context(), tok.AccessToken); err != nil {
		t.Fatalf("token issued with the rehash: %v", err)
	}
	upgraded.login(t, "ann@example.com", "password1")
}

func TestAdminChecksComeBeforeInputChecks(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	_, err := e.svc.ListPending(t.Context(), ann, 0, -1)
	wantErr(t, "non-admin ListPending with a bad page", err, domain.ErrForbidden)
	_, err = e.svc.Approve(t.Context(), ann, "not an email")
	wantErr(t, "non-admin Approve of a bad email", err, domain.ErrForbidden)
	if !e.logsContain("event=admin_refused email=ann@example.com operation=approved") {
		t.Fatalf("no audit event for the refused admin call:\n%s", e.logs)
	}
}

func TestConfiguredAdminPasswordMeetsPolicy(t *testing.T) {
	base := newEnv(t)
	for _, tt := range []struct {
		name, password string
		policy         domain.PasswordPolicy
		wantErr        bool
	}{
		{"built-in default", usecase.DefaultAdminPassword, domain.PasswordPolicy{MinLength: 12}, false},
		{"too short", "abc", domain.PasswordPolicy{}, true},
		{"shorter than a raised minimum", "twelve-chars", domain.PasswordPolicy{MinLength: 16}, true},
		{"long enough", "a-long-admin-password", domain.PasswordPolicy{MinLength: 16}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := usecase.New(usecase.Config{
				Users: memstore.New(), Hasher: base.hasher, Tokens: fakeCodec{},
				AdminPassword: tt.password, PasswordPolicy: tt.policy,
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New with admin password %q: %v, want error: %v", tt.password, err, tt.wantErr)
			}
		})
	}
}

func TestAuditEvents(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.register(t, "ann@example.com", "password1")
	_, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password1"})
	wantErr(t, "pending login", err, domain.ErrAccountPending)
	_, _ = e.svc.Approve(t.Context(), admin, "ann@example.com")
	_, _ = e.svc.Approve(t.Context(), admin, "ann@example.com")
	_, _ = e.svc.Login(t.Context(), usecase.LoginRequest{Email: "nobody@example.com", Password: "password1"})

	for _, want := range []string{
		"event=admin_seeded email=admin@admin.com",
		"event=registered email=ann@example.com",
		"event=login_refused email=ann@example.com status=pending",
		"event=approved email=ann@example.com by=admin@admin.com",
		"event=login_failed email=nobody@example.com",
		"event=password_changed email=admin@admin.com",
		"event=login_succeeded email=admin@admin.com",
	} {
		if !e.logsContain(want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if n := strings.Count(e.logs.String(), "event=approved"); n != 1 {
		t.Errorf("%d approval events for one approval and one no-op", n)
	}
	for _, secret := range []string{"password1", "admin-secret-1", "changeme", "$2a$"} {
		if e.logsContain(secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", e.logs)
	}
}
