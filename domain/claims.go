package domain

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Names of the claims the library itself writes and reads.
const (
	ClaimSubject   = "sub"
	ClaimExpiresAt = "exp"
	ClaimIssuedAt  = "iat"
	ClaimNotBefore = "nbf"
	ClaimIssuer    = "iss"
	ClaimAudience  = "aud"
	ClaimID        = "jti"
	ClaimIsAdmin   = "is_admin"
	ClaimVersion   = "ver"
)

// reservedClaims lists the claim names extra claims may never use: the JWT
// registered claims and the ones this library relies on.
var reservedClaims = map[string]bool{
	ClaimSubject: true, ClaimExpiresAt: true, ClaimIssuedAt: true,
	ClaimNotBefore: true, ClaimIssuer: true, ClaimAudience: true,
	ClaimID: true, ClaimIsAdmin: true, ClaimVersion: true,
}

// IsReservedClaim reports whether name is a claim extra claims may not set:
// the JWT registered claims "sub", "exp", "iat", "nbf", "iss", "aud" and
// "jti", and this library's "is_admin" and "ver".
func IsReservedClaim(name string) bool { return reservedClaims[name] }

// Claims is what an access token says about its bearer.
type Claims struct {
	// Subject is the user's normalised email (claim "sub").
	Subject string
	// IsAdmin is the admin flag at issue time (claim "is_admin").
	IsAdmin bool
	// TokenVersion is the user's TokenVersion at issue time (claim "ver").
	TokenVersion int64
	// IssuedAt and ExpiresAt bound the token's life (claims "iat", "exp"),
	// with one-second precision.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// NotBefore, Issuer, Audience and ID are the optional registered
	// claims "nbf", "iss", "aud" and "jti" of a decoded token (zero when
	// absent). A token codec sets issuer and audience from its own
	// configuration when it encodes; these fields report what a verified
	// token carried.
	NotBefore time.Time
	Issuer    string
	Audience  []string
	ID        string
	// Extra holds every other claim: the tenant claims added at login
	// (company_id, role, ...). Decoded JSON numbers are int64 when they are
	// integers that fit, so large IDs come back exact; other numbers are
	// float64, or json.Number for integers beyond int64.
	Extra map[string]any
}

// Clone returns a deep copy of c: its Audience and its Extra map, with the
// maps and slices nested in it, are new, so changing the copy changes
// nothing c refers to. It allocates only when c has an audience or extra
// claims. Nested values are copied when they are map[string]any or []any,
// the only containers a decoded token holds (NormalizeClaimValue); a codec
// that puts other mutable types in Extra must not share them.
func (c Claims) Clone() Claims {
	c.Audience = slices.Clone(c.Audience)
	if c.Extra != nil {
		c.Extra = cloneClaimValue(c.Extra).(map[string]any)
	}
	return c
}

// cloneClaimValue deep-copies the maps and slices of a claim value; other
// values (strings, numbers, booleans) are immutable and returned as they
// are.
func cloneClaimValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneClaimValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneClaimValue(e)
		}
		return s
	}
	return v
}

// CheckExtraClaims returns an error wrapping ErrReservedClaim, naming the
// claim, if any key of extra is reserved.
func CheckExtraClaims(extra map[string]any) error {
	for k := range extra {
		if IsReservedClaim(k) {
			return fmt.Errorf("%w %q: extra claims cannot override it", ErrReservedClaim, k)
		}
	}
	return nil
}

// Claim returns the extra claim called name.
func (c Claims) Claim(name string) (any, bool) {
	v, ok := c.Extra[name]
	return v, ok
}

// StringClaim returns the extra claim called name if it is a string.
func (c Claims) StringClaim(name string) (string, bool) {
	s, ok := c.Extra[name].(string)
	return s, ok
}

// Int64Claim returns the extra claim called name if it is an integer that
// fits in an int64, whatever Go integer type it was set with.
func (c Claims) Int64Claim(name string) (int64, bool) {
	switch v := c.Extra[name].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
	}
	return 0, false
}

// Map returns every claim, registered and extra, keyed by claim name, as the
// token carries them: times as Unix seconds, an audience of one as a string.
// Optional registered claims appear only when set.
func (c Claims) Map() map[string]any {
	m := make(map[string]any, len(c.Extra)+9)
	maps.Copy(m, c.Extra)
	m[ClaimSubject] = c.Subject
	m[ClaimIsAdmin] = c.IsAdmin
	m[ClaimVersion] = c.TokenVersion
	m[ClaimIssuedAt] = c.IssuedAt.Unix()
	m[ClaimExpiresAt] = c.ExpiresAt.Unix()
	if !c.NotBefore.IsZero() {
		m[ClaimNotBefore] = c.NotBefore.Unix()
	}
	if c.Issuer != "" {
		m[ClaimIssuer] = c.Issuer
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		m[ClaimAudience] = c.Audience[0]
	default:
		m[ClaimAudience] = c.Audience
	}
	if c.ID != "" {
		m[ClaimID] = c.ID
	}
	return m
}

// NormalizeClaimValue turns a value decoded by a json.Decoder with UseNumber
// into the Go types Claims documents: integers that fit become int64, other
// numbers float64 (or json.Number when an integer exceeds int64), and maps
// and slices are converted recursively. Other values are returned as they
// are.
func NormalizeClaimValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil && !isIntegerLiteral(string(x)) {
			return f
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = NormalizeClaimValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = NormalizeClaimValue(e)
		}
		return x
	}
	return v
}

// isIntegerLiteral reports whether s is a JSON number without fraction or
// exponent.
func isIntegerLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}
