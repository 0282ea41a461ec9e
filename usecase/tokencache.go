package usecase

import (
	"sync"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// maxCachedTokenBytes is the longest token the verified-token cache keeps,
// so that its memory stays within TokenCacheSize entries of a few hundred
// bytes (the tokens Login issues) even if a codec accepts long ones. Longer
// tokens are verified on every use.
const maxCachedTokenBytes = 2 << 10

// tokenCache remembers tokens the codec has verified, keyed by the exact
// token string, with their claims, so that a token presented again skips
// the signature check and the JSON decoding.
//
// A hit is worth exactly what a fresh Decode would return, for a codec that
// keeps ports.StableTokenCodec's promise: its acceptance of a token depends
// only on the token and the time, and only grows with time until the token
// expires (a future "nbf" or "iat" becomes acceptable, nothing else
// changes). So an entry is used only from the time the codec accepted the
// token (a clock stepped back before it is a miss) until the token's "exp";
// outside that window Decode decides, leeway included. The cache stands in
// for the codec only:
// Authenticate still checks the user's state on every hit, so rejection,
// password changes and revocation apply to cached tokens as to any other.
// The token is the whole key, compared in full: two tokens share an entry
// only if they are the same string.
type tokenCache struct {
	max int

	mu      sync.RWMutex
	entries map[string]verifiedToken
}

// verifiedToken is what the codec returned for a token, and when.
type verifiedToken struct {
	claims     domain.Claims
	verifiedAt time.Time
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{max: size, entries: make(map[string]verifiedToken)}
}

// get returns the claims token was verified with, if it was, no later than
// now, and has not expired at now.
func (c *tokenCache) get(token string, now time.Time) (domain.Claims, bool) {
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok || now.Before(e.verifiedAt) || !now.Before(e.claims.ExpiresAt) {
		return domain.Claims{}, false
	}
	return e.claims, true
}

// put remembers that token verified to claims. token must be the caller's
// own string (Authenticate copies a borrowed one before it gets here). A
// full cache first drops expired entries, then random ones, down to 7/8 of
// its size.
func (c *tokenCache) put(token string, claims domain.Claims, now time.Time) {
	if len(token) > maxCachedTokenBytes || !now.Before(claims.ExpiresAt) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[token]; ok {
		return
	}
	if len(c.entries) >= c.max {
		shrink(c.entries, shrinkTarget(c.max), func(_ string, e verifiedToken) bool { return !now.Before(e.claims.ExpiresAt) })
	}
	// Round(0) drops the monotonic clock reading: with one on both sides,
	// Before would compare monotonic readings, which never go back, and a
	// wall clock stepped back would still hit.
	c.entries[token] = verifiedToken{claims: claims, verifiedAt: now.Round(0)}
}

// forget drops token, which Authenticate has just refused.
func (c *tokenCache) forget(token string) {
	c.mu.Lock()
	delete(c.entries, token)
	c.mu.Unlock()
}

// len returns the number of entries (for tests).
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
