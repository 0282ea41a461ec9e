package usecase_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

func TestRegister(t *testing.T) {
	tests := []struct {
		name  string
		email string
		pw    string
		want  error
	}{
		{"valid", "ann@example.com", "password1", nil},
		{"mixed case stored lower", " Ann@Example.COM ", "password1", nil},
		{"invalid email", "not-an-email", "password1", domain.ErrInvalidEmail},
		{"display name", "Ann <ann@example.com>", "password1", domain.ErrInvalidEmail},
		{"LF in email", "ann@example.com\nBcc: x@example.com", "password1", domain.ErrInvalidEmail},
		{"short password", "ann@example.com", "short", domain.ErrPasswordTooShort},
		{"empty password", "ann@example.com", "", domain.ErrPasswordRequired},
		{"73-byte password", "ann@example.com", strings.Repeat("p", 73), domain.ErrPasswordTooLong},
		{"72-byte password", "ann@example.com", strings.Repeat("p", 72), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u, err := e.svc.Register(t.Context(), tt.email, tt.pw)
			wantErr(t, "Register", err, tt.want)
			if tt.want != nil {
				if !errors.Is(err, domain.ErrValidation) {
					t.Fatalf("Register error %v is not an ErrValidation", err)
				}
				if got := e.hasher.hashes.Load(); got != 0 {
					t.Fatalf("invalid input was hashed %d times", got)
				}
				return
			}
			if u.Email != "ann@example.com" || u.Status != domain.StatusPending || u.IsAdmin || u.Revision != 1 {
				t.Fatalf("registered user = %+v, want ann@example.com pending non-admin revision 1", u)
			}
			stored, err := e.store.FindByEmail(t.Context(), "ann@example.com")
			if err != nil || stored != u {
				t.Fatalf("stored = %+v, %v; Register returned %+v", stored, err, u)
			}
			if stored.PasswordHash == tt.pw || stored.PasswordHash == "" {
				t.Fatal("password stored without hashing")
			}
		})
	}
}

func TestRegisterDuplicateAnyCase(t *testing.T) {
	e := newEnv(t)
	e.register(t, "ann@example.com", "password1")
	for _, email := range []string{"ann@example.com", "ANN@example.com", " Ann@Example.Com"} {
		_, err := e.svc.Register(t.Context(), email, "password2")
		wantErr(t, "Register "+email, err, domain.ErrEmailTaken)
	}
}

func TestRegisterConfiguredPolicy(t *testing.T) {
	e := newEnv(t, func(c *usecase.Config) { c.PasswordPolicy.MinLength = 12 })
	_, err := e.svc.Register(t.Context(), "ann@example.com", "elevenchars")
	wantErr(t, "11 characters under a 12 minimum", err, domain.ErrPasswordTooShort)
	e.register(t, "ann@example.com", "twelve chars")
}

func TestLoginOutcomes(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ok@example.com", "password1")
	e.register(t, "pending@example.com", "password1")
	e.register(t, "rejected@example.com", "password1")
	if _, err := e.svc.Reject(t.Context(), admin, "rejected@example.com"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, pw string
		want            error
	}{
		{"approved", "ok@example.com", "password1", nil},
		{"approved, email in other case", " OK@Example.com", "password1", nil},
		{"wrong password", "ok@example.com", "password2", domain.ErrInvalidCredentials},
		{"unknown email", "nobody@example.com", "password1", domain.ErrInvalidCredentials},
		{"pending, right password", "pending@example.com", "password1", domain.ErrAccountPending},
		{"pending, wrong password", "pending@example.com", "password2", domain.ErrInvalidCredentials},
		{"rejected, right password", "rejected@example.com", "password1", domain.ErrAccountRejected},
		{"rejected, wrong password", "rejected@example.com", "password2", domain.ErrInvalidCredentials},
		{"73-byte password", "ok@example.com", strings.Repeat("p", 73), domain.ErrPasswordTooLong},
		{"empty password", "ok@example.com", "", domain.ErrPasswordRequired},
		{"invalid email", "ok@example", "password1", domain.ErrInvalidEmail},
		{"NUL in email", "ok\x00@example.com", "password1", domain.ErrInvalidEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: tt.email, Password: tt.pw})
			wantErr(t, "Login", err, tt.want)
			if tt.want == nil {
				if tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 30*time.Minute {
					t.Fatalf("token = %+v", tok)
				}
				if tok.Claims.Subject != "ok@example.com" || tok.Claims.IsAdmin {
					t.Fatalf("claims = %+v", tok.Claims)
				}
			}
		})
	}
}

// An unknown email must cost exactly what a wrong password costs: one
// comparison against a hash of the configured cost.
func TestLoginUnknownEmailDoesTheSameWork(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")
	e.hasher.takeCompares()

	_, errUnknown := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "bob@example.com", Password: "password1"})
	unknown := e.hasher.takeCompares()
	_, errWrong := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password2"})
	wrong := e.hasher.takeCompares()

	if errUnknown.Error() != errWrong.Error() || !errors.Is(errUnknown, domain.ErrInvalidCredentials) {
		t.Fatalf("unknown email: %v; wrong password: %v; want the same ErrInvalidCredentials", errUnknown, errWrong)
	}
	if len(unknown) != 1 || len(wrong) != 1 || unknown[0] != testCost || wrong[0] != testCost {
		t.Fatalf("comparison costs: unknown email %v, wrong password %v; want exactly one at cost %d each", unknown, wrong, testCost)
	}
}

func TestLoginExtraClaims(t *testing.T) {
	const bigID = int64(9007199254740993) // 2^53+1: not representable as float64
	hook := func(_ context.Context, u domain.User) (map[string]any, error) {
		return map[string]any{"company_id": int64(7), "role": "member", "hooked_for": u.Email}, nil
	}
	e := newEnv(t, func(c *usecase.Config) { c.ClaimsHook = hook })
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")

	t.Run("hook only", func(t *testing.T) {
		tok := e.login(t, "ann@example.com", "password1")
		p, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
		wantErr(t, "Authenticate", err, nil)
		claims := p.Claims()
		if id, _ := claims.Int64Claim("company_id"); id != 7 {
			t.Fatalf("company_id = %v", claims.Extra["company_id"])
		}
		if who, _ := claims.StringClaim("hooked_for"); who != "ann@example.com" {
			t.Fatalf("hook did not see the user: %v", claims.Extra)
		}
	})
	t.Run("request overrides hook, big integers exact", func(t *testing.T) {
		extra := map[string]any{"company_id": bigID, "role": "manager"}
		tok, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password1", ExtraClaims: extra})
		wantErr(t, "Login", err, nil)
		p, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
		wantErr(t, "Authenticate", err, nil)
		claims := p.Claims()
		if id, ok := claims.Int64Claim("company_id"); !ok || id != bigID {
			t.Fatalf("company_id = %#v, want exactly %d", claims.Extra["company_id"], bigID)
		}
		if role, _ := claims.StringClaim("role"); role != "manager" {
			t.Fatalf("role = %v, want manager", claims.Extra["role"])
		}
		if _, ok := claims.StringClaim("hooked_for"); !ok {
			t.Fatal("hook claims not merged")
		}
		extra["role"] = "changed"
		if role, _ := tok.Claims.StringClaim("role"); role != "manager" {
			t.Fatal("Login kept a reference to the caller's map")
		}
	})
	for _, name := range []string{"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "is_admin", "ver"} {
		t.Run("reserved "+name, func(t *testing.T) {
			_, err := e.svc.Login(t.Context(), usecase.LoginRequest{Email: "ann@example.com", Password: "password1", ExtraClaims: map[string]any{name: true}})
			wantErr(t, "Login", err, domain.ErrReservedClaim)
			if !strings.Contains(err.Error(), `"`+name+`"`) {
				t.Fatalf("error %q does not name the claim", err)
			}
		})
	}
}

func TestLoginClaimsHookFailures(t *testing.T) {
	boom := errors.New("tenant service down")
	tests := []struct {
		name string
		hook usecase.ClaimsFunc
		want error
	}{
		{"hook error", func(context.Context, domain.User) (map[string]any, error) { return nil, boom }, boom},
		{"hook reserved claim", func(context.Context, domain.User) (map[string]any, error) {
			return map[string]any{"is_admin": true}, nil
		}, domain.ErrReservedClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *usecase.Config) { c.ClaimsHook = tt.hook })
			_, err := e.svc.EnsureAdmin(t.Context())
			wantErr(t, "EnsureAdmin", err, nil)
			_, err = e.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Local: true}), usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"})
			wantErr(t, "Login", err, tt.want)
		})
	}
}

func TestLoginTokenLifetime(t *testing.T) {
	e := newEnv(t, func(c *usecase.Config) { c.TokenTTL = 10 * time.Minute })
	e.clock.Advance(750 * time.Millisecond) // iat is truncated to the second
	tok := e.login(t, "admin@admin.com", "changeme")
	if tok.ExpiresIn != 10*time.Minute || !tok.Claims.ExpiresAt.Equal(tok.Claims.IssuedAt.Add(10*time.Minute)) {
		t.Fatalf("token lifetime: ExpiresIn %v, iat %v, exp %v", tok.ExpiresIn, tok.Claims.IssuedAt, tok.Claims.ExpiresAt)
	}
	_, err := e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "fresh token", err, nil)
	e.clock.Advance(10*time.Minute + 10*time.Second)
	_, err = e.svc.Authenticate(t.Context(), tok.AccessToken)
	wantErr(t, "expired token", err, domain.ErrInvalidToken)
}
