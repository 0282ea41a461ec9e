package authsetup_test

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/authsetup"
)

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// key32 is a random 32-byte key, long and strong enough for HS256.
const key32 = "oT3DLAouMTPkkz5HM525Z+5Q7zbPbJt8"

func TestSettingsFromEnvEmpty(t *testing.T) {
	s, err := authsetup.SettingsFromEnv(env(nil))
	if err != nil {
		t.Fatalf("SettingsFromEnv(empty environment): %v", err)
	}
	if !reflect.DeepEqual(s, authsetup.Settings{}) {
		t.Errorf("SettingsFromEnv(empty environment) = %+v, want the zero Settings (every default)", s)
	}
}

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, s authsetup.Settings)
	}{
		{
			name: "every variable set",
			env: map[string]string{
				"ADDR": "0.0.0.0:9000", "AUTH_SECRET_KEY": "Wuj3qhPqEqh6JON4MoYP/AVhFCwktnUqScHDaRUZu/kFjZXW",
				"AUTH_DB_URL": "sqlite:///tmp/x.db", "AUTH_EXPIRE_MINUTES": "15",
				"AUTH_ALGORITHM": "HS384", "AUTH_ADMIN_EMAIL": "Boss@Example.com",
				"AUTH_ADMIN_PASSWORD": "a long password", "AUTH_BCRYPT_COST": "11",
				"AUTH_DOCS": "off", "AUTH_SWAGGER_UI_ASSETS": " /static/swagger ",
			},
			check: func(t *testing.T, s authsetup.Settings) {
				want := authsetup.Settings{
					Addr: "0.0.0.0:9000", SecretKey: []byte("Wuj3qhPqEqh6JON4MoYP/AVhFCwktnUqScHDaRUZu/kFjZXW"),
					DBURL: "sqlite:///tmp/x.db", TokenTTL: 15 * time.Minute, Algorithm: "HS384",
					AdminEmail: "Boss@Example.com", AdminPassword: "a long password", BcryptCost: 11,
					DisableDocs: true, SwaggerUIAssets: "/static/swagger",
				}
				if !reflect.DeepEqual(s, want) {
					t.Errorf("got  %+v\nwant %+v", s, want)
				}
			},
		},
		{
			name: "trusted proxies: networks and single addresses",
			env:  map[string]string{"AUTH_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,10.1.2.3/16"},
			check: func(t *testing.T, s authsetup.Settings) {
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
			name:  "port 0 picks a free port",
			env:   map[string]string{"ADDR": "127.0.0.1:0"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "Addr", s.Addr, "127.0.0.1:0") },
		},
		{
			name:  "all interfaces",
			env:   map[string]string{"ADDR": ":8080"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "Addr", s.Addr, ":8080") },
		},
		{
			name:  "IPv6 address",
			env:   map[string]string{"ADDR": "[::1]:8000"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "Addr", s.Addr, "[::1]:8000") },
		},
		{
			name:  "surrounding spaces are trimmed from numbers",
			env:   map[string]string{"AUTH_EXPIRE_MINUTES": " 45 ", "AUTH_BCRYPT_COST": "10\n"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "TokenTTL", s.TokenTTL, 45*time.Minute) },
		},
		{
			name:  "low bcrypt cost for tests",
			env:   map[string]string{"AUTH_BCRYPT_COST": "4"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "BcryptCost", s.BcryptCost, 4) },
		},
		{
			name:  "highest bcrypt cost",
			env:   map[string]string{"AUTH_BCRYPT_COST": "31"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "BcryptCost", s.BcryptCost, 31) },
		},
		{
			name:  "HS512 with a 64-byte key",
			env:   map[string]string{"AUTH_ALGORITHM": "HS512", "AUTH_SECRET_KEY": "kbrPt4YljGNZpjPcO2RnYsu2V0x3rv0lfnclsrWg04bB+760oM+NIIp6L5ba4qNs"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "Algorithm", s.Algorithm, "HS512") },
		},
		{
			name:  "docs on",
			env:   map[string]string{"AUTH_DOCS": "on"},
			check: func(t *testing.T, s authsetup.Settings) { wantEq(t, "DisableDocs", s.DisableDocs, false) },
		},
		{
			name: "shorter shutdown grace period for tests",
			env:  map[string]string{"SHUTDOWN_TIMEOUT": " 1500ms "},
			check: func(t *testing.T, s authsetup.Settings) {
				wantEq(t, "ShutdownTimeout", s.ShutdownTimeout, 1500*time.Millisecond)
			},
		},
		{
			name: "longest shutdown grace period",
			env:  map[string]string{"SHUTDOWN_TIMEOUT": "10m"},
			check: func(t *testing.T, s authsetup.Settings) {
				wantEq(t, "ShutdownTimeout", s.ShutdownTimeout, 10*time.Minute)
			},
		},
		{
			name: "store timeout, remote default admin, connection cap",
			env: map[string]string{"AUTH_STORE_TIMEOUT": " 750ms ", "AUTH_ALLOW_REMOTE_DEFAULT_ADMIN": "true",
				"AUTH_MAX_CONNECTIONS": "64"},
			check: func(t *testing.T, s authsetup.Settings) {
				wantEq(t, "StoreTimeout", s.StoreTimeout, 750*time.Millisecond)
				wantEq(t, "AllowRemoteDefaultAdmin", s.AllowRemoteDefaultAdmin, true)
				wantEq(t, "MaxConnections", s.MaxConnections, 64)
			},
		},
		{
			name: "original package's SQLAlchemy URL passes through",
			env:  map[string]string{"AUTH_DB_URL": "sqlite+aiosqlite:///./users.db"},
			check: func(t *testing.T, s authsetup.Settings) {
				wantEq(t, "DBURL", s.DBURL, "sqlite+aiosqlite:///./users.db")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := authsetup.SettingsFromEnv(env(tt.env))
			if err != nil {
				t.Fatalf("SettingsFromEnv(%v): %v", tt.env, err)
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

func TestSettingsFromEnvErrors(t *testing.T) {
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
		{name: "ADDR host with a space", env: map[string]string{"ADDR": "my host:80"}, want: []string{"ADDR", "host"}},
		{name: "expire not a number", env: map[string]string{"AUTH_EXPIRE_MINUTES": "thirty"}, want: []string{"AUTH_EXPIRE_MINUTES", "thirty"}},
		{name: "expire with a unit", env: map[string]string{"AUTH_EXPIRE_MINUTES": "30m"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "expire zero", env: map[string]string{"AUTH_EXPIRE_MINUTES": "0"}, want: []string{"AUTH_EXPIRE_MINUTES", "from 1"}},
		{name: "expire negative", env: map[string]string{"AUTH_EXPIRE_MINUTES": "-5"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "expire over a year", env: map[string]string{"AUTH_EXPIRE_MINUTES": "525601"}, want: []string{"AUTH_EXPIRE_MINUTES", "525600"}},
		{name: "expire overflowing int", env: map[string]string{"AUTH_EXPIRE_MINUTES": "99999999999999999999999"}, want: []string{"AUTH_EXPIRE_MINUTES"}},
		{name: "trusted proxy not an address", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, want: []string{"AUTH_TRUSTED_PROXIES", "CIDR"}},
		{name: "trusted proxy bad prefix length", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/33"}, want: []string{"AUTH_TRUSTED_PROXIES"}},
		{name: "trusted proxies empty item", env: map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.1,,10.0.0.2"}, want: []string{"AUTH_TRUSTED_PROXIES"}},
		{name: "algorithm none", env: map[string]string{"AUTH_ALGORITHM": "none"}, want: []string{"AUTH_ALGORITHM", "HS256, HS384 or HS512"}},
		{name: "algorithm RS256", env: map[string]string{"AUTH_ALGORITHM": "RS256"}, want: []string{"AUTH_ALGORITHM"}},
		{name: "algorithm lower case", env: map[string]string{"AUTH_ALGORITHM": "hs256"}, want: []string{"AUTH_ALGORITHM", `"hs256"`}},
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
		{
			name:    "secret long enough but guessable",
			env:     map[string]string{"AUTH_SECRET_KEY": strings.Repeat("secret", 6)},
			want:    []string{"AUTH_SECRET_KEY", "weak"},
			notWant: []string{"secretsecret"},
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
		{name: "docs neither on nor off", env: map[string]string{"AUTH_DOCS": "yes"}, want: []string{"AUTH_DOCS", "on or off"}},
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
			env:  map[string]string{"ADDR": "nope", "AUTH_EXPIRE_MINUTES": "x", "AUTH_BCRYPT_COST": "99", "AUTH_ADMIN_EMAIL": "x"},
			want: []string{"ADDR", "AUTH_EXPIRE_MINUTES", "AUTH_BCRYPT_COST", "AUTH_ADMIN_EMAIL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := authsetup.SettingsFromEnv(env(tt.env))
			if err == nil {
				t.Fatalf("SettingsFromEnv(%v) = %+v, want an error", tt.env, s)
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
			// Each fault is a *SettingError named after its variable.
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var se *authsetup.SettingError
				if !errors.As(e, &se) {
					t.Errorf("%v is not a *SettingError", e)
				} else if tt.env[se.Name] == "" {
					t.Errorf("%v names %q, not one of the variables set", e, se.Name)
				}
			}
		})
	}
}

// TestSettingsFromEnvWeakKeyCause: the refusal of a guessable key keeps
// jwtcodec's cause for errors.Is.
func TestSettingsFromEnvWeakKeyCause(t *testing.T) {
	_, err := authsetup.SettingsFromEnv(env(map[string]string{"AUTH_SECRET_KEY": strings.Repeat("a", 40)}))
	if !errors.Is(err, jwtcodec.ErrWeakSecret) {
		t.Errorf("SettingsFromEnv with a repeated-character key = %v, want an error wrapping jwtcodec.ErrWeakSecret", err)
	}
}
