package authtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

func TestTokenIsAcceptedUntilItExpires(t *testing.T) {
	kit := authtest.New()
	kit.User("Ann@Example.com")
	token := kit.Token("ann@example.com", map[string]any{"company_id": "acme", "role": "buyer"})

	p, err := kit.Service.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got, _ := p.Claims().StringClaim("company_id"); p.Email() != "ann@example.com" || got != "acme" || p.IsAdmin() {
		t.Fatalf("principal = %s company_id %q admin %v; want ann@example.com, acme, false", p.Email(), got, p.IsAdmin())
	}
	kit.Clock.Advance(usecase.DefaultTokenTTL + time.Minute)
	if _, err := kit.Service.Authenticate(context.Background(), token); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("Authenticate after the TTL: %v; want domain.ErrInvalidToken", err)
	}
}

func TestAdminMayUseAdminOperations(t *testing.T) {
	kit := authtest.New()
	kit.Admin("root@example.com")
	kit.Pending("bob@example.com")
	admin := kit.Principal("root@example.com", nil)
	if err := admin.CheckAdmin(); err != nil {
		t.Fatalf("CheckAdmin: %v", err)
	}
	pending, err := kit.Service.ListPending(context.Background(), admin, 10, 0)
	if err != nil || len(pending) != 1 || pending[0].Email != "bob@example.com" {
		t.Fatalf("ListPending = %v, %v; want bob@example.com", pending, err)
	}
	if _, err := kit.Service.Approve(context.Background(), admin, "bob@example.com"); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if err := kit.Principal("bob@example.com", nil).CheckAdmin(); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("CheckAdmin of a user: %v; want domain.ErrForbidden", err)
	}
}

func TestPendingUserTokenIsRefused(t *testing.T) {
	kit := authtest.New()
	kit.Pending("bob@example.com")
	if _, err := kit.Service.Authenticate(context.Background(), kit.Token("bob@example.com", nil)); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("Authenticate: %v; want domain.ErrInvalidToken", err)
	}
}

func TestUsersLogInWithPassword(t *testing.T) {
	kit := authtest.New(authtest.WithStore(memstore.New()), authtest.WithConfig(func(c *usecase.Config) { c.TokenTTL = time.Hour }))
	kit.User("ann@example.com")
	tok, err := kit.Service.Login(context.Background(), usecase.LoginRequest{Email: "ann@example.com", Password: authtest.Password})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if tok.ExpiresIn != time.Hour {
		t.Fatalf("ExpiresIn = %v; want the configured 1h", tok.ExpiresIn)
	}
	_, err = kit.Service.Login(context.Background(), usecase.LoginRequest{Email: "ann@example.com", Password: "wrong-password"})
	if !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("Login with a wrong password: %v; want domain.ErrInvalidCredentials", err)
	}
}

func TestMisuseNamesTheMistake(t *testing.T) {
	tests := []struct {
		name string
		do   func(kit *authtest.Kit)
		want string
	}{
		{"same email twice", func(kit *authtest.Kit) { kit.User("ann@example.com"); kit.Admin("ANN@example.com") }, "email already registered"},
		{"token for nobody", func(kit *authtest.Kit) { kit.Token("nobody@example.com", nil) }, "make the user first"},
		{"reserved claim", func(kit *authtest.Kit) {
			kit.User("ann@example.com")
			kit.Token("ann@example.com", map[string]any{"sub": "x"})
		}, "reserved claim"},
		{"bad email", func(kit *authtest.Kit) { kit.User("not an email") }, "invalid email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic %q; want one containing %q", msg, tt.want)
				}
			}()
			tt.do(authtest.New())
		})
	}
}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := authtest.Hasher{}
	a, _ := h.Hash(ctx, "correct horse")
	b, _ := h.Hash(ctx, "correct horse")
	if a == b {
		t.Fatal("two hashes of one password are equal; want salted")
	}
	if err := h.Compare(ctx, a, "correct horse"); err != nil {
		t.Fatalf("Compare(right password): %v", err)
	}
	if err := h.Compare(ctx, a, "wrong horse"); !errors.Is(err, domain.ErrPasswordMismatch) {
		t.Fatalf("Compare(wrong password): %v; want domain.ErrPasswordMismatch", err)
	}
	if err := h.Compare(ctx, "$2a$04$notours", "x"); err == nil || errors.Is(err, domain.ErrPasswordMismatch) {
		t.Fatalf("Compare(foreign hash): %v; want an error other than a mismatch", err)
	}
}

func TestTokenCarriesClaimsHook(t *testing.T) {
	kit := authtest.New(authtest.WithConfig(func(c *usecase.Config) {
		c.ClaimsHook = func(_ context.Context, u domain.User) (map[string]any, error) {
			return map[string]any{"company_id": "acme", "role": "buyer"}, nil
		}
	}))
	kit.User("ann@example.com")
	claims := kit.Principal("ann@example.com", map[string]any{"role": "manager"}).Claims()
	company, _ := claims.StringClaim("company_id")
	role, _ := claims.StringClaim("role")
	if company != "acme" || role != "manager" {
		t.Fatalf("company_id %q, role %q; want the hook's acme and the caller's manager", company, role)
	}
}

func TestWithConfigKeepsTheKitsParts(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "must not replace") {
			t.Fatalf("panic %q; want one saying WithConfig must not replace the kit's parts", msg)
		}
	}()
	authtest.New(authtest.WithConfig(func(c *usecase.Config) { c.Users = memstore.New() }))
}
