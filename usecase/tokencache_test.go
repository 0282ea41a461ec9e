package usecase_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// countingCodec counts Decode calls of the codec it wraps.
type countingCodec struct {
	ports.TokenCodec
	decodes atomic.Int64
}

func (c *countingCodec) Decode(ctx context.Context, token string, now time.Time) (domain.Claims, error) {
	c.decodes.Add(1)
	return c.TokenCodec.Decode(ctx, token, now)
}

// StableVerdicts passes on the wrapped codec's promise: the counting
// changes nothing about its verdicts.
func (c *countingCodec) StableVerdicts() bool {
	s, ok := c.TokenCodec.(ports.StableTokenCodec)
	return ok && s.StableVerdicts()
}

// opaqueCodec hides whether the codec it wraps is a StableTokenCodec, as a
// custom codec that makes no promise would.
type opaqueCodec struct{ ports.TokenCodec }

// newCountingEnv is newEnv with a codec that counts its Decode calls.
func newCountingEnv(t testing.TB, edit ...func(*usecase.Config)) (*env, *countingCodec) {
	t.Helper()
	codec, err := jwtcodec.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingCodec{TokenCodec: codec}
	e := newEnv(t, append([]func(*usecase.Config){func(c *usecase.Config) { c.Tokens = cc }}, edit...)...)
	return e, cc
}

// A token presented again is not decoded again; a negative TokenCacheSize
// decodes it every time.
func TestTokenCacheSparesDecode(t *testing.T) {
	for _, tt := range []struct {
		size        int
		wantDecodes int64
	}{{0, 1}, {-1, 5}} {
		t.Run(fmt.Sprintf("TokenCacheSize=%d", tt.size), func(t *testing.T) {
			e, codec := newCountingEnv(t, func(c *usecase.Config) { c.TokenCacheSize = tt.size })
			tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")}
			for range 5 {
				wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
			}
			if n := codec.decodes.Load(); n != tt.wantDecodes {
				t.Fatalf("%d Decode calls for 5 Authenticates, want %d", n, tt.wantDecodes)
			}
			if tt.size < 0 && usecase.TokenCacheLen(e.svc) != -1 {
				t.Fatal("a token cache exists with a negative TokenCacheSize")
			}
		})
	}
}

// A cached token stops being used at its expiry: from then on the codec
// decides, with its leeway, exactly as without the cache.
func TestTokenCacheHonoursExpiry(t *testing.T) {
	e, codec := newCountingEnv(t)
	tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")} // expires in an hour
	wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
	e.clock.Advance(time.Hour - time.Second)
	wantErr(t, "Authenticate a second before expiry", e.authenticate(t, tok), nil)
	if n := codec.decodes.Load(); n != 1 {
		t.Fatalf("%d Decode calls before expiry, want 1 (the rest from the cache)", n)
	}
	e.clock.Advance(time.Second + jwtcodec.DefaultLeeway/2)
	wantErr(t, "Authenticate past expiry, within the codec's leeway", e.authenticate(t, tok), nil)
	if n := codec.decodes.Load(); n != 2 {
		t.Fatalf("%d Decode calls, want 2: an expired entry must not be used", n)
	}
	e.clock.Advance(jwtcodec.DefaultLeeway)
	wantErr(t, "Authenticate past expiry and leeway", e.authenticate(t, tok), domain.ErrInvalidToken)
}

// Only the exact token hits: a token differing in one character, or a
// prefix or extension of a cached one, goes to the codec and is refused.
func TestTokenCacheMatchesWholeToken(t *testing.T) {
	e, codec := newCountingEnv(t)
	tok := mintToken(t, e, "ann@example.com")
	wantErr(t, "Authenticate", e.authenticate(t, usecase.Token{AccessToken: tok}), nil)
	flipped := tok[:len(tok)-1] + "A"
	if flipped == tok {
		flipped = tok[:len(tok)-1] + "Q"
	}
	for _, bad := range []string{flipped, tok[:len(tok)-1], tok + "A", tok + ".", strings.ToUpper(tok), " " + tok} {
		before := codec.decodes.Load()
		wantErr(t, fmt.Sprintf("Authenticate(%q...)", bad[len(bad)-8:]), e.authenticate(t, usecase.Token{AccessToken: bad}), domain.ErrInvalidToken)
		if codec.decodes.Load() != before+1 {
			t.Fatalf("a token differing from a cached one was not decoded")
		}
	}
	if n := usecase.TokenCacheLen(e.svc); n != 1 {
		t.Fatalf("%d tokens cached, want 1: refused tokens must not be cached", n)
	}
}

// Revocation reaches cached tokens at once, and the refused token leaves
// the cache.
func TestTokenCacheRevocation(t *testing.T) {
	for _, tt := range []struct {
		name   string
		revoke func(t *testing.T, e *env, admin, ann usecase.Principal)
	}{
		{"Reject", func(t *testing.T, e *env, admin, _ usecase.Principal) {
			if _, err := e.svc.Reject(t.Context(), admin, "ann@example.com"); err != nil {
				t.Fatal(err)
			}
		}},
		{"ChangePassword", func(t *testing.T, e *env, _, ann usecase.Principal) {
			if err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2"); err != nil {
				t.Fatal(err)
			}
		}},
		{"outside write after the user cache's TTL", func(t *testing.T, e *env, _, _ usecase.Principal) {
			editStored(t, e.store, "ann@example.com", func(u *domain.User) { u.TokenVersion++ })
			e.clock.Advance(usecase.DefaultUserCacheTTL)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, codec := newCountingEnv(t)
			admin := e.admin(t)
			tok := e.approvedUser(t, admin, "ann@example.com", "password1")
			ann := e.as(t, tok)
			wantErr(t, "Authenticate again", e.authenticate(t, tok), nil)
			cached := usecase.TokenCacheLen(e.svc)
			before := codec.decodes.Load()
			tt.revoke(t, e, admin, ann)
			wantErr(t, "Authenticate of the revoked token", e.authenticate(t, tok), domain.ErrInvalidToken)
			if codec.decodes.Load() != before {
				t.Fatal("the revoked token was decoded again: the test did not exercise the cache")
			}
			if n := usecase.TokenCacheLen(e.svc); n != cached-1 {
				t.Fatalf("%d tokens cached after the refusal, want %d", n, cached-1)
			}
			wantErr(t, "Authenticate of the revoked token again", e.authenticate(t, tok), domain.ErrInvalidToken)
		})
	}
}

// A transport may pass a token backed by a buffer it reuses for the next
// request (fasthttp does): the cache keeps its own copy.
func TestTokenCacheCopiesToken(t *testing.T) {
	e, codec := newCountingEnv(t)
	tok := mintToken(t, e, "ann@example.com")
	buf := []byte(tok)
	borrowed := unsafe.String(&buf[0], len(buf))
	wantErr(t, "Authenticate", e.authenticate(t, usecase.Token{AccessToken: borrowed}), nil)
	for i := range buf {
		buf[i] = 'x' // the transport reuses its buffer
	}
	wantErr(t, "Authenticate of the same token, newly read", e.authenticate(t, usecase.Token{AccessToken: strings.Clone(tok)}), nil)
	if n := codec.decodes.Load(); n != 1 {
		t.Fatalf("%d Decode calls, want 1: the cached key was corrupted by the reused buffer", n)
	}
}

// noopCodec accepts any token "t<N>" as user N%users's, without crypto, so
// that a million tokens can go through Authenticate quickly.
type noopCodec struct {
	users int
	exp   time.Time
}

func (noopCodec) Encode(context.Context, domain.Claims) (string, error) { return "", nil }

func (c noopCodec) Decode(_ context.Context, token string, now time.Time) (domain.Claims, error) {
	var n int
	if _, err := fmt.Sscanf(token, "t%d", &n); err != nil {
		return domain.Claims{}, domain.ErrInvalidToken
	}
	return domain.Claims{Subject: fmt.Sprintf("user%d@example.com", n%c.users), IssuedAt: now, ExpiresAt: c.exp}, nil
}

// A million distinct tokens, each presented once, keep the cache at its
// bound and the heap near where it started.
func TestTokenCacheBoundedUnderDistinctTokens(t *testing.T) {
	const (
		size   = 1000
		tokens = 1_000_000
		users  = 100
	)
	store := memstore.New()
	e := newEnvOn(t, store, func(c *usecase.Config) {
		c.TokenCacheSize = size
		c.Tokens = noopCodec{users: users, exp: time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)}
	})
	now := e.clock.Now()
	for i := range users {
		if err := store.Create(t.Context(), domain.User{
			Email: fmt.Sprintf("user%d@example.com", i), PasswordHash: "-", Status: domain.StatusApproved,
			CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			t.Fatal(err)
		}
	}
	heapAfter := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var base uint64
	peak := 0
	for i := range tokens {
		if _, err := e.svc.Authenticate(t.Context(), fmt.Sprintf("t%d", i)); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if i == 2*size {
			base = heapAfter() // the cache is full by now
		}
		if i%997 == 0 {
			peak = max(peak, usecase.TokenCacheLen(e.svc))
		}
	}
	peak = max(peak, usecase.TokenCacheLen(e.svc))
	if peak > size {
		t.Fatalf("%d tokens cached, bound %d", peak, size)
	}
	grown := int64(heapAfter()) - int64(base)
	t.Logf("%d tokens: at most %d cached; heap %+d bytes between token %d and the end", tokens, peak, grown, 2*size)
	// A full cache of size entries is a few hundred KiB; without a bound a
	// million entries would be hundreds of MiB.
	if grown > 4<<20 {
		t.Fatalf("heap grew by %d bytes while the cache stayed full", grown)
	}
}

// The cache is on by default only for a codec that promises stable
// verdicts; for another codec it takes an explicit TokenCacheSize.
func TestTokenCacheOnlyForStableCodecsByDefault(t *testing.T) {
	for _, tt := range []struct {
		name        string
		size        int
		wantDecodes int64
	}{
		{"default size", 0, 5},
		{"explicit size", 10, 1},
		{"negative size", -1, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			codec, err := jwtcodec.New(testKey)
			if err != nil {
				t.Fatal(err)
			}
			counting := &countingCodec{TokenCodec: opaqueCodec{codec}}
			e := newEnv(t, func(c *usecase.Config) { c.Tokens, c.TokenCacheSize = counting, tt.size })
			tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")}
			for range 5 {
				wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
			}
			if n := counting.decodes.Load(); n != tt.wantDecodes {
				t.Fatalf("%d Decode calls for 5 Authenticates by a codec without StableVerdicts, want %d", n, tt.wantDecodes)
			}
		})
	}
}

// A clock stepped back before the time a token was cached misses the cache:
// the codec decides, and refuses a token "used before issued".
func TestTokenCacheClockSteppedBack(t *testing.T) {
	e, codec := newCountingEnv(t)
	tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")} // issued now
	wantErr(t, "Authenticate", e.authenticate(t, tok), nil)
	e.clock.Advance(-time.Hour)
	wantErr(t, "Authenticate an hour before the token was issued", e.authenticate(t, tok), domain.ErrInvalidToken)
	if n := codec.decodes.Load(); n != 2 {
		t.Fatalf("%d Decode calls, want 2: the entry must not be used before the time it was verified", n)
	}
}

// Claims handed to one request are its own: changing them, nested values
// and audience included, does not reach the next request with the token.
func TestTokenCacheClaimsAreCopies(t *testing.T) {
	e, codec := newCountingEnv(t, func(c *usecase.Config) {
		c.ClaimsHook = func(context.Context, domain.User) (map[string]any, error) {
			return map[string]any{"role": "viewer", "perms": []any{"read"}, "org": map[string]any{"id": "acme"}}, nil
		}
	})
	jc, err := jwtcodec.New(testKey, jwtcodec.WithAudience("orders-api"))
	if err != nil {
		t.Fatal(err)
	}
	codec.TokenCodec = jc // tokens carry "aud" too
	admin := e.admin(t)
	tok := e.approvedUser(t, admin, "ann@example.com", "password1")
	before := codec.decodes.Load()
	first := e.as(t, tok).Claims()
	first.Extra["role"] = "owner"
	first.Extra["perms"].([]any)[0] = "write"
	first.Extra["org"].(map[string]any)["id"] = "evil"
	first.Audience[0] = "admin-api"
	again := e.as(t, tok)
	if n := codec.decodes.Load() - before; n != 1 {
		t.Fatalf("%d Decode calls for two Authenticates: the second did not come from the cache", n)
	}
	got := again.Claims()
	if got.Extra["role"] != "viewer" || got.Extra["perms"].([]any)[0] != "read" || got.Extra["org"].(map[string]any)["id"] != "acme" {
		t.Fatalf("a change to one request's claims reached the next: %v", got.Extra)
	}
	if len(got.Audience) != 1 || got.Audience[0] != "orders-api" {
		t.Fatalf("a change to one request's audience reached the next: %v", got.Audience)
	}
}

// The cache keeps the time it verified a token by the wall clock only:
// with the monotonic reading time.Now carries, a clock stepped back would
// still be "after" it.
func TestTokenCacheVerifiedAtByWallClock(t *testing.T) {
	e, _ := newCountingEnv(t, func(c *usecase.Config) { c.Now = time.Now })
	now := time.Now()
	if err := e.store.Create(t.Context(), domain.User{
		Email: "ann@example.com", PasswordHash: "-", Status: domain.StatusApproved,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}); err != nil {
		t.Fatal(err)
	}
	codec, err := jwtcodec.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	issued := now.Truncate(time.Second)
	tok, err := codec.Encode(t.Context(), domain.Claims{Subject: "ann@example.com", IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "Authenticate", e.authenticate(t, usecase.Token{AccessToken: tok}), nil)
	at, ok := usecase.TokenCacheVerifiedAt(e.svc, tok)
	if !ok {
		t.Fatal("the token was not cached")
	}
	if strings.Contains(at.String(), "m=") {
		t.Fatalf("the entry's time %v has a monotonic reading", at)
	}
}

// A token the user check refuses on first sight is never cached, and
// neither is a token over 2 KiB (verified on every use instead).
func TestTokenCacheKeepsOnlyAcceptedSmallTokens(t *testing.T) {
	e, codec := newCountingEnv(t)
	tok := usecase.Token{AccessToken: mintToken(t, e, "ann@example.com")}
	editStored(t, e.store, "ann@example.com", func(u *domain.User) { u.Status = domain.StatusRejected })
	wantErr(t, "Authenticate of a rejected user's token", e.authenticate(t, tok), domain.ErrInvalidToken)
	if n := usecase.TokenCacheLen(e.svc); n != 0 {
		t.Fatalf("%d tokens cached after a refusal on first sight", n)
	}

	now := e.clock.Now().UTC()
	if err := e.store.Create(t.Context(), domain.User{
		Email: "bob@example.com", PasswordHash: "-", Status: domain.StatusApproved, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	jc, err := jwtcodec.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	issued := now.Truncate(time.Second)
	big, err := jc.Encode(t.Context(), domain.Claims{Subject: "bob@example.com", IssuedAt: issued, ExpiresAt: issued.Add(time.Hour),
		Extra: map[string]any{"note": strings.Repeat("x", 2<<10)}})
	if err != nil {
		t.Fatal(err)
	}
	before := codec.decodes.Load()
	for range 3 {
		wantErr(t, "Authenticate of a token over 2 KiB", e.authenticate(t, usecase.Token{AccessToken: big}), nil)
	}
	if n := codec.decodes.Load() - before; n != 3 {
		t.Fatalf("%d Decode calls for 3 Authenticates of a %d-byte token, want 3", n, len(big))
	}
	if n := usecase.TokenCacheLen(e.svc); n != 0 {
		t.Fatalf("%d tokens cached, want none", n)
	}
}
