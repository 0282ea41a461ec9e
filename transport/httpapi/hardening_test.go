package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// cheapHasher is bcrypt at its lowest cost.
func cheapHasher(t testing.TB) *bcrypthash.Hasher {
	t.Helper()
	h, err := bcrypthash.New(4, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testCodec is the codec newAPI uses.
func testCodec(t testing.TB) *jwtcodec.Codec {
	t.Helper()
	c, err := jwtcodec.New([]byte("2VE10E8jbzJzo8EcH7bN8Ghc8hHlHWflkHKhc5qw"), jwtcodec.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newService returns a Service configured as cfg says, on a fresh memstore,
// the cheap hash and the test codec unless cfg names others, whose admin is
// boss@example.com / boss-password-1.
func newService(t testing.TB, cfg usecase.Config) *usecase.Service {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = memstore.New()
	}
	if cfg.Hasher == nil {
		cfg.Hasher = cheapHasher(t)
	}
	if cfg.Tokens == nil {
		cfg.Tokens = testCodec(t)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.AdminEmail, cfg.AdminPassword = "boss@example.com", "boss-password-1"
	svc, err := usecase.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureAdmin(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

// apiOn returns the API of cfg on svc.
func apiOn(t testing.TB, svc *usecase.Service, cfg httpapi.Config) *httpapi.API {
	t.Helper()
	cfg.Service = svc
	cfg.Logger = slog.New(slog.DiscardHandler)
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// countingCodec counts the Decode calls of the codec it wraps.
type countingCodec struct {
	ports.TokenCodec
	decodes atomic.Int64
}

func (c *countingCodec) Decode(ctx context.Context, token string, now time.Time) (domain.Claims, error) {
	c.decodes.Add(1)
	return c.TokenCodec.Decode(ctx, token, now)
}

// checkInvalidToken checks that resp is the 401 for an invalid token.
func checkInvalidToken(t *testing.T, what string, resp httpapi.Response) {
	t.Helper()
	checkProblem(t, what, resp, http.StatusUnauthorized)
	if resp.Header.WWWAuthenticate != `Bearer error="invalid_token"` {
		t.Errorf("%s: WWW-Authenticate %q; want Bearer error=\"invalid_token\"", what, resp.Header.WWWAuthenticate)
	}
}

// TestAuthorizationCap checks that Authenticate refuses an Authorization
// value longer than MaxAuthorizationBytes with the invalid-token 401 before
// the codec sees it, and hands one at the limit to the codec.
func TestAuthorizationCap(t *testing.T) {
	codec := &countingCodec{TokenCodec: testCodec(t)}
	// No verified-token cache: every token that passes the cap must reach
	// the codec, the valid one included.
	svc := newService(t, usecase.Config{Tokens: codec, TokenCacheSize: -1})
	valid := "Bearer " + loginToken(t, apiOn(t, svc, httpapi.Config{}), "boss@example.com", "boss-password-1")
	atDefault := "Bearer " + strings.Repeat("a", httpapi.DefaultMaxAuthorizationBytes-len("Bearer "))
	tests := []struct {
		name          string
		max           int // Config.MaxAuthorizationBytes
		authorization string
		decodes       int64 // codec calls expected
		ok            bool
	}{
		{"valid token exactly at the limit", len(valid), valid, 1, true},
		{"valid token one byte over the limit", len(valid) - 1, valid, 0, false},
		{"valid token far over the limit", 16, valid, 0, false},
		{"garbage exactly at the limit", 100, "Bearer " + strings.Repeat("x", 93), 1, false},
		{"garbage one byte over the limit", 100, "Bearer " + strings.Repeat("x", 94), 0, false},
		{"default limit (0): exactly at it", 0, atDefault, 1, false},
		{"default limit (0): one byte over", 0, atDefault + "a", 0, false},
		{"default limit (0): valid token", 0, valid, 1, true},
		{"negative limit means the default: at it", -1, atDefault, 1, false},
		{"negative limit means the default: over", -1, atDefault + "a", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := apiOn(t, svc, httpapi.Config{MaxAuthorizationBytes: tc.max})
			codec.decodes.Store(0)
			p, resp, ok := api.Authenticate(context.Background(), tc.authorization)
			if n := codec.decodes.Load(); n != tc.decodes {
				t.Errorf("Authenticate of %d bytes (limit %d) called Decode %d times; want %d", len(tc.authorization), tc.max, n, tc.decodes)
			}
			if ok != tc.ok {
				t.Fatalf("Authenticate ok = %v (%d %s); want %v", ok, resp.Status, resp.Body, tc.ok)
			}
			if ok {
				if p.Claims().Subject != "boss@example.com" {
					t.Errorf("principal %+v", p.Claims())
				}
				return
			}
			checkInvalidToken(t, "Authenticate", resp)

			// GET /me goes through the same check.
			codec.decodes.Store(0)
			resp = route(t, api, "GET", "/auth/me")(context.Background(), httpapi.Request{Authorization: tc.authorization})
			checkInvalidToken(t, "GET /auth/me", resp)
			if n := codec.decodes.Load(); n != tc.decodes {
				t.Errorf("GET /auth/me called Decode %d times; want %d", n, tc.decodes)
			}
		})
	}
}

// fixedLimiter is a ports.LoginLimiter that always asks for the same wait,
// and records the attempts it is asked about.
type fixedLimiter struct {
	wait time.Duration

	mu       sync.Mutex
	attempts []ports.LoginAttempt
}

func (l *fixedLimiter) Wait(ctx context.Context, a ports.LoginAttempt, now time.Time) (time.Duration, error) {
	return l.Attempt(ctx, a, now)
}

func (l *fixedLimiter) Attempt(_ context.Context, a ports.LoginAttempt, _ time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
	return l.wait, nil
}

func (l *fixedLimiter) Succeeded(context.Context, ports.LoginAttempt, time.Time) error { return nil }

// loginRequest is a POST /login of email and password from remote, as a
// form or, if asJSON, a JSON body.
func loginRequest(email, password, remote string, asJSON bool) httpapi.Request {
	if asJSON {
		return httpapi.Request{
			ContentType: "application/json", RemoteAddr: remote,
			Body: strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)),
		}
	}
	return httpapi.Request{
		ContentType: "application/x-www-form-urlencoded", RemoteAddr: remote,
		Body: strings.NewReader(url.Values{"username": {email}, "password": {password}}.Encode()),
	}
}

// TestLoginThrottled checks that a login the limiter refuses is a 429
// problem document whose Retry-After is the wait in whole seconds, rounded
// up, even with the right password.
func TestLoginThrottled(t *testing.T) {
	tests := []struct {
		wait       time.Duration
		retryAfter string
	}{
		{1500 * time.Millisecond, "2"},
		{200 * time.Millisecond, "1"},
		{time.Nanosecond, "1"},
		{time.Second, "1"},
		{time.Second + time.Nanosecond, "2"},
		{90 * time.Second, "90"},
	}
	for _, tc := range tests {
		for _, asJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v json=%v", tc.wait, asJSON), func(t *testing.T) {
				limiter := &fixedLimiter{wait: tc.wait}
				api := apiOn(t, newService(t, usecase.Config{Limiter: limiter}), httpapi.Config{RefusalHold: -1})
				resp := route(t, api, "POST", "/auth/login")(context.Background(),
					loginRequest("Boss@Example.com", "boss-password-1", "192.0.2.10:40000", asJSON))
				checkProblem(t, "throttled login", resp, http.StatusTooManyRequests)
				if resp.Header.RetryAfter != tc.retryAfter {
					t.Errorf("Retry-After %q; want %q", resp.Header.RetryAfter, tc.retryAfter)
				}
				if resp.Header.WWWAuthenticate != "" || resp.Header.CacheControl != "" {
					t.Errorf("429 with headers %+v", resp.Header)
				}
				if strings.Contains(string(resp.Body), "access_token") {
					t.Errorf("429 body %s", resp.Body)
				}
				want := []ports.LoginAttempt{{Account: "boss@example.com", Client: "192.0.2.10"}}
				limiter.mu.Lock()
				defer limiter.mu.Unlock()
				if fmt.Sprint(limiter.attempts) != fmt.Sprint(want) {
					t.Errorf("limiter asked about %+v; want %+v", limiter.attempts, want)
				}
			})
		}
	}
}

// TestRetryAfter checks the Retry-After of every kind of retry error: whole
// seconds rounded up, at least 1, also when the error carries no wait.
func TestRetryAfter(t *testing.T) {
	api := newAPI(t, nil)
	retry := func(err error, after time.Duration) error { return &domain.RetryError{Err: err, After: after} }
	tests := []struct {
		err        error
		status     int
		retryAfter string
	}{
		{retry(domain.ErrTooManyAttempts, 1500*time.Millisecond), 429, "2"},
		{retry(domain.ErrTooManyAttempts, 200*time.Millisecond), 429, "1"},
		{retry(domain.ErrTooManyAttempts, 0), 429, "1"},
		{retry(domain.ErrTooManyAttempts, -time.Hour), 429, "1"},
		{retry(domain.ErrTooManyAttempts, 15*time.Minute), 429, "900"},
		{retry(domain.ErrTooManyAttempts, math.MaxInt64), 429, "9223372037"},
		{fmt.Errorf("usecase: login: %w", retry(domain.ErrTooManyAttempts, 2*time.Second)), 429, "2"},
		{domain.ErrTooManyAttempts, 429, "1"},
		{retry(domain.ErrOverloaded, 10*time.Millisecond), 503, "1"},
		{retry(domain.ErrOverloaded, 2*time.Second+time.Millisecond), 503, "3"},
		{fmt.Errorf("usecase: login: %w", retry(domain.ErrOverloaded, 2*time.Second)), 503, "2"},
		{domain.ErrOverloaded, 503, "1"},
	}
	for _, tc := range tests {
		resp := api.FailForTest(tc.err)
		checkProblem(t, tc.err.Error(), resp, tc.status)
		if resp.Header.RetryAfter != tc.retryAfter {
			t.Errorf("%v: Retry-After %q; want %q", tc.err, resp.Header.RetryAfter, tc.retryAfter)
		}
	}
}

// blockingHasher holds every Compare until release is closed, reporting on
// entered when one starts.
type blockingHasher struct {
	ports.PasswordHasher
	entered chan struct{}
	release chan struct{}
}

func (h *blockingHasher) Compare(ctx context.Context, hash, password string) error {
	h.entered <- struct{}{}
	<-h.release
	return h.PasswordHasher.Compare(ctx, hash, password)
}

// TestLoginOverloaded checks that while the only hashing slot is taken,
// logins (and registrations) that wait HashWait for it get a 503 problem
// document with Retry-After 1, and that the login holding the slot then
// completes.
// A refusal with Retry-After is held for RefusalHold before it is
// returned, unless the request's context ends first; other answers are not
// held.
func TestRefusalHold(t *testing.T) {
	const hold = 300 * time.Millisecond
	limiter := &fixedLimiter{wait: time.Minute}
	api := apiOn(t, newService(t, usecase.Config{Limiter: limiter}), httpapi.Config{RefusalHold: hold})
	login := route(t, api, "POST", "/auth/login")
	start := time.Now()
	resp := login(context.Background(), loginRequest("boss@example.com", "boss-password-1", "192.0.2.10:40000", false))
	if took := time.Since(start); resp.Status != http.StatusTooManyRequests || took < hold {
		t.Fatalf("throttled login: status %d after %v; want 429 after at least %v", resp.Status, took, hold)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	resp = login(ctx, loginRequest("boss@example.com", "boss-password-1", "192.0.2.10:40000", false))
	if took := time.Since(start); resp.Status != http.StatusTooManyRequests || took >= hold {
		t.Fatalf("throttled login whose client went away: status %d after %v; want 429 before the hold of %v", resp.Status, took, hold)
	}
	start = time.Now()
	resp = login(context.Background(), loginRequest("boss@example.com", "", "192.0.2.10:40000", false))
	if took := time.Since(start); resp.Header.RetryAfter == "" && took >= hold {
		t.Fatalf("a %d without Retry-After was held %v", resp.Status, took)
	}
	// Never longer than the Retry-After itself.
	short := apiOn(t, newService(t, usecase.Config{Limiter: &fixedLimiter{wait: time.Second}}), httpapi.Config{RefusalHold: time.Minute})
	start = time.Now()
	resp = route(t, short, "POST", "/auth/login")(context.Background(), loginRequest("boss@example.com", "boss-password-1", "192.0.2.10:40000", false))
	if took := time.Since(start); resp.Header.RetryAfter != "1" || took < time.Second || took > 30*time.Second {
		t.Fatalf("hold of a minute, Retry-After %q: answered after %v; want after the Retry-After's second", resp.Header.RetryAfter, took)
	}
}

func TestLoginOverloaded(t *testing.T) {
	hasher := &blockingHasher{PasswordHasher: cheapHasher(t), entered: make(chan struct{}, 8), release: make(chan struct{})}
	svc := newService(t, usecase.Config{Hasher: hasher, HashConcurrency: 1, HashWait: 10 * time.Millisecond})
	api := apiOn(t, svc, httpapi.Config{RefusalHold: -1})
	login := route(t, api, "POST", "/auth/login")

	first := make(chan httpapi.Response, 1)
	go func() {
		first <- login(context.Background(), loginRequest("boss@example.com", "boss-password-1", "192.0.2.1:1000", false))
	}()
	released := false
	defer func() {
		if !released {
			close(hasher.release)
		}
	}()
	select {
	case <-hasher.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first login never reached Compare")
	}

	for _, tc := range []struct {
		name string
		req  httpapi.Request
		h    func(context.Context, httpapi.Request) httpapi.Response
	}{
		{"login, known email", loginRequest("boss@example.com", "wrong-password", "192.0.2.2:1000", false), login},
		{"login, unknown email", loginRequest("nobody@example.com", "whatever-1", "192.0.2.3:1000", true), login},
		{"register", httpapi.Request{
			ContentType: "application/json",
			Body:        strings.NewReader(`{"email":"ann@example.com","password":"correct horse"}`),
		}, route(t, api, "POST", "/auth/register")},
	} {
		start := time.Now()
		answer := make(chan httpapi.Response, 1)
		go func() { answer <- tc.h(context.Background(), tc.req) }()
		var resp httpapi.Response
		select {
		case resp = <-answer:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer after 10 s: it got a hashing slot while the only one was taken", tc.name)
		}
		checkProblem(t, tc.name, resp, http.StatusServiceUnavailable)
		if resp.Header.RetryAfter != "1" {
			t.Errorf("%s: Retry-After %q; want 1", tc.name, resp.Header.RetryAfter)
		}
		if d := time.Since(start); d < 10*time.Millisecond {
			t.Errorf("%s: refused after %v, before HashWait", tc.name, d)
		}
	}
	if n := len(hasher.entered); n != 0 {
		t.Errorf("%d refused requests reached Compare", n)
	}

	close(hasher.release)
	released = true
	select {
	case resp := <-first:
		if resp.Status != http.StatusOK {
			t.Errorf("the login holding the slot: %d %s", resp.Status, resp.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first login never finished")
	}
}
