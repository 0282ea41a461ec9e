package config_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/examples/internal/config"
	"github.com/authadmin/authadmin/usecase"
)

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const key32 = "oT3DLAouMTPkkz5HM525Z+5Q7zbPbJt8"

func TestParseDefaults(t *testing.T) {
	s, err := config.Parse(env(nil))
	if err != nil {
		t.Fatalf("Parse(empty environment): %v", err)
	}
	want := config.Settings{
		Addr:       "127.0.0.1:8000",
		DBURL:      bunstore.DefaultURL,
		TokenTTL:   30 * time.Minute,
		Algorithm:  "HS256",
		BcryptCost: 12,
	}
	if s.Addr != want.Addr || s.DBURL != want.DBURL || s.TokenTTL != want.TokenTTL ||
		s.Algorithm != want.Algorithm || s.BcryptCost != want.BcryptCost ||
		len(s.SecretKey) != 0 || s.AdminEmail != "" || s.AdminPassword != "" ||
		s.ShutdownTimeout != config.ShutdownTimeout {
		t.Fatalf("Parse(empty environment) = %+v, want %+v", s, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, s config.Settings)
	}{
		{
			name: "every variable set",
			env: map[string]string{
				"ADDR": "0.0.0.0:9000", "AUTH_SECRET_KEY": "Wuj3qhPqEqh6JON4MoYP/AVhFCwktnUqScHDaRUZu/kFjZXW",
				"AUTH_DB_URL": "sqlite:///tmp/x.db", "AUTH_EXPIRE_MINUTES": "15",
				"AUTH_ALGORITHM": "HS384", "AUTH_ADMIN_EMAIL": "Boss@Example.com",
				"AUTH_ADMIN_PASSWORD": "a long password", "AUTH_BCRYPT_COST": "11",
			},
			check: func(t *testing.T, s config.Settings) {
				if s.Addr != "0.0.0.0:9000" || string(s.SecretKey) != "Wuj3qhPqEqh6JON4MoYP/AVhFCwktnUqScHDaRUZu/kFjZXW" ||
					s.DBURL != "sqlite:///tmp/x.db" || s.TokenTTL != 15*time.Minute ||
					s.Algorithm != "HS384" || s.AdminEmail != "Boss@Example.com" ||
					s.AdminPassword != "a long password" || s.BcryptCost != 11 {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "trusted proxies: networks and single addresses",
			env:  map[string]string{"AUTH_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,10.1.2.3/16"},
			check: func(t *testing.T, s config.Settings) {
				want := []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
					netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("10.1.0.0/16"),
				}
				if !slices.Equal(s.TrustedProxies, want) {
					t.Errorf("TrustedProxies = %v, want %v", s.TrustedProxies, want)
				}
			},
		},
		{
			name:  "no trusted proxies by default",
			env:   map[string]string{},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "len(TrustedProxies)", len(s.TrustedProxies), 0) },
		},
		{
			name:  "port 0 picks a free port",
			env:   map[string]string{"ADDR": "127.0.0.1:0"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "Addr", s.Addr, "127.0.0.1:0") },
		},
		{
			name:  "all interfaces",
			env:   map[string]string{"ADDR": ":8080"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "Addr", s.Addr, ":8080") },
		},
		{
			name:  "IPv6 address",
			env:   map[string]string{"ADDR": "[::1]:8000"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "Addr", s.Addr, "[::1]:8000") },
		},
		{
			name:  "surrounding spaces are trimmed from numbers",
			env:   map[string]string{"AUTH_EXPIRE_MINUTES": " 45 ", "AUTH_BCRYPT_COST": "10\n"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "TokenTTL", s.TokenTTL, 45*time.Minute) },
		},
		{
			name:  "low bcrypt cost for tests",
			env:   map[string]string{"AUTH_BCRYPT_COST": "4"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "BcryptCost", s.BcryptCost, 4) },
		},
		{
			name:  "highest bcrypt cost",
			env:   map[string]string{"AUTH_BCRYPT_COST": "31"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "BcryptCost", s.BcryptCost, 31) },
		},
		{
			name:  "HS512 with a 64-byte key",
			env:   map[string]string{"AUTH_ALGORITHM": "HS512", "AUTH_SECRET_KEY": "kbrPt4YljGNZpjPcO2RnYsu2V0x3rv0lfnclsrWg04bB+760oM+NIIp6L5ba4qNs"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "Algorithm", s.Algorithm, "HS512") },
		},
		{
			name:  "HS256 with a 32-byte key",
			env:   map[string]string{"AUTH_SECRET_KEY": key32},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "SecretKey", string(s.SecretKey), key32) },
		},
		{
			name: "shorter shutdown grace period for tests",
			env:  map[string]string{"SHUTDOWN_TIMEOUT": " 1500ms "},
			check: func(t *testing.T, s config.Settings) {
				wantEq(t, "ShutdownTimeout", s.ShutdownTimeout, 1500*time.Millisecond)
			},
		},
		{
			name: "round-two defaults",
			env:  map[string]string{},
			check: func(t *testing.T, s config.Settings) {
				wantEq(t, "StoreTimeout", s.StoreTimeout, usecase.DefaultStoreTimeout)
				wantEq(t, "AllowRemoteDefaultAdmin", s.AllowRemoteDefaultAdmin, false)
				wantEq(t, "MaxConnections", s.MaxConnections, config.DefaultMaxConnections)
			},
		},
		{
			name: "store timeout, remote default admin, connection cap",
			env: map[string]string{"AUTH_STORE_TIMEOUT": " 750ms ", "AUTH_ALLOW_REMOTE_DEFAULT_ADMIN": "true",
				"AUTH_MAX_CONNECTIONS": "64"},
			check: func(t *testing.T, s config.Settings) {
				wantEq(t, "StoreTimeout", s.StoreTimeout, 750*time.Millisecond)
				wantEq(t, "AllowRemoteDefaultAdmin", s.AllowRemoteDefaultAdmin, true)
				wantEq(t, "MaxConnections", s.MaxConnections, 64)
			},
		},
		{
			name:  "original package's SQLAlchemy URL passes through",
			env:   map[string]string{"AUTH_DB_URL": "sqlite+aiosqlite:///./users.db"},
			check: func(t *testing.T, s config.Settings) { wantEq(t, "DBURL", s.DBURL, "sqlite+aiosqlite:///./users.db") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := config.Parse(env(tt.env))
			if err != nil {
				t.Fatalf("Parse(%v): %v", tt.env, err)
			}
			tt.check(t, s)
		})
	}
}

func wantEq[T comparable](t *testing.T, field string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", field, got, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// want are substrings of the error; secret values must not appear.
		want    []string
		notWant []string
	}{
		{name: "ADDR without port", env: map[string]string{"ADDR": "localhost"}, want: []string{"ADDR", "HOST:PORT"}},
		{name: "ADDR with a URL", env: map[string]string{"ADDR": "http://127.0.0.1:8000"}, want: []string{"ADDR"}},
		{name: "ADDR port not a number", env: map[string]string{"ADDR": "127.0.0.1:http"}, want: []string{"ADDR", "port"}},
		{name: "ADDR port too large", env: map[string]string{"ADDR": "127.0.0.1:70000"}, want: []string{"ADDR", "65535"}},
		{name: "ADDR negative port", env: map[string]string{"ADDR": "127.0.0.1:-1"}, want: []string{"ADDR", "port"}},
		{name: "expire not a number", env: map[string]string{"AUTH_EXPIRE_MINUTES": "thirty"}, want: []string{"AUTH_EXPIRE_MINUTES", "thirty"}},
		{name: "expire with a unit", env: map[string]string{"AUTH_EXPIRE_MINUTES": "30m"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "expire zero", env: map[string]string{"AUTH_EXPIRE_MINUTES": "0"}, want: []string{"AUTH_EXPIRE_MINUTES", "from 1"}},
		{name: "expire negative", env: map[string]string{"AUTH_EXPIRE_MINUTES": "-5"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "expire over a year", env: map[string]string{"AUTH_EXPIRE_MINUTES": "525601"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "expire overflowing int", env: map[string]string{"AUTH_EXPIRE_MINUTES": "99999999999999999999999"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "trusted proxy not an address", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, want: []string{"AUTH_TRUSTED_PROXIES", "CIDR"}},
		{name: "trusted proxy bad prefix length", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/33"}, want: []string{"AUTH_TRUSTED_PROXIES"}},
		{name: "trusted proxies empty item", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.1,,10.0.0.2"}, want: []string{"AUTH_TRUSTED_PROXIES"}},
		{name: "algorithm none", env: map[string]string{"AUTH_ALGORITHM": "none"}, want: []string{"AUTH_ALGORITHM", "HS256, HS384 or HS512"}},
		{name: "algorithm RS256", env: map[string]string{"AUTH_ALGORITHM": "RS256"}, want: []string{"AUTH_ALGORITHM"}},
		{name: "algorithm lower case", env: map[string]string{"AUTH_ALGORITHM": "hs256"}, want: []string{"AUTH_ALGORITHM"}},
		{
			name:    "secret too short for HS256",
			env:     map[string]string{"AUTH_SECRET_KEY": "short-secret-value"},
			want:    []string{"AUTH_SECRET_KEY", "18 bytes", "at least 32"},
			notWant: []string{"short-secret-value"},
		},
		{
			name:    "secret long enough for HS256 but not HS512",
			env:     map[string]string{"AUTH_SECRET_KEY": key32, "AUTH_ALGORITHM": "HS512"},
			want:    []string{"AUTH_SECRET_KEY", "HS512", "at least 64"},
			notWant: []string{key32},
		},
		{name: "admin email invalid", env: map[string]string{"AUTH_ADMIN_EMAIL": "not-an-email"}, want: []string{"AUTH_ADMIN_EMAIL", "not-an-email"}},
		{
			name:    "admin password too short",
			env:     map[string]string{"AUTH_ADMIN_PASSWORD": "short"},
			want:    []string{"AUTH_ADMIN_PASSWORD", "too short"},
			notWant: []string{"short\""},
		},
		{
			name: "admin password over 72 bytes",
			env:  map[string]string{"AUTH_ADMIN_PASSWORD": strings.Repeat("p", 73)},
			want: []string{"AUTH_ADMIN_PASSWORD", "72 bytes"},
		},
		{name: "bcrypt cost not a number", env: map[string]string{"AUTH_BCRYPT_COST": "high"}, want: []string{"AUTH_BCRYPT_COST", "from 4 to 31"}},
		{name: "bcrypt cost 3", env: map[string]string{"AUTH_BCRYPT_COST": "3"}, want: []string{"AUTH_BCRYPT_COST"}},
		{name: "bcrypt cost 0", env: map[string]string{"AUTH_BCRYPT_COST": "0"}, want: []string{"AUTH_BCRYPT_COST"}},
		{name: "bcrypt cost 32", env: map[string]string{"AUTH_BCRYPT_COST": "32"}, want: []string{"AUTH_BCRYPT_COST"}},
		{name: "shutdown timeout without a unit", env: map[string]string{"SHUTDOWN_TIMEOUT": "10"}, want: []string{"SHUTDOWN_TIMEOUT", "duration"}},
		{name: "shutdown timeout zero", env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, want: []string{"SHUTDOWN_TIMEOUT", "above 0"}},
		{name: "shutdown timeout negative", env: map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, want: []string{"SHUTDOWN_TIMEOUT"}},
		{name: "shutdown timeout too long", env: map[string]string{"SHUTDOWN_TIMEOUT": "11m"}, want: []string{"SHUTDOWN_TIMEOUT", "at most 10m"}},
		{name: "store timeout without a unit", env: map[string]string{"AUTH_STORE_TIMEOUT": "5"}, want: []string{"AUTH_STORE_TIMEOUT", "duration"}},
		{name: "store timeout zero", env: map[string]string{"AUTH_STORE_TIMEOUT": "0s"}, want: []string{"AUTH_STORE_TIMEOUT", "above 0"}},
		{name: "store timeout past the request's", env: map[string]string{"AUTH_STORE_TIMEOUT": "8s"}, want: []string{"AUTH_STORE_TIMEOUT", "under 8s"}},
		{name: "remote default admin not a boolean", env: map[string]string{"AUTH_ALLOW_REMOTE_DEFAULT_ADMIN": "yes"}, want: []string{"AUTH_ALLOW_REMOTE_DEFAULT_ADMIN", "true or false"}},
		{name: "connection cap zero", env: map[string]string{"AUTH_MAX_CONNECTIONS": "0"}, want: []string{"AUTH_MAX_CONNECTIONS", "from 1"}},
		{name: "connection cap not a number", env: map[string]string{"AUTH_MAX_CONNECTIONS": "many"}, want: []string{"AUTH_MAX_CONNECTIONS"}},
		{
			name: "several bad values are all reported",
			env:  map[string]string{"ADDR": "nope", "AUTH_EXPIRE_MINUTES": "x", "AUTH_BCRYPT_COST": "99"},
			want: []string{"ADDR", "AUTH_EXPIRE_MINUTES", "AUTH_BCRYPT_COST"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := config.Parse(env(tt.env))
			if err == nil {
				t.Fatalf("Parse(%v) = %+v, want an error", tt.env, s)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("error %q contains the secret value %q", msg, w)
				}
			}
		})
	}
}

func quietLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

func TestNewServiceLowCostWarns(t *testing.T) {
	var buf bytes.Buffer
	s, err := config.Parse(env(map[string]string{"AUTH_BCRYPT_COST": "4", "AUTH_SECRET_KEY": key32}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.NewService(context.Background(), s, memstore.New(), quietLogger(&buf)); err != nil {
		t.Fatalf("NewService: %v", err)
	}
	log := buf.String()
	for _, want := range []string{"level=WARN", "INSECURE", "AUTH_BCRYPT_COST", "cost=4"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestNewServiceRandomKeyWarns(t *testing.T) {
	var buf bytes.Buffer
	s, err := config.Parse(env(map[string]string{"AUTH_BCRYPT_COST": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.NewService(context.Background(), s, memstore.New(), quietLogger(&buf)); err != nil {
		t.Fatalf("NewService: %v", err)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(strings.ToLower(buf.String()), "random") {
		t.Errorf("no warning about the random per-process key:\n%s", buf.String())
	}
}

// TestLoadSeedsAdminOnce opens a SQLite file twice, as two starts of a
// server would: the admin is seeded by the first only.
func TestLoadSeedsAdminOnce(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "users.db")
	vars := map[string]string{
		"AUTH_DB_URL": dbURL, "AUTH_BCRYPT_COST": "4", "AUTH_SECRET_KEY": key32,
		"AUTH_ADMIN_EMAIL": "boss@example.com", "AUTH_ADMIN_PASSWORD": "boss-password",
	}
	for i, wantCreated := range []bool{true, false} {
		var buf bytes.Buffer
		srv, err := config.Load(ctx, env(vars), quietLogger(&buf))
		if err != nil {
			t.Fatalf("start %d: Load: %v", i+1, err)
		}
		if srv.Addr != config.DefaultAddr || srv.Auth.Service == nil || srv.Logger == nil {
			t.Errorf("start %d: Load returned %+v", i+1, srv)
		}
		created := strings.Contains(buf.String(), "admin_seeded")
		if created != wantCreated {
			t.Errorf("start %d: admin created = %v, want %v; log:\n%s", i+1, created, wantCreated, buf.String())
		}
		tok, err := srv.Auth.Service.Login(ctx, usecase.LoginRequest{Email: "boss@example.com", Password: "boss-password"})
		if err != nil || tok.AccessToken == "" {
			t.Errorf("start %d: admin login: %v", i+1, err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("start %d: Close: %v", i+1, err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("start %d: second Close: %v", i+1, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "bad variable", env: map[string]string{"AUTH_BCRYPT_COST": "x"}, want: "AUTH_BCRYPT_COST"},
		{name: "unsupported database URL", env: map[string]string{"AUTH_DB_URL": "mysql://u:hunter2@h/db"}, want: "AUTH_DB_URL"},
		{name: "SQLite directory missing", env: map[string]string{"AUTH_DB_URL": "sqlite://" + filepath.Join(t.TempDir(), "no", "such", "dir", "users.db")}, want: "AUTH_DB_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["AUTH_SECRET_KEY"] = key32
			var buf bytes.Buffer
			srv, err := config.Load(ctx, env(tt.env), quietLogger(&buf))
			if err == nil {
				srv.Close()
				t.Fatalf("Load(%v) succeeded, want an error", tt.env)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the database password", err)
			}
		})
	}
}

func TestNewOnCustomStore(t *testing.T) {
	ctx := context.Background()
	s, err := config.Parse(env(map[string]string{"AUTH_BCRYPT_COST": "4", "AUTH_SECRET_KEY": key32, "AUTH_TRUSTED_PROXIES": "10.0.0.0/8"}))
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	var buf bytes.Buffer
	srv, err := config.New(ctx, s, store, quietLogger(&buf))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}; !slices.Equal(srv.Auth.TrustedProxies, want) {
		t.Errorf("Auth.TrustedProxies = %v, want %v (from AUTH_TRUSTED_PROXIES)", srv.Auth.TrustedProxies, want)
	}
	if err := srv.Close(); err != nil {
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

func TestListenLogsBoundAddress(t *testing.T) {
	var buf bytes.Buffer
	ln, err := config.Listen(context.Background(), config.Settings{Addr: "127.0.0.1:0"}, quietLogger(&buf))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if port == "0" || port == "" {
		t.Fatalf("bound address %v has no real port", ln.Addr())
	}
	want := "listening on http://127.0.0.1:" + port
	if !strings.Contains(buf.String(), want) {
		t.Errorf("log %q lacks %q", buf.String(), want)
	}
	// The line is written after the bind, so a client can connect at once.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial the logged address: %v", err)
	}
	c.Close()
}

// dialFrom connects to addr from the loopback address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The listener serves at most MaxConnections connections at once (the
// next one is accepted when one closes), and one client address at most a
// quarter of them (a further one is closed at once); trusted proxies are
// exempt.
func TestListenCapsConnections(t *testing.T) {
	var buf bytes.Buffer
	s := config.Settings{Addr: "127.0.0.1:0", MaxConnections: 4,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}}
	ln, err := config.Listen(context.Background(), s, quietLogger(&buf))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	if got := config.PerClientConnections(s.MaxConnections); got != 1 {
		t.Fatalf("PerClientConnections(4) = %d, want 1", got)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := ln.Addr().String()
	next := func(what string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not accepted", what)
			return nil
		}
	}
	none := func(what string) {
		t.Helper()
		select {
		case c := <-accepted:
			t.Fatalf("%s: accepted %v", what, c.RemoteAddr())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// One client: its second connection is closed at once.
	dialFrom(t, "127.0.0.1", addr)
	first := next("the first connection of 127.0.0.1")
	second := dialFrom(t, "127.0.0.1", addr)
	none("a second connection of 127.0.0.1")
	_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("the second connection of one client: read %v, want it closed", err)
	}
	// A trusted proxy is exempt.
	dialFrom(t, "127.0.0.9", addr)
	next("a trusted proxy's first connection")
	dialFrom(t, "127.0.0.9", addr)
	next("a trusted proxy's second connection")
	// Four open: the next client waits for one to close.
	dialFrom(t, "127.0.0.2", addr)
	next("127.0.0.2")
	dialFrom(t, "127.0.0.3", addr)
	none("a fifth connection while four are open")
	first.Close()
	next("127.0.0.3 once a connection closed")
}

// isReset reports whether err is a connection reset.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

func TestListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var buf bytes.Buffer
	ln, err := config.Listen(context.Background(), config.Settings{Addr: busy.Addr().String()}, quietLogger(&buf))
	if err == nil {
		ln.Close()
		t.Fatal("Listen on a busy port succeeded")
	}
	if !strings.Contains(err.Error(), "ADDR") {
		t.Errorf("error %q does not name ADDR", err)
	}
	if strings.Contains(buf.String(), "listening on") {
		t.Errorf("logged %q although nothing listens", buf.String())
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the *net.OpError", err)
	}
}
