package jwtcodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authadmin/authadmin/domain"
)

// KeyOf exposes the codec's key to the external tests, which check that a
// generated key is never logged.
func KeyOf(c *Codec) []byte { return c.key }

// ReferenceDecode is Decode as it was before it had its own parser: the
// token checks of Decode followed by golang-jwt's ParseWithClaims into
// jwt.MapClaims and the conversion of the map into domain.Claims. The
// differential tests hold Decode to it: both must accept and refuse the
// same tokens and return the same claims.
func ReferenceDecode(c *Codec, token string, now time.Time) (domain.Claims, error) {
	if len(token) > c.maxBytes {
		return domain.Claims{}, fmt.Errorf("%w: longer than %d bytes", domain.ErrInvalidToken, c.maxBytes)
	}
	for i := 0; i < len(token); i++ {
		if !refIsTokenByte(token[i]) {
			return domain.Claims{}, fmt.Errorf("%w: byte 0x%02x at offset %d is not base64url or '.'", domain.ErrInvalidToken, token[i], i)
		}
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{c.method.Alg()}),
		jwt.WithJSONNumber(),
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(c.leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if c.issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.issuer))
	}
	if c.audience != "" {
		opts = append(opts, jwt.WithAudience(c.audience))
	}
	m := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(token, m, c.refKeyFor)
	if err != nil {
		return domain.Claims{}, fmt.Errorf("%w: %w", domain.ErrInvalidToken, err)
	}
	claims, err := refFromMap(m)
	if err != nil {
		return domain.Claims{}, fmt.Errorf("%w: %w", domain.ErrInvalidToken, err)
	}
	// The one rule Decode adds to golang-jwt's: time claims are numbers
	// of seconds from 1970 to the end of 9999.
	for _, name := range []string{domain.ClaimExpiresAt, domain.ClaimNotBefore, domain.ClaimIssuedAt} {
		if n, ok := m[name].(json.Number); ok {
			if f, _ := strconv.ParseFloat(string(n), 64); !(f >= 0 && f <= 253402300799) {
				return domain.Claims{}, fmt.Errorf("%w: claim %s outside 1970..9999", domain.ErrInvalidToken, name)
			}
		}
	}
	return claims, nil
}

// refKeyFor is the key lookup of ReferenceDecode. It refuses a header with
// "crit", which golang-jwt does not check.
func (c *Codec) refKeyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errCritical
	}
	return c.key, nil
}

// refFromMap turns verified JWT claims into domain.Claims, checking the
// types of the claims the library relies on.
func refFromMap(m jwt.MapClaims) (domain.Claims, error) {
	var c domain.Claims
	var ok bool
	if c.Subject, ok = m[domain.ClaimSubject].(string); !ok || c.Subject == "" {
		return c, errors.New("claim sub missing or not a string")
	}
	if c.IsAdmin, ok = m[domain.ClaimIsAdmin].(bool); !ok {
		return c, errors.New("claim is_admin missing or not a boolean")
	}
	ver, ok := m[domain.ClaimVersion].(json.Number)
	if !ok {
		return c, errors.New("claim ver missing or not a number")
	}
	v, err := ver.Int64()
	if err != nil || v < 0 {
		return c, errors.New("claim ver is not a non-negative integer")
	}
	c.TokenVersion = v
	iat, err := m.GetIssuedAt()
	if err != nil || iat == nil {
		return c, errors.New("claim iat missing or not a number")
	}
	exp, err := m.GetExpirationTime()
	if err != nil || exp == nil {
		return c, errors.New("claim exp missing or not a number")
	}
	c.IssuedAt, c.ExpiresAt = iat.Time, exp.Time
	if !c.ExpiresAt.After(c.IssuedAt) {
		return c, errors.New("claim exp is not after iat")
	}
	if err := refOptionalClaims(m, &c); err != nil {
		return c, err
	}
	for k, v := range m {
		if domain.IsReservedClaim(k) {
			continue
		}
		if c.Extra == nil {
			c.Extra = make(map[string]any, len(m))
		}
		c.Extra[k] = domain.NormalizeClaimValue(v)
	}
	return c, nil
}

// refOptionalClaims copies the registered claims nbf, iss, aud and jti into
// c, refusing wrong types.
func refOptionalClaims(m jwt.MapClaims, c *domain.Claims) error {
	nbf, err := m.GetNotBefore()
	if err != nil {
		return errors.New("claim nbf is not a number")
	}
	if nbf != nil {
		c.NotBefore = nbf.Time
	}
	if c.Issuer, err = m.GetIssuer(); err != nil {
		return errors.New("claim iss is not a string")
	}
	// jwt's GetAudience reads a present aud of another type as empty.
	aud, err := m.GetAudience()
	switch m[domain.ClaimAudience].(type) {
	case nil, string, []any:
	default:
		err = jwt.ErrInvalidType
	}
	if err != nil {
		return errors.New("claim aud is not a string or a list of strings")
	}
	if len(aud) > 0 {
		c.Audience = aud
	}
	if jti, ok := m[domain.ClaimID]; ok {
		if c.ID, ok = jti.(string); !ok {
			return errors.New("claim jti is not a string")
		}
	}
	return nil
}

// refIsTokenByte reports whether b may appear in a compact JWS: the
// base64url alphabet and the segment separator.
func refIsTokenByte(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
		b == '-' || b == '_' || b == '.'
}

// SecretBits exposes the strength estimate New judges a secret by.
func SecretBits(secret []byte) float64 { return secretBits(secret) }

// WeakWords returns the embedded dictionary of the estimate, in rank order,
// and the lines of the file that hold neither a word nor a comment.
func WeakWords() (words, bad []string) {
	for line := range strings.Lines(weakWordsFile) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") && len(parseWords(l)) == 0 {
			bad = append(bad, l)
		}
	}
	return parseWords(weakWordsFile), bad
}
