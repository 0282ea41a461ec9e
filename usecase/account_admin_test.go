package usecase_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name, current, next string
		want                error
	}{
		{"changed", "password1", "password2", nil},
		{"wrong current", "password9", "password2", domain.ErrIncorrectPassword},
		{"empty current", "", "password2", domain.ErrIncorrectPassword},
		{"new too short", "password1", "short", domain.ErrPasswordTooShort},
		{"new too long", "password1", string(make([]byte, 73)), domain.ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			admin := e.admin(t)
			tok := e.approvedUser(t, admin, "ann@example.com", "password1")
			err := e.svc.ChangePassword(t.Context(), e.as(t, tok), tt.current, tt.next)
			wantErr(t, "ChangePassword", err, tt.want)
			_, oldTokenErr := e.svc.Authenticate(t.Context(), tok.AccessToken)
			_, oldPwErr := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password1"})
			if tt.want != nil {
				wantErr(t, "token after a refused change", oldTokenErr, nil)
				wantErr(t, "old password after a refused change", oldPwErr, nil)
				return
			}
			// Same clock second as the token's iat: only the version tells.
			wantErr(t, "token issued before the change", oldTokenErr, domain.ErrInvalidToken)
			wantErr(t, "old password", oldPwErr, domain.ErrInvalidCredentials)
			fresh := e.login(t, "ann@example.com", "password2")
			if fresh.Claims.TokenVersion != tok.Claims.TokenVersion+1 {
				t.Fatalf("token version %d after change, was %d", fresh.Claims.TokenVersion, tok.Claims.TokenVersion)
			}
			_, err = e.svc.Authenticate(t.Context(), fresh.AccessToken)
			wantErr(t, "token issued after the change", err, nil)
		})
	}
}

func TestChangePasswordWithStaleToken(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	tok := e.approvedUser(t, admin, "ann@example.com", "password1")
	p := e.as(t, tok)
	wantErr(t, "first change", e.svc.ChangePassword(t.Context(), p, "password1", "password2"), nil)
	err := e.svc.ChangePassword(t.Context(), p, "password2", "password3")
	wantErr(t, "change with the token from before", err, domain.ErrInvalidToken)
}

func TestDefaultAdminMustChangePassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ann@example.com", "password1")
	tok := e.login(t, "admin@admin.com", "changeme")
	_, err := e.svc.ListPending(t.Context(), e.as(t, tok), 10, 0)
	wantErr(t, "ListPending with the default password", err, domain.ErrPasswordChangeRequired)
	_, err = e.svc.Approve(t.Context(), e.as(t, tok), "ann@example.com")
	wantErr(t, "Approve with the default password", err, domain.ErrPasswordChangeRequired)
	_, err = e.svc.Me(t.Context(), e.as(t, tok))
	wantErr(t, "Me with the default password", err, nil)
	if !e.logsContain("default password") {
		t.Fatalf("no startup warning about the default password in logs:\n%s", e.logs)
	}

	wantErr(t, "change", e.svc.ChangePassword(t.Context(), e.as(t, tok), "changeme", "changeme"), nil)
	tok = e.login(t, "admin@admin.com", "changeme")
	_, err = e.svc.ListPending(t.Context(), e.as(t, tok), 10, 0)
	wantErr(t, "ListPending after 'changing' back to the default", err, domain.ErrPasswordChangeRequired)

	wantErr(t, "change", e.svc.ChangePassword(t.Context(), e.as(t, tok), "changeme", "a-real-secret"), nil)
	tok = e.login(t, "admin@admin.com", "a-real-secret")
	_, err = e.svc.ListPending(t.Context(), e.as(t, tok), 10, 0)
	wantErr(t, "ListPending after a real change", err, nil)
}

func TestAdminOperationsRefuseNonAdmins(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	carlTok := e.approvedUser(t, admin, "carl@example.com", "password1")
	carl := e.as(t, carlTok)
	wantErr(t, "carl changes password", e.svc.ChangePassword(t.Context(), carl, "password1", "password2"), nil)
	e.register(t, "bob@example.com", "password1")

	for _, actor := range []struct {
		name  string
		claim usecase.Principal
		want  error
	}{
		{"approved user", ann, domain.ErrForbidden},
		{"zero principal", usecase.Principal{}, domain.ErrInvalidToken},
		{"principal from before a password change", carl, domain.ErrInvalidToken},
	} {
		t.Run(actor.name, func(t *testing.T) {
			_, err := e.svc.Approve(t.Context(), actor.claim, "bob@example.com")
			wantErr(t, "Approve", err, actor.want)
			_, err = e.svc.Reject(t.Context(), actor.claim, "bob@example.com")
			wantErr(t, "Reject", err, actor.want)
			_, err = e.svc.ListPending(t.Context(), actor.claim, 10, 0)
			wantErr(t, "ListPending", err, actor.want)
		})
	}
	bob, err := e.store.FindByEmail(t.Context(), "bob@example.com")
	if err != nil || bob.Status != domain.StatusPending {
		t.Fatalf("bob = %+v, %v; want still pending", bob, err)
	}
}

func TestApproveReject(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.register(t, "ann@example.com", "password1")

	u, err := e.svc.Approve(t.Context(), admin, " ANN@example.com")
	wantErr(t, "Approve", err, nil)
	if u.Status != domain.StatusApproved || u.Revision != 2 {
		t.Fatalf("approved user = %+v", u)
	}
	again, err := e.svc.Approve(t.Context(), admin, "ann@example.com")
	wantErr(t, "Approve again", err, nil)
	if again != u {
		t.Fatalf("second Approve changed the user: %+v -> %+v", u, again)
	}

	tok := e.login(t, "ann@example.com", "password1")
	ann := e.as(t, tok)
	rejected, err := e.svc.Reject(t.Context(), admin, "ann@example.com")
	wantErr(t, "Reject", err, nil)
	if rejected.Status != domain.StatusRejected {
		t.Fatalf("rejected user = %+v", rejected)
	}
	_, err = e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "token of a rejected user", err, domain.ErrInvalidToken)
	_, err = e.svc.Me(t.Context(), ann)
	wantErr(t, "Me of a rejected user", err, domain.ErrInvalidToken)

	_, err = e.svc.Approve(t.Context(), admin, "ann@example.com")
	wantErr(t, "re-approve", err, nil)
	_, err = e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "token from before the rejection, after re-approval", err, domain.ErrInvalidToken)
	e.login(t, "ann@example.com", "password1")

	for _, tt := range []struct {
		name, email string
		want        error
	}{
		{"unknown user", "nobody@example.com", domain.ErrUserNotFound},
		{"invalid email", "nobody", domain.ErrInvalidEmail},
	} {
		_, err = e.svc.Approve(t.Context(), admin, tt.email)
		wantErr(t, "Approve "+tt.name, err, tt.want)
		_, err = e.svc.Reject(t.Context(), admin, tt.email)
		wantErr(t, "Reject "+tt.name, err, tt.want)
	}
	_, err = e.svc.Reject(t.Context(), admin, "admin@admin.com")
	wantErr(t, "reject an admin", err, domain.ErrCannotRejectAdmin)
	if !e.logsContain(`event=approved email=ann@example.com by=admin@admin.com`) {
		t.Fatalf("no audit event for the approval:\n%s", e.logs)
	}
}

func TestListPending(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	got, err := e.svc.ListPending(t.Context(), admin, 10, 0)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty ListPending = %#v, %v; want a non-nil empty slice", got, err)
	}
	for i := range 5 {
		e.clock.Advance(1)
		e.register(t, fmt.Sprintf("u%d@example.com", i), "password1")
	}
	_, _ = e.svc.Approve(t.Context(), admin, "u1@example.com")
	got, err = e.svc.ListPending(t.Context(), admin, 2, 1)
	wantErr(t, "ListPending", err, nil)
	if len(got) != 2 || got[0].Email != "u2@example.com" || got[1].Email != "u3@example.com" {
		t.Fatalf("page (limit 2, offset 1) = %v", emails(got))
	}
	for _, p := range []struct{ limit, offset int }{{0, 0}, {-1, 0}, {1001, 0}, {10, -1}} {
		_, err := e.svc.ListPending(t.Context(), admin, p.limit, p.offset)
		wantErr(t, fmt.Sprintf("ListPending(%d, %d)", p.limit, p.offset), err, domain.ErrInvalidPage)
	}
	_, err = e.svc.ListPending(t.Context(), admin, usecase.MaxPageLimit, 0)
	wantErr(t, "ListPending at the maximum limit", err, nil)
}

func emails(us []domain.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Email
	}
	return out
}

func TestEnsureAdmin(t *testing.T) {
	e := newEnv(t)
	created, err := e.svc.EnsureAdmin(t.Context())
	if err != nil || !created {
		t.Fatalf("first EnsureAdmin = %v, %v", created, err)
	}
	a, _ := e.store.FindByEmail(t.Context(), "admin@admin.com")
	if !a.IsAdmin || a.Status != domain.StatusApproved || !a.MustChangePassword {
		t.Fatalf("seeded admin = %+v", a)
	}
	tok := e.login(t, "admin@admin.com", "changeme")
	wantErr(t, "change", e.svc.ChangePassword(t.Context(), e.as(t, tok), "changeme", "new-admin-pw"), nil)

	// A restart: a new Service over the same store.
	restarted := newEnvOn(t, e.store)
	created, err = restarted.svc.EnsureAdmin(t.Context())
	if err != nil || created {
		t.Fatalf("EnsureAdmin after restart = %v, %v; want false, nil", created, err)
	}
	restarted.login(t, "admin@admin.com", "new-admin-pw")
	_, err = restarted.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Local: true}), usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"})
	wantErr(t, "default password after restart", err, domain.ErrInvalidCredentials)
}

func TestEnsureAdminConfigured(t *testing.T) {
	e := newEnv(t, func(c *usecase.Config) {
		c.AdminEmail = " Boss@Example.com"
		c.AdminPassword = "boss-password"
	})
	if created, err := e.svc.EnsureAdmin(t.Context()); err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	tok := e.login(t, "boss@example.com", "boss-password")
	if !tok.Claims.IsAdmin {
		t.Fatal("configured admin is not admin")
	}
	_, err := e.svc.ListPending(t.Context(), e.as(t, tok), 10, 0)
	wantErr(t, "configured non-default password needs no change", err, nil)
	_, err = e.store.FindByEmail(t.Context(), "admin@admin.com")
	wantErr(t, "built-in admin", err, domain.ErrUserNotFound)
}

func TestEnsureAdminLeavesExistingNonAdmin(t *testing.T) {
	e := newEnv(t)
	e.register(t, "admin@admin.com", "squatter-pw")
	created, err := e.svc.EnsureAdmin(t.Context())
	if err != nil || created {
		t.Fatalf("EnsureAdmin = %v, %v; want false, nil", created, err)
	}
	u, _ := e.store.FindByEmail(t.Context(), "admin@admin.com")
	if u.IsAdmin || u.Status != domain.StatusPending {
		t.Fatalf("existing account was changed: %+v", u)
	}
	if !e.logsContain("not an approved admin") {
		t.Fatalf("no warning logged:\n%s", e.logs)
	}
}

func TestEnsureAdminTwoInstancesAtOnce(t *testing.T) {
	store := memstore.New()
	const instances = 8
	var wg sync.WaitGroup
	results := make(chan bool, instances)
	for range instances {
		svc := newEnvOn(t, store).svc
		wg.Go(func() {
			created, err := svc.EnsureAdmin(t.Context())
			if err != nil {
				t.Error(err)
			}
			results <- created
		})
	}
	wg.Wait()
	close(results)
	n := 0
	for c := range results {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d instances report seeding the admin, want 1", n)
	}
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	tok := e.approvedUser(t, admin, "ann@example.com", "password1")
	p, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "valid token", err, nil)
	claims := p.Claims()
	if claims.Subject != "ann@example.com" || claims.TokenVersion != tok.Claims.TokenVersion {
		t.Fatalf("claims = %+v", claims)
	}
	for _, tt := range []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "not.a.token"},
		{"tampered", tok.AccessToken[:len(tok.AccessToken)-2] + "AA"},
	} {
		_, err := e.svc.Authenticate(t.Context(), tt.token)
		wantErr(t, tt.name, err, domain.ErrInvalidToken)
	}

	other := newEnvOn(t, &faultyRepo{UserRepository: e.store, hideEmail: "ann@example.com"})
	_, err = other.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "user deleted", err, domain.ErrInvalidToken)

	u, _ := e.store.FindByEmail(t.Context(), "ann@example.com")
	u.IsAdmin = true
	wantErr(t, "promote", e.store.Update(t.Context(), u), nil)
	// A change made outside this Service (another instance) shows once the
	// user cache's entry expires.
	_, err = e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "admin flag changed elsewhere, within the cache TTL", err, nil)
	e.clock.Advance(usecase.DefaultUserCacheTTL)
	_, err = e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "admin flag changed since issue", err, domain.ErrInvalidToken)
}

func TestUpdatesRetryOnConflict(t *testing.T) {
	repo := &faultyRepo{UserRepository: memstore.New()}
	e := newEnvOn(t, repo)
	admin := e.admin(t)
	e.register(t, "ann@example.com", "password1")

	repo.conflicts.Store(3)
	u, err := e.svc.Approve(t.Context(), admin, "ann@example.com")
	wantErr(t, "Approve after 3 conflicts", err, nil)
	if u.Status != domain.StatusApproved {
		t.Fatalf("user = %+v", u)
	}

	repo.conflicts.Store(1 << 30)
	_, err = e.svc.Reject(t.Context(), admin, "ann@example.com")
	wantErr(t, "Reject under endless conflicts", err, domain.ErrConflict)
	repo.conflicts.Store(0)

	boom := errors.New("disk on fire")
	repo.failUpdate = boom
	_, err = e.svc.Reject(t.Context(), admin, "ann@example.com")
	wantErr(t, "Reject when the store fails", err, boom)
}

// An admin rejecting a user while the user changes password: both take
// effect or the change fails cleanly; the user is never silently reinstated.
func TestRejectRacesPasswordChange(t *testing.T) {
	for round := range 20 {
		e := newEnv(t)
		admin := e.admin(t)
		tok := e.approvedUser(t, admin, "ann@example.com", "password1")
		ann := e.as(t, tok)
		var wg sync.WaitGroup
		var changeErr, rejectErr error
		wg.Go(func() { changeErr = e.svc.ChangePassword(t.Context(), ann, "password1", "password2") })
		wg.Go(func() { _, rejectErr = e.svc.Reject(t.Context(), admin, "ann@example.com") })
		wg.Wait()
		wantErr(t, "Reject", rejectErr, nil)
		u, _ := e.store.FindByEmail(t.Context(), "ann@example.com")
		if u.Status != domain.StatusRejected {
			t.Fatalf("round %d: status %s after reject, want rejected", round, u.Status)
		}
		switch {
		case changeErr == nil:
			if u.TokenVersion != 2 {
				t.Fatalf("round %d: token version %d, want 2 (both changes applied)", round, u.TokenVersion)
			}
		case errors.Is(changeErr, domain.ErrInvalidToken):
			if u.TokenVersion != 1 {
				t.Fatalf("round %d: token version %d, want 1 (only the rejection)", round, u.TokenVersion)
			}
		default:
			t.Fatalf("round %d: ChangePassword: %v", round, changeErr)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	base := newEnv(t)
	tests := []struct {
		name string
		edit func(*usecase.Config)
	}{
		{"no store", func(c *usecase.Config) { c.Users = nil }},
		{"negative TTL", func(c *usecase.Config) { c.TokenTTL = -1 }},
		{"sub-second TTL", func(c *usecase.Config) { c.TokenTTL = 1 }},
		{"bad policy", func(c *usecase.Config) { c.PasswordPolicy.MinLength = 100 }},
		{"bad admin email", func(c *usecase.Config) { c.AdminEmail = "admin" }},
		{"admin password too long", func(c *usecase.Config) { c.AdminPassword = string(make([]byte, 80)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := usecase.Config{Users: memstore.New(), Hasher: base.hasher, Tokens: fakeCodec{}}
			tt.edit(&cfg)
			if _, err := usecase.New(cfg); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}

// TestPrincipalCheckAdmin checks the rule RequireAdmin applies to the
// application's routes: the default-password admin and non-admins are
// refused, like the admin operations refuse them.
func TestPrincipalCheckAdmin(t *testing.T) {
	e := newEnv(t)
	defaultAdmin := e.as(t, e.login(t, "admin@admin.com", "changeme"))
	if !defaultAdmin.MustChangePassword() {
		t.Error("the default admin's principal does not say it must change the password")
	}
	wantErr(t, "CheckAdmin of the default admin", defaultAdmin.CheckAdmin(), domain.ErrPasswordChangeRequired)

	admin := e.admin(t)
	wantErr(t, "CheckAdmin of the admin", admin.CheckAdmin(), nil)
	user := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	wantErr(t, "CheckAdmin of a user", user.CheckAdmin(), domain.ErrForbidden)
	wantErr(t, "CheckAdmin of the zero principal", usecase.Principal{}.CheckAdmin(), domain.ErrForbidden)
}
