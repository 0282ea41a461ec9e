package authsetup_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// testLog is what a text logger wrote, kept in a file of the test's, so
// that the logger may write from any goroutine while the test reads.
type testLog struct {
	path   string
	logger *slog.Logger
}

// newTestLog returns an empty testLog.
func newTestLog(t *testing.T) *testLog {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &testLog{path: f.Name(), logger: slog.New(slog.NewTextHandler(f, nil))}
}

// String returns what has been logged so far.
func (l *testLog) String() string {
	b, _ := os.ReadFile(l.path)
	return string(b)
}

// memSettings are quick Settings on a memory store.
func memSettings(log *testLog) authsetup.Settings {
	return authsetup.Settings{Users: memstore.New(), BcryptCost: 4, SecretKey: []byte(key32), Logger: log.logger}
}

func TestNewDefaults(t *testing.T) {
	log := newTestLog(t)
	s := authsetup.Settings{Users: memstore.New(), BcryptCost: 4, Logger: log.logger}
	a, err := authsetup.New(context.Background(), s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	got := a.Settings
	if got.Addr != "127.0.0.1:8000" || got.DBURL != "" || got.TokenTTL != 30*time.Minute ||
		got.Algorithm != "HS256" || got.AdminEmail != "admin@admin.com" || got.AdminPassword != "changeme" ||
		got.SwaggerUIAssets != httpapi.DefaultSwaggerUIAssets || got.ShutdownTimeout != 10*time.Second ||
		got.StoreTimeout != usecase.DefaultStoreTimeout || got.MaxConnections != authsetup.DefaultMaxConnections ||
		len(got.SecretKey) != 0 || got.DisableDocs || got.Logger == nil {
		t.Errorf("Auth.Settings = %+v, want the defaults filled in (DBURL and SecretKey empty)", got)
	}
	if def := (authsetup.Settings{}); def.BcryptCost != 0 || authsetup.DefaultBcryptCost != 12 || authsetup.DefaultDBURL != "sqlite://./users.db" {
		t.Errorf("DefaultBcryptCost = %d, DefaultDBURL = %q; want the original's 12 and users.db", authsetup.DefaultBcryptCost, authsetup.DefaultDBURL)
	}
}

func TestNewLowCostWarns(t *testing.T) {
	log := newTestLog(t)
	if _, err := authsetup.New(context.Background(), memSettings(log)); err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, want := range []string{"level=WARN", "INSECURE", "AUTH_BCRYPT_COST", "cost=4"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestNewRandomKeyWarns(t *testing.T) {
	log := newTestLog(t)
	s := memSettings(log)
	s.SecretKey = nil
	if _, err := authsetup.New(context.Background(), s); err != nil {
		t.Fatalf("New: %v", err)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(strings.ToLower(log.String()), "random") {
		t.Errorf("no warning about the random per-process key:\n%s", log.String())
	}
}

// TestNewSeedsAdminOnce opens a SQLite file twice, as two starts of a
// server would: the admin is seeded by the first only.
func TestNewSeedsAdminOnce(t *testing.T) {
	ctx := context.Background()
	s := authsetup.Settings{
		DBURL: "sqlite://" + filepath.Join(t.TempDir(), "users.db"), BcryptCost: 4, SecretKey: []byte(key32),
		AdminEmail: "boss@example.com", AdminPassword: "boss-password",
	}
	for i, wantCreated := range []bool{true, false} {
		log := newTestLog(t)
		s.Logger = log.logger
		a, err := authsetup.New(ctx, s)
		if err != nil {
			t.Fatalf("start %d: New: %v", i+1, err)
		}
		if created := strings.Contains(log.String(), "admin_seeded"); created != wantCreated {
			t.Errorf("start %d: admin created = %v, want %v; log:\n%s", i+1, created, wantCreated, log.String())
		}
		tok, err := a.Service.Login(ctx, usecase.LoginRequest{Email: "boss@example.com", Password: "boss-password"})
		if err != nil || tok.AccessToken == "" {
			t.Errorf("start %d: admin login: %v", i+1, err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("start %d: Close: %v", i+1, err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("start %d: second Close: %v", i+1, err)
		}
		// Closed: the store answers no more.
		if _, err := a.Service.Login(ctx, usecase.LoginRequest{Email: "boss@example.com", Password: "boss-password"}); err == nil {
			t.Errorf("start %d: login after Close succeeded; the store was not closed", i+1)
		}
	}
}

func TestNewStoreErrors(t *testing.T) {
	tests := []struct {
		name  string
		dbURL string
		want  error
	}{
		{name: "unsupported database URL", dbURL: "mysql://u:hunter2@h/db", want: bunstore.ErrUnsupportedURL},
		{name: "SQLite directory missing", dbURL: "sqlite://" + filepath.Join(t.TempDir(), "no", "such", "dir", "users.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := newTestLog(t)
			a, err := authsetup.New(context.Background(), authsetup.Settings{DBURL: tt.dbURL, BcryptCost: 4, Logger: log.logger})
			if err == nil {
				a.Close()
				t.Fatalf("New(DBURL %s) succeeded, want an error", tt.dbURL)
			}
			if !strings.HasPrefix(err.Error(), "authsetup: ") || !strings.Contains(err.Error(), "DBURL") {
				t.Errorf("error %q does not start with authsetup: and name DBURL", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the database password", err)
			}
		})
	}
}

// TestNewBadSettings: every bad field is a *SettingError named after the
// field, all of them reported at once, and nothing is opened.
func TestNewBadSettings(t *testing.T) {
	tests := []struct {
		name string
		edit func(*authsetup.Settings)
		want []string // the fields named
	}{
		{"address", func(s *authsetup.Settings) { s.Addr = "localhost" }, []string{"Settings.Addr"}},
		{"token lifetime under a minute", func(s *authsetup.Settings) { s.TokenTTL = time.Second }, []string{"Settings.TokenTTL"}},
		{"token lifetime negative", func(s *authsetup.Settings) { s.TokenTTL = -time.Minute }, []string{"Settings.TokenTTL"}},
		{"token lifetime over a year", func(s *authsetup.Settings) { s.TokenTTL = authsetup.MaxTokenTTL + time.Minute }, []string{"Settings.TokenTTL"}},
		{"algorithm", func(s *authsetup.Settings) { s.Algorithm = "none" }, []string{"Settings.Algorithm"}},
		{"short key", func(s *authsetup.Settings) { s.SecretKey = []byte("short") }, []string{"Settings.SecretKey"}},
		{"admin email", func(s *authsetup.Settings) { s.AdminEmail = "boss" }, []string{"Settings.AdminEmail"}},
		{"admin password", func(s *authsetup.Settings) { s.AdminPassword = "short" }, []string{"Settings.AdminPassword"}},
		{"bcrypt cost", func(s *authsetup.Settings) { s.BcryptCost = 40 }, []string{"Settings.BcryptCost"}},
		{"trusted proxy", func(s *authsetup.Settings) { s.TrustedProxies = []netip.Prefix{{}} }, []string{"Settings.TrustedProxies"}},
		{"shutdown timeout", func(s *authsetup.Settings) { s.ShutdownTimeout = time.Hour }, []string{"Settings.ShutdownTimeout"}},
		{"store timeout", func(s *authsetup.Settings) { s.StoreTimeout = time.Minute }, []string{"Settings.StoreTimeout"}},
		{"connection cap", func(s *authsetup.Settings) { s.MaxConnections = authsetup.MaxMaxConnections + 1 }, []string{"Settings.MaxConnections"}},
		{"a database URL and a store", func(s *authsetup.Settings) { s.DBURL = "sqlite://:memory:" }, []string{"Settings.DBURL"}},
		{"several", func(s *authsetup.Settings) { s.Addr, s.BcryptCost = "x", 3 }, []string{"Settings.Addr", "Settings.BcryptCost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := newTestLog(t)
			s := memSettings(log)
			tt.edit(&s)
			a, err := authsetup.New(context.Background(), s)
			if err == nil {
				t.Fatalf("New = %+v, want an error", a)
			}
			var named []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var se *authsetup.SettingError
				if !errors.As(e, &se) {
					t.Fatalf("%v is not a *SettingError", e)
				}
				named = append(named, se.Name)
			}
			if !slices.Equal(named, tt.want) {
				t.Errorf("New named %v, want %v; error: %v", named, tt.want, err)
			}
			if strings.Contains(log.String(), "admin_seeded") {
				t.Errorf("New seeded the admin although it failed:\n%s", log.String())
			}
		})
	}
}

// TestNewOnOwnStore: with Settings.Users the admin is seeded in the
// caller's store, and Close leaves it open.
func TestNewOnOwnStore(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	log := newTestLog(t)
	a, err := authsetup.New(ctx, authsetup.Settings{Users: store, BcryptCost: 4, Logger: log.logger})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	admin, err := store.FindByEmail(ctx, usecase.DefaultAdminEmail)
	if err != nil {
		t.Fatalf("default admin not seeded: %v", err)
	}
	if !admin.IsAdmin || admin.Status != domain.StatusApproved || !admin.MustChangePassword {
		t.Errorf("seeded admin = %+v, want an approved admin who must change password", admin)
	}
}

// TestNewClaimsHook: the hook's claims reach the token.
func TestNewClaimsHook(t *testing.T) {
	ctx := context.Background()
	log := newTestLog(t)
	s := memSettings(log)
	s.AdminPassword = "boss-password"
	s.ClaimsHook = func(context.Context, domain.User) (map[string]any, error) {
		return map[string]any{"company_id": 42}, nil
	}
	a, err := authsetup.New(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Service.Login(ctx, usecase.LoginRequest{Email: usecase.DefaultAdminEmail, Password: "boss-password"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Service.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Claims().Extra["company_id"]; got != int64(42) {
		t.Errorf("claim company_id = %v (%T), want 42", got, got)
	}
}

func TestHTTPConfig(t *testing.T) {
	log := newTestLog(t)
	s := memSettings(log)
	s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	s.SwaggerUIAssets = "/static/swagger"
	documented := false
	s.OpenAPI = func(*openapi.Document) { documented = true }
	a, err := authsetup.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	cfg := a.HTTPConfig()
	if cfg.Service != a.Service || cfg.Logger != s.Logger || !slices.Equal(cfg.TrustedProxies, s.TrustedProxies) ||
		!cfg.SwaggerUI || cfg.SwaggerUIAssets != "/static/swagger" || cfg.OpenAPI == nil {
		t.Errorf("HTTPConfig() = %+v, want the service and the settings' proxies, docs and hook", cfg)
	}
	if cfg.OpenAPI(nil); !documented {
		t.Error("HTTPConfig().OpenAPI is not the settings' hook")
	}
	a.Settings.DisableDocs = true
	if a.HTTPConfig().SwaggerUI {
		t.Error("DisableDocs leaves SwaggerUI on")
	}
	if _, err := httpapi.New(a.HTTPConfig()); err != nil {
		t.Errorf("httpapi.New(HTTPConfig()): %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(authsetup.EnvDBURL, "sqlite://"+filepath.Join(dir, "users.db"))
	t.Setenv(authsetup.EnvBcryptCost, "4")
	t.Setenv(authsetup.EnvExpireMinutes, "5")
	t.Setenv(authsetup.EnvAddr, "127.0.0.1:0")
	a, err := authsetup.FromEnv(context.Background())
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	defer a.Close()
	if a.Settings.TokenTTL != 5*time.Minute || a.Settings.Addr != "127.0.0.1:0" || a.Settings.BcryptCost != 4 {
		t.Errorf("FromEnv settings = %+v, want the environment's", a.Settings)
	}

	t.Setenv(authsetup.EnvExpireMinutes, "never")
	if a, err := authsetup.FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), authsetup.EnvExpireMinutes) {
		if a != nil {
			a.Close()
		}
		t.Errorf("FromEnv with a bad %s: %v, want an error naming it", authsetup.EnvExpireMinutes, err)
	}
}
