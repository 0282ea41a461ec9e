package jwtcodec_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

var _ ports.TokenCodec = (*jwtcodec.Codec)(nil)

func TestNewAlgorithms(t *testing.T) {
	tests := []struct {
		name    string
		alg     string
		keyLen  int
		wantAlg string
		wantErr error // nil: success; errAny: some error
	}{
		{name: "empty means HS256", alg: "", keyLen: 32, wantAlg: "HS256"},
		{name: "HS256 at minimum key", alg: "HS256", keyLen: 32, wantAlg: "HS256"},
		{name: "HS384 at minimum key", alg: "HS384", keyLen: 48, wantAlg: "HS384"},
		{name: "HS512 at minimum key", alg: "HS512", keyLen: 64, wantAlg: "HS512"},
		{name: "HS256 with longer key", alg: "HS256", keyLen: 64, wantAlg: "HS256"},
		{name: "HS256 key 31 bytes", alg: "HS256", keyLen: 31, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "default alg key 31 bytes", alg: "", keyLen: 31, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "HS384 key 47 bytes", alg: "HS384", keyLen: 47, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "HS384 key 32 bytes", alg: "HS384", keyLen: 32, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "HS512 key 63 bytes", alg: "HS512", keyLen: 63, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "HS512 key 48 bytes", alg: "HS512", keyLen: 48, wantErr: jwtcodec.ErrKeyTooShort},
		{name: "RS256 unsupported", alg: "RS256", keyLen: 64, wantErr: errAny},
		{name: "ES256 unsupported", alg: "ES256", keyLen: 64, wantErr: errAny},
		{name: "none unsupported", alg: "none", keyLen: 64, wantErr: errAny},
		{name: "lower-case hs256 unsupported", alg: "hs256", keyLen: 64, wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := jwtcodec.New(testKey[:tt.keyLen], jwtcodec.WithAlgorithm(tt.alg))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("New accepted algorithm %q with a %d-byte key", tt.alg, tt.keyLen)
				}
				if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
					t.Fatalf("New error %q does not wrap %q", err, tt.wantErr)
				}
				if c != nil {
					t.Fatal("New returned a codec with its error")
				}
				if !strings.HasPrefix(err.Error(), "jwtcodec: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := c.Algorithm(); got != tt.wantAlg {
				t.Fatalf("Algorithm() = %q, want %q", got, tt.wantAlg)
			}
			tok, err := c.Encode(bg, validClaims())
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			h, _, _ := parts(t, tok)
			hb, _ := base64.RawURLEncoding.DecodeString(h)
			var head map[string]any
			if err := json.Unmarshal(hb, &head); err != nil || head["alg"] != tt.wantAlg {
				t.Fatalf("token header %s (err %v), want alg %s", hb, err, tt.wantAlg)
			}
			got, err := c.Decode(bg, tok, now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Subject != "ann@example.com" {
				t.Fatalf("Subject = %q", got.Subject)
			}
		})
	}
}

// errAny marks a test case that expects an error without a particular
// sentinel.
var errAny = errors.New("any error")

func TestRoundTrip(t *testing.T) {
	const bigID = int64(9007199254740993) // 2^53+1: not exact as a float64
	tests := []struct {
		name string
		in   domain.Claims
		want domain.Claims
	}{
		{
			name: "minimal claims",
			in:   validClaims(),
			want: validClaims(),
		},
		{
			name: "admin with max token version",
			in: domain.Claims{
				Subject: "root@example.com", IsAdmin: true, TokenVersion: math.MaxInt64,
				IssuedAt: now.Add(-time.Second), ExpiresAt: now.Add(time.Second),
			},
			want: domain.Claims{
				Subject: "root@example.com", IsAdmin: true, TokenVersion: math.MaxInt64,
				IssuedAt: now.Add(-time.Second), ExpiresAt: now.Add(time.Second),
			},
		},
		{
			name: "token version zero",
			in: domain.Claims{
				Subject: "zero@example.com", TokenVersion: 0,
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Minute),
			},
			want: domain.Claims{
				Subject: "zero@example.com", TokenVersion: 0,
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Minute),
			},
		},
		{
			name: "sub-second times truncated to the second",
			in: domain.Claims{
				Subject:   "ann@example.com",
				IssuedAt:  now.Add(-10*time.Second + 999*time.Millisecond),
				ExpiresAt: now.Add(time.Hour + 500*time.Millisecond),
			},
			want: domain.Claims{
				Subject:   "ann@example.com",
				IssuedAt:  now.Add(-10 * time.Second),
				ExpiresAt: now.Add(time.Hour),
			},
		},
		{
			name: "times in another zone",
			in: domain.Claims{
				Subject:   "ann@example.com",
				IssuedAt:  now.Add(-time.Minute).In(time.FixedZone("X", 5*3600)),
				ExpiresAt: now.Add(time.Hour).In(time.FixedZone("Y", -7*3600)),
			},
			want: domain.Claims{
				Subject:   "ann@example.com",
				IssuedAt:  now.Add(-time.Minute),
				ExpiresAt: now.Add(time.Hour),
			},
		},
		{
			name: "non-ASCII subject and extra strings",
			in: domain.Claims{
				Subject: "zoë@example.com", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
				Extra: map[string]any{"name": "Zoë \"Z\" <z>\n", "empty": ""},
			},
			want: domain.Claims{
				Subject: "zoë@example.com", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
				Extra: map[string]any{"name": "Zoë \"Z\" <z>\n", "empty": ""},
			},
		},
		{
			name: "extra claims normalised",
			in: domain.Claims{
				Subject: "ann@example.com", IsAdmin: true, TokenVersion: 7,
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
				Extra: map[string]any{
					"company_id": bigID,
					"answer":     42,
					"neg":        -5,
					"small":      int32(9),
					"ratio":      1.5,
					"whole":      2.0, // JSON "2": an integer, so int64 on the way back
					"role":       "owner",
					"flag":       true,
					"nothing":    nil,
					"tags":       []string{"a", "b"},
					"big":        uint64(math.MaxUint64),
					"nested": map[string]any{
						"id":    bigID,
						"depth": map[string]any{"n": 7},
						"list":  []any{1, "x", 2.5, bigID},
					},
				},
			},
			want: domain.Claims{
				Subject: "ann@example.com", IsAdmin: true, TokenVersion: 7,
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
				Extra: map[string]any{
					"company_id": bigID,
					"answer":     int64(42),
					"neg":        int64(-5),
					"small":      int64(9),
					"ratio":      1.5,
					"whole":      int64(2),
					"role":       "owner",
					"flag":       true,
					"nothing":    nil,
					"tags":       []any{"a", "b"},
					"big":        json.Number("18446744073709551615"),
					"nested": map[string]any{
						"id":    bigID,
						"depth": map[string]any{"n": int64(7)},
						"list":  []any{int64(1), "x", 2.5, bigID},
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t)
			tok, err := c.Encode(bg, tt.in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := c.Decode(bg, tok, now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertClaims(t, got, tt.want)
		})
	}
}

// assertClaims compares decoded claims with the expected ones: times by
// instant, Extra deeply (a nil or empty want means no extra claims).
func assertClaims(t *testing.T, got, want domain.Claims) {
	t.Helper()
	if got.Subject != want.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
	}
	if got.IsAdmin != want.IsAdmin {
		t.Errorf("IsAdmin = %v, want %v", got.IsAdmin, want.IsAdmin)
	}
	if got.TokenVersion != want.TokenVersion {
		t.Errorf("TokenVersion = %d, want %d", got.TokenVersion, want.TokenVersion)
	}
	if !got.IssuedAt.Equal(want.IssuedAt) {
		t.Errorf("IssuedAt = %v, want %v", got.IssuedAt, want.IssuedAt)
	}
	if !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want.ExpiresAt)
	}
	if len(want.Extra) == 0 {
		if len(got.Extra) != 0 {
			t.Errorf("Extra = %#v, want none", got.Extra)
		}
		return
	}
	if !reflect.DeepEqual(got.Extra, want.Extra) {
		t.Errorf("Extra =\n%#v\nwant\n%#v", got.Extra, want.Extra)
	}
}

func TestRoundTripAccessors(t *testing.T) {
	c := newCodec(t)
	in := validClaims()
	in.IsAdmin = true
	in.Extra = map[string]any{
		"company_id": int64(9007199254740993),
		"answer":     42,
		"ratio":      1.5,
		"role":       "owner",
		"big":        uint64(math.MaxInt64) + 1,
		"nested":     map[string]any{"id": 1},
	}
	tok, err := c.Encode(bg, in)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := c.Decode(bg, tok, now)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}

	int64Cases := []struct {
		name   string
		claim  string
		want   int64
		wantOK bool
	}{
		{name: "2^53+1 exact", claim: "company_id", want: 9007199254740993, wantOK: true},
		{name: "small int", claim: "answer", want: 42, wantOK: true},
		{name: "float is not an int", claim: "ratio", wantOK: false},
		{name: "string is not an int", claim: "role", wantOK: false},
		{name: "beyond int64", claim: "big", wantOK: false},
		{name: "missing", claim: "nope", wantOK: false},
	}
	for _, tt := range int64Cases {
		t.Run("Int64Claim/"+tt.name, func(t *testing.T) {
			n, ok := got.Int64Claim(tt.claim)
			if ok != tt.wantOK || n != tt.want {
				t.Fatalf("Int64Claim(%q) = %d, %v; want %d, %v", tt.claim, n, ok, tt.want, tt.wantOK)
			}
		})
	}

	t.Run("types", func(t *testing.T) {
		for name, want := range map[string]any{
			"company_id": int64(9007199254740993),
			"answer":     int64(42),
			"ratio":      1.5,
			"role":       "owner",
			"big":        json.Number("9223372036854775808"),
			"nested":     map[string]any{"id": int64(1)},
		} {
			v, ok := got.Claim(name)
			if !ok || !reflect.DeepEqual(v, want) {
				t.Errorf("Claim(%q) = %#v (%T), %v; want %#v (%T)", name, v, v, ok, want, want)
			}
		}
		if s, ok := got.StringClaim("role"); !ok || s != "owner" {
			t.Errorf(`String("role") = %q, %v`, s, ok)
		}
	})

	t.Run("Map has every claim", func(t *testing.T) {
		m := got.Map()
		want := map[string]any{
			"sub":        "ann@example.com",
			"is_admin":   true,
			"ver":        int64(3),
			"iat":        now.Unix() - 60,
			"exp":        now.Unix() + 3600,
			"company_id": int64(9007199254740993),
			"answer":     int64(42),
			"ratio":      1.5,
			"role":       "owner",
			"big":        json.Number("9223372036854775808"),
			"nested":     map[string]any{"id": int64(1)},
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("Map() =\n%#v\nwant\n%#v", m, want)
		}
	})

	t.Run("token carries exactly these claims", func(t *testing.T) {
		p := decodePayload(t, tok)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range p {
				if !yield(k) {
					return
				}
			}
		})
		want := []string{"answer", "big", "company_id", "exp", "iat", "is_admin", "nested", "ratio", "role", "sub", "ver"}
		if !slices.Equal(keys, want) {
			t.Fatalf("payload keys %v, want %v", keys, want)
		}
		if p["company_id"] != json.Number("9007199254740993") {
			t.Fatalf("company_id in the token is %v, want the exact integer", p["company_id"])
		}
	})
}

func TestEncodeRefuses(t *testing.T) {
	type tc struct {
		name     string
		mutate   func(*domain.Claims)
		reserved bool // error must wrap domain.ErrReservedClaim
	}
	var tests []tc
	for _, name := range []string{"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "is_admin", "ver"} {
		tests = append(tests, tc{
			name:     "reserved extra claim " + name,
			mutate:   func(c *domain.Claims) { c.Extra = map[string]any{"company_id": 1, name: "x"} },
			reserved: true,
		})
	}
	tests = append(tests,
		tc{name: "empty subject", mutate: func(c *domain.Claims) { c.Subject = "" }},
		tc{name: "negative token version", mutate: func(c *domain.Claims) { c.TokenVersion = -1 }},
		tc{name: "zero times", mutate: func(c *domain.Claims) { c.IssuedAt, c.ExpiresAt = time.Time{}, time.Time{} }},
		tc{name: "zero expiry", mutate: func(c *domain.Claims) { c.ExpiresAt = time.Time{} }},
		tc{name: "expiry equal to issue", mutate: func(c *domain.Claims) { c.ExpiresAt = c.IssuedAt }},
		tc{name: "expiry within the issue second", mutate: func(c *domain.Claims) {
			c.IssuedAt = now
			c.ExpiresAt = now.Add(999 * time.Millisecond)
		}},
		tc{name: "expiry before issue", mutate: func(c *domain.Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Hour) }},
		tc{name: "channel extra value", mutate: func(c *domain.Claims) { c.Extra = map[string]any{"ch": make(chan int)} }},
		tc{name: "func extra value", mutate: func(c *domain.Claims) { c.Extra = map[string]any{"fn": func() {}} }},
		tc{name: "complex extra value", mutate: func(c *domain.Claims) { c.Extra = map[string]any{"z": complex(1, 2)} }},
		tc{name: "NaN extra value", mutate: func(c *domain.Claims) { c.Extra = map[string]any{"nan": math.NaN()} }},
		tc{name: "infinite extra value", mutate: func(c *domain.Claims) { c.Extra = map[string]any{"inf": math.Inf(1)} }},
		tc{name: "channel nested in extra value", mutate: func(c *domain.Claims) {
			c.Extra = map[string]any{"nested": map[string]any{"ch": make(chan int)}}
		}},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t)
			claims := validClaims()
			tt.mutate(&claims)
			var tok string
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Encode panicked: %v", r)
					}
				}()
				tok, err = c.Encode(bg, claims)
			}()
			if err == nil {
				t.Fatalf("Encode accepted %+v: %s", claims, tok)
			}
			if tok != "" {
				t.Errorf("Encode returned token %q with its error", tok)
			}
			if got := errors.Is(err, domain.ErrReservedClaim); got != tt.reserved {
				t.Errorf("errors.Is(%q, ErrReservedClaim) = %v, want %v", err, got, tt.reserved)
			}
			if !strings.HasPrefix(err.Error(), "jwtcodec: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestEncodeDoesNotModifyClaims(t *testing.T) {
	c := newCodec(t, jwtcodec.WithIssuer("iss"), jwtcodec.WithAudience("aud"))
	in := validClaims()
	in.Extra = map[string]any{"company_id": 1}
	if _, err := c.Encode(bg, in); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"company_id": 1}; !reflect.DeepEqual(in.Extra, want) {
		t.Fatalf("Encode changed the caller's Extra to %#v", in.Extra)
	}
}

func TestLeeway(t *testing.T) {
	tests := []struct {
		name   string
		leeway time.Duration
		change map[string]any
		ok     bool
	}{
		{name: "default: expired 4s ago accepted", leeway: 0, change: map[string]any{"exp": now.Unix() - 4}, ok: true},
		{name: "default: expired 5s ago refused", leeway: 0, change: map[string]any{"exp": now.Unix() - 5}},
		{name: "default: expired 6s ago refused", leeway: 0, change: map[string]any{"exp": now.Unix() - 6}},
		{name: "default: nbf 5s ahead accepted", leeway: 0, change: map[string]any{"nbf": now.Unix() + 5}, ok: true},
		{name: "default: nbf 6s ahead refused", leeway: 0, change: map[string]any{"nbf": now.Unix() + 6}},
		{name: "default: iat 5s ahead accepted", leeway: 0, change: map[string]any{"iat": now.Unix() + 5}, ok: true},
		{name: "default: iat 6s ahead refused", leeway: 0, change: map[string]any{"iat": now.Unix() + 6}},

		{name: "none: exp 1s ahead accepted", leeway: -1, change: map[string]any{"exp": now.Unix() + 1}, ok: true},
		{name: "none: exp now refused", leeway: -1, change: map[string]any{"exp": now.Unix()}},
		{name: "none: expired 1s ago refused", leeway: -time.Hour, change: map[string]any{"exp": now.Unix() - 1}},
		{name: "none: nbf now accepted", leeway: -1, change: map[string]any{"nbf": now.Unix()}, ok: true},
		{name: "none: nbf 1s ahead refused", leeway: -1, change: map[string]any{"nbf": now.Unix() + 1}},
		{name: "none: iat now accepted", leeway: -1, change: map[string]any{"iat": now.Unix()}, ok: true},
		{name: "none: iat 1s ahead refused", leeway: -1, change: map[string]any{"iat": now.Unix() + 1}},

		{name: "30s: expired 29s ago accepted", leeway: 30 * time.Second, change: map[string]any{"exp": now.Unix() - 29}, ok: true},
		{name: "30s: expired 31s ago refused", leeway: 30 * time.Second, change: map[string]any{"exp": now.Unix() - 31}},
		{name: "30s: nbf 30s ahead accepted", leeway: 30 * time.Second, change: map[string]any{"nbf": now.Unix() + 30}, ok: true},
		{name: "30s: nbf 31s ahead refused", leeway: 30 * time.Second, change: map[string]any{"nbf": now.Unix() + 31}},
		{name: "30s: iat 30s ahead accepted", leeway: 30 * time.Second, change: map[string]any{"iat": now.Unix() + 30}, ok: true},
		{name: "30s: iat 31s ahead refused", leeway: 30 * time.Second, change: map[string]any{"iat": now.Unix() + 31}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, jwtcodec.WithLeeway(tt.leeway))
			got, err := c.Decode(bg, forge("HS256", testKey, payload(tt.change)), now)
			if !tt.ok {
				wantInvalid(t, got, err)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Subject != "ann@example.com" {
				t.Fatalf("Subject = %q", got.Subject)
			}
		})
	}
}

func TestIssuerAudience(t *testing.T) {
	const iss, aud = "https://auth.example.com", "admin-api"
	configured := []jwtcodec.Option{jwtcodec.WithIssuer(iss), jwtcodec.WithAudience(aud)}
	tests := []struct {
		name   string
		opts   []jwtcodec.Option
		change map[string]any
		ok     bool
	}{
		{name: "configured: both present", opts: configured, change: map[string]any{"iss": iss, "aud": aud}, ok: true},
		{name: "configured: audience in a list", opts: configured, change: map[string]any{"iss": iss, "aud": []string{"other", aud}}, ok: true},
		{name: "configured: no iss", opts: configured, change: map[string]any{"aud": aud}},
		{name: "configured: no aud", opts: configured, change: map[string]any{"iss": iss}},
		{name: "configured: neither", opts: configured},
		{name: "configured: other iss", opts: configured, change: map[string]any{"iss": "https://evil.example.com", "aud": aud}},
		{name: "configured: iss differs in case", opts: configured, change: map[string]any{"iss": strings.ToUpper(iss), "aud": aud}},
		{name: "configured: empty iss", opts: configured, change: map[string]any{"iss": "", "aud": aud}},
		{name: "configured: iss not a string", opts: configured, change: map[string]any{"iss": 1, "aud": aud}},
		{name: "configured: other aud", opts: configured, change: map[string]any{"iss": iss, "aud": "other-api"}},
		{name: "configured: aud list without it", opts: configured, change: map[string]any{"iss": iss, "aud": []string{"a", "b"}}},
		{name: "configured: empty aud", opts: configured, change: map[string]any{"iss": iss, "aud": ""}},
		{name: "configured: aud not a string", opts: configured, change: map[string]any{"iss": iss, "aud": 7}},
		{name: "only issuer configured: aud ignored", opts: []jwtcodec.Option{jwtcodec.WithIssuer(iss)}, change: map[string]any{"iss": iss, "aud": "whatever"}, ok: true},
		{name: "only audience configured: iss ignored", opts: []jwtcodec.Option{jwtcodec.WithAudience(aud)}, change: map[string]any{"iss": "whoever", "aud": aud}, ok: true},
		{name: "not configured: iss and aud accepted", change: map[string]any{"iss": "someone", "aud": []string{"x", "y"}}, ok: true},
		{name: "not configured: neither", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, tt.opts...)
			got, err := c.Decode(bg, forge("HS256", testKey, payload(tt.change)), now)
			if !tt.ok {
				wantInvalid(t, got, err)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(got.Extra) != 0 {
				t.Fatalf("iss/aud leaked into Extra: %#v", got.Extra)
			}
		})
	}

	t.Run("Encode writes them", func(t *testing.T) {
		c := newCodec(t, configured...)
		tok, err := c.Encode(bg, validClaims())
		if err != nil {
			t.Fatal(err)
		}
		p := decodePayload(t, tok)
		if p["iss"] != iss || p["aud"] != aud {
			t.Fatalf("payload iss=%v aud=%v, want %q %q", p["iss"], p["aud"], iss, aud)
		}
		got, err := c.Decode(bg, tok, now)
		if err != nil {
			t.Fatalf("Decode of own token: %v", err)
		}
		if len(got.Extra) != 0 {
			t.Fatalf("iss/aud leaked into Extra: %#v", got.Extra)
		}
		plain := newCodec(t)
		if _, err := plain.Decode(bg, tok, now); err != nil {
			t.Fatalf("codec without issuer refused a token with one: %v", err)
		}
	})

	t.Run("Encode omits them when not configured", func(t *testing.T) {
		tok, err := newCodec(t).Encode(bg, validClaims())
		if err != nil {
			t.Fatal(err)
		}
		p := decodePayload(t, tok)
		if _, ok := p["iss"]; ok {
			t.Errorf("payload has iss: %v", p)
		}
		if _, ok := p["aud"]; ok {
			t.Errorf("payload has aud: %v", p)
		}
		_, err = newCodec(t, configured...).Decode(bg, tok, now)
		wantInvalid(t, domain.Claims{}, err)
	})

	t.Run("other issuer's codec refuses", func(t *testing.T) {
		tok, err := newCodec(t, jwtcodec.WithIssuer("a"), jwtcodec.WithAudience(aud)).Encode(bg, validClaims())
		if err != nil {
			t.Fatal(err)
		}
		got, err := newCodec(t, jwtcodec.WithIssuer("b"), jwtcodec.WithAudience(aud)).Decode(bg, tok, now)
		wantInvalid(t, got, err)
	})
}

func TestRandomKey(t *testing.T) {
	tests := []struct {
		name   string
		alg    string
		secret []byte
		size   int
	}{
		{name: "HS256", alg: "HS256", size: 32},
		{name: "default", alg: "", size: 32},
		{name: "HS384", alg: "HS384", size: 48},
		{name: "HS512", alg: "HS512", size: 64},
		// []byte(os.Getenv("AUTH_SECRET_KEY")) with the variable unset.
		{name: "empty non-nil secret", alg: "HS256", secret: []byte(""), size: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, nil))
			c, err := jwtcodec.New(tt.secret, jwtcodec.WithAlgorithm(tt.alg), jwtcodec.WithLogger(logger))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			log := buf.String()
			if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "no secret key configured") ||
				!strings.Contains(log, "random key") {
				t.Fatalf("warning not logged; log: %q", log)
			}
			key := jwtcodec.KeyOf(c)
			if len(key) != tt.size {
				t.Fatalf("random key has %d bytes, want %d", len(key), tt.size)
			}
			if bytes.Equal(key, make([]byte, tt.size)) {
				t.Fatal("random key is all zeros")
			}
			for _, enc := range []string{
				string(key),
				hex.EncodeToString(key),
				strings.ToUpper(hex.EncodeToString(key)),
				base64.StdEncoding.EncodeToString(key),
				base64.RawURLEncoding.EncodeToString(key),
				fmt.Sprint(key),
			} {
				if strings.Contains(log, enc) {
					t.Fatalf("log contains the key material (%q): %q", enc, log)
				}
			}

			other, err := jwtcodec.New(nil, jwtcodec.WithAlgorithm(tt.alg), jwtcodec.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(key, jwtcodec.KeyOf(other)) {
				t.Fatal("two random keys are equal")
			}
			tokA, err := c.Encode(bg, validClaims())
			if err != nil {
				t.Fatal(err)
			}
			tokB, err := other.Encode(bg, validClaims())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Decode(bg, tokA, now); err != nil {
				t.Fatalf("codec refused its own token: %v", err)
			}
			if _, err := other.Decode(bg, tokB, now); err != nil {
				t.Fatalf("codec refused its own token: %v", err)
			}
			got, err := c.Decode(bg, tokB, now)
			wantInvalid(t, got, err)
			got, err = other.Decode(bg, tokA, now)
			wantInvalid(t, got, err)
		})
	}

	t.Run("configured key logs nothing", func(t *testing.T) {
		var buf bytes.Buffer
		if _, err := jwtcodec.New(testKey, jwtcodec.WithLogger(slog.New(slog.NewTextHandler(&buf, nil)))); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Fatalf("unexpected log: %q", buf.String())
		}
	})
}

func TestSecretCopied(t *testing.T) {
	secret := bytes.Clone(testKey)
	c := newCodecKey(t, secret)
	tok, err := c.Encode(bg, validClaims())
	if err != nil {
		t.Fatal(err)
	}
	for i := range secret {
		secret[i] ^= 0xFF
	}
	if _, err := c.Decode(bg, tok, now); err != nil {
		t.Fatalf("mutating the caller's slice changed the codec's key: %v", err)
	}
	tok2, err := c.Encode(bg, validClaims())
	if err != nil {
		t.Fatal(err)
	}
	if tok2 != tok {
		t.Fatal("the codec signs differently after the caller's slice changed")
	}
	mutated := newCodecKey(t, secret)
	got, err := mutated.Decode(bg, tok, now)
	wantInvalid(t, got, err)
}

func TestMaxTokenBytes(t *testing.T) {
	small := forge("HS256", testKey, payload(nil))
	big := forge("HS256", testKey, payload(map[string]any{"blob": strings.Repeat("x", jwtcodec.DefaultMaxTokenBytes)}))
	atLimit := tokenOfLen(t, jwtcodec.DefaultMaxTokenBytes)
	type maxCase struct {
		name    string
		max     int
		token   string
		ok      bool
		tooLong bool // the error must be the length check, before parsing
	}
	tests := []maxCase{
		{name: "default: small token", token: small, ok: true},
		{name: "default: signed token over the limit", token: big, tooLong: true},
		{name: "default: 1 MiB of dots", token: strings.Repeat(".", 1<<20), tooLong: true},
		{name: "default: 1 MiB of base64", token: strings.Repeat("A", 1<<20), tooLong: true},
		{name: "custom: exactly at the limit", max: len(small), token: small, ok: true},
		{name: "custom: one byte over", max: len(small) - 1, token: small, tooLong: true},
		{name: "custom: raises the limit", max: len(big), token: big, ok: true},
		{name: "negative means default", max: -1, token: big, tooLong: true},
	}
	tests = append(tests,
		maxCase{name: "default: exactly DefaultMaxTokenBytes", token: atLimit, ok: true},
		maxCase{name: "default: DefaultMaxTokenBytes+1", token: atLimit + "A", tooLong: true},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, jwtcodec.WithMaxTokenBytes(tt.max))
			got, err := c.Decode(bg, tt.token, now)
			if tt.ok {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			wantInvalid(t, got, err)
			if tt.tooLong != errors.Is(err, jwtcodec.ErrTooLong) {
				t.Fatalf("error %q: wraps ErrTooLong = %v, want %v", err, !tt.tooLong, tt.tooLong)
			}
		})
	}

	t.Run("Encode refuses what Decode would", func(t *testing.T) {
		c := newCodec(t, jwtcodec.WithMaxTokenBytes(200))
		claims := validClaims()
		claims.Extra = map[string]any{"blob": strings.Repeat("x", 200)}
		if tok, err := c.Encode(bg, claims); err == nil {
			t.Fatalf("Encode made a %d-byte token the codec cannot decode", len(tok))
		}
	})
}

// tokenOfLen returns a valid HS256 token of exactly n bytes. Base64 segment
// lengths skip some values, so it varies the header as well as a padding
// claim.
func tokenOfLen(t *testing.T, n int) string {
	t.Helper()
	for _, h := range []map[string]any{
		{"alg": "HS256"},
		{"alg": "HS256", "typ": "JWT"},
		{"alg": "HS256", "kid": "k"},
	} {
		for blob := max(0, n*3/4-300); blob < n; blob++ {
			tok := sign("HS256", testKey, seg(h), seg(payload(map[string]any{"blob": strings.Repeat("x", blob)})))
			if len(tok) == n {
				return tok
			}
			if len(tok) > n {
				break
			}
		}
	}
	t.Fatalf("could not build a token of exactly %d bytes", n)
	return ""
}

func TestConcurrentUse(t *testing.T) {
	c := newCodec(t, jwtcodec.WithIssuer("iss"), jwtcodec.WithAudience("aud"))
	const workers, rounds = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				in := validClaims()
				in.Subject = fmt.Sprintf("user%d@example.com", w)
				in.TokenVersion = int64(r)
				in.Extra = map[string]any{"worker": w, "round": r}
				tok, err := c.Encode(bg, in)
				if err != nil {
					errs <- err
					return
				}
				got, err := c.Decode(bg, tok, now)
				if err != nil {
					errs <- err
					return
				}
				if got.Subject != in.Subject || got.TokenVersion != int64(r) || got.Extra["worker"] != int64(w) {
					errs <- fmt.Errorf("worker %d round %d decoded %+v", w, r, got)
					return
				}
				// A tampered token must fail concurrently as well.
				if _, err := c.Decode(bg, tok[:len(tok)-2], now); !errors.Is(err, domain.ErrInvalidToken) {
					errs <- fmt.Errorf("truncated token: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOptionalRegisteredClaims(t *testing.T) {
	c := newCodec(t)
	nbf := now.Add(-time.Minute)
	got, err := c.Decode(bg, forge("HS256", testKey, payload(map[string]any{
		"nbf": nbf.Unix(), "iss": "https://auth.example.com", "aud": []string{"orders", "billing"}, "jti": "t-1",
	})), now)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !got.NotBefore.Equal(nbf) || got.Issuer != "https://auth.example.com" || got.ID != "t-1" ||
		!reflect.DeepEqual(got.Audience, []string{"orders", "billing"}) {
		t.Fatalf("optional claims = nbf %v, iss %q, aud %v, jti %q", got.NotBefore, got.Issuer, got.Audience, got.ID)
	}
	if _, ok := got.Extra["jti"]; ok {
		t.Fatal("jti leaked into Extra")
	}
	m := got.Map()
	if m["iss"] != "https://auth.example.com" || m["jti"] != "t-1" || m["nbf"] != nbf.Unix() {
		t.Fatalf("Map lost optional claims: %v", m)
	}

	for name, bad := range map[string]map[string]any{
		"jti number":     {"jti": 7},
		"iss number":     {"iss": 7},
		"aud number":     {"aud": 7},
		"nbf string":     {"nbf": "yesterday"},
		"aud mixed list": {"aud": []any{"a", 1}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := c.Decode(bg, forge("HS256", testKey, payload(bad)), now)
			wantInvalid(t, got, err)
		})
	}
}

// TestDecodeErrors pins the sentinel each fault is reported with, and the
// order of the checks when a token has several faults.
func TestDecodeErrors(t *testing.T) {
	const iss, aud = "https://auth.example.com", "admin-api"
	valid := forge("HS256", testKey, payload(nil))
	vh, vp, vs := parts(t, valid)
	withIssAud := func(change map[string]any) map[string]any {
		m := map[string]any{"iss": iss, "aud": aud}
		for k, v := range change {
			m[k] = v
		}
		return payload(m)
	}
	tests := []struct {
		name  string
		opts  []jwtcodec.Option
		token string
		want  error
	}{
		{"too long", []jwtcodec.Option{jwtcodec.WithMaxTokenBytes(len(valid) - 1)}, valid, jwtcodec.ErrTooLong},
		{"too long and malformed", []jwtcodec.Option{jwtcodec.WithMaxTokenBytes(10)}, "not a token at all", jwtcodec.ErrTooLong},
		{"byte outside base64url", nil, valid + "\n", jwtcodec.ErrMalformed},
		{"two segments", nil, vh + "." + vp, jwtcodec.ErrMalformed},
		{"four segments", nil, valid + ".", jwtcodec.ErrMalformed},
		{"signature not strict base64url", nil, vh + "." + vp + "." + nonCanonical(t, vs), jwtcodec.ErrMalformed},
		{"wrong key", nil, forge("HS256", otherKey, payload(nil)), jwtcodec.ErrSignature},
		{"signature of another length", nil, forge("HS512", testKey, payload(nil)), jwtcodec.ErrSignature},
		{"wrong key and header not JSON", nil, sign("HS256", otherKey, b64([]byte("{")), vp), jwtcodec.ErrSignature},
		{"wrong key and expired", nil, forge("HS256", otherKey, payload(map[string]any{"exp": now.Unix() - 60})), jwtcodec.ErrSignature},
		{"header not base64url", nil, sign("HS256", testKey, "!!", vp), jwtcodec.ErrMalformed},
		{"header not JSON", nil, sign("HS256", testKey, b64([]byte("{")), vp), jwtcodec.ErrMalformed},
		{"payload not JSON", nil, sign("HS256", testKey, vh, b64([]byte("{"))), jwtcodec.ErrMalformed},
		{"alg none and payload not JSON", nil, sign("HS256", testKey, header("none"), b64([]byte("{"))), jwtcodec.ErrMalformed},
		{"alg none", nil, sign("HS256", testKey, header("none"), vp), jwtcodec.ErrHeader},
		{"alg missing", nil, sign("HS256", testKey, seg(map[string]any{"typ": "JWT"}), vp), jwtcodec.ErrHeader},
		{"header null", nil, sign("HS256", testKey, b64([]byte("null")), vp), jwtcodec.ErrHeader},
		{"crit", nil, sign("HS256", testKey, seg(map[string]any{"alg": "HS256", "crit": []string{"exp"}}), vp), jwtcodec.ErrHeader},
		{"crit and expired", nil, sign("HS256", testKey, seg(map[string]any{"alg": "HS256", "crit": []string{}}), seg(payload(map[string]any{"exp": now.Unix() - 60}))), jwtcodec.ErrHeader},
		{"payload null", nil, sign("HS256", testKey, vh, b64([]byte("null"))), jwtcodec.ErrClaims},
		{"exp missing", nil, forge("HS256", testKey, payload(map[string]any{"exp": del{}})), jwtcodec.ErrClaims},
		{"exp a string", nil, forge("HS256", testKey, payload(map[string]any{"exp": "tomorrow"})), jwtcodec.ErrClaims},
		{"exp after 9999", nil, forge("HS256", testKey, payload(map[string]any{"exp": 253402300800})), jwtcodec.ErrClaims},
		{"expired", nil, forge("HS256", testKey, payload(map[string]any{"exp": now.Unix() - 60})), jwtcodec.ErrExpired},
		{"expired and sub missing", nil, forge("HS256", testKey, payload(map[string]any{"exp": now.Unix() - 60, "sub": del{}})), jwtcodec.ErrExpired},
		{"nbf in the future", nil, forge("HS256", testKey, payload(map[string]any{"nbf": now.Unix() + 60})), jwtcodec.ErrNotValidYet},
		{"iat in the future", nil, forge("HS256", testKey, payload(map[string]any{"iat": now.Unix() + 60})), jwtcodec.ErrNotValidYet},
		{"nbf negative", nil, forge("HS256", testKey, payload(map[string]any{"nbf": -1})), jwtcodec.ErrClaims},
		{"aud a number", nil, forge("HS256", testKey, payload(map[string]any{"aud": 7})), jwtcodec.ErrClaims},
		{"aud a number, audience configured", []jwtcodec.Option{jwtcodec.WithAudience(aud)}, forge("HS256", testKey, payload(map[string]any{"aud": 7})), jwtcodec.ErrClaims},
		{"aud missing", []jwtcodec.Option{jwtcodec.WithAudience(aud)}, forge("HS256", testKey, payload(nil)), jwtcodec.ErrAudience},
		{"aud empty", []jwtcodec.Option{jwtcodec.WithAudience(aud)}, forge("HS256", testKey, payload(map[string]any{"aud": ""})), jwtcodec.ErrAudience},
		{"aud other", []jwtcodec.Option{jwtcodec.WithAudience(aud)}, forge("HS256", testKey, payload(map[string]any{"aud": []string{"a", "b"}})), jwtcodec.ErrAudience},
		{"iss a number", []jwtcodec.Option{jwtcodec.WithIssuer(iss)}, forge("HS256", testKey, payload(map[string]any{"iss": 7})), jwtcodec.ErrClaims},
		{"iss missing", []jwtcodec.Option{jwtcodec.WithIssuer(iss)}, forge("HS256", testKey, payload(nil)), jwtcodec.ErrIssuer},
		{"iss other", []jwtcodec.Option{jwtcodec.WithIssuer(iss)}, forge("HS256", testKey, payload(map[string]any{"iss": "https://evil.example.com"})), jwtcodec.ErrIssuer},
		{"iss other and aud other", []jwtcodec.Option{jwtcodec.WithIssuer(iss), jwtcodec.WithAudience(aud)}, forge("HS256", testKey, withIssAud(map[string]any{"iss": "x", "aud": "y"})), jwtcodec.ErrAudience},
		{"iss other and sub missing", []jwtcodec.Option{jwtcodec.WithIssuer(iss), jwtcodec.WithAudience(aud)}, forge("HS256", testKey, withIssAud(map[string]any{"iss": "x", "sub": del{}})), jwtcodec.ErrIssuer},
		{"sub missing", nil, forge("HS256", testKey, payload(map[string]any{"sub": del{}})), jwtcodec.ErrClaims},
		{"is_admin a string", nil, forge("HS256", testKey, payload(map[string]any{"is_admin": "true"})), jwtcodec.ErrClaims},
		{"ver negative", nil, forge("HS256", testKey, payload(map[string]any{"ver": -1})), jwtcodec.ErrClaims},
		{"iat missing", nil, forge("HS256", testKey, payload(map[string]any{"iat": del{}})), jwtcodec.ErrClaims},
		{"exp not after iat", nil, forge("HS256", testKey, payload(map[string]any{"iat": now.Unix() + 2, "exp": now.Unix() + 2})), jwtcodec.ErrClaims},
		{"jti a number", nil, forge("HS256", testKey, payload(map[string]any{"jti": 7})), jwtcodec.ErrClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newCodec(t, tt.opts...).Decode(bg, tt.token, now)
			wantInvalid(t, got, err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %q does not wrap %v", err, tt.want)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Fatalf("error %q wraps %v besides %v", err, s, tt.want)
				}
			}
		})
	}
}

func TestSentinelMessages(t *testing.T) {
	for _, s := range sentinels {
		if !strings.HasPrefix(s.Error(), "jwtcodec: ") {
			t.Errorf("sentinel %q lacks the package prefix", s)
		}
	}
}
