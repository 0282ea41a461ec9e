package jwtcodec

import (
	"crypto/hmac"
	"encoding/base64"
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

// ReferenceDecode is a model of Decode built on golang-jwt's parser: the
// length and byte checks of Decode, then golang-jwt's ParseWithClaims into
// jwt.MapClaims with the options matching the codec's rules, the type
// checks of the claims Decode returns, and the 1970-to-9999 range of time
// claims. The differential tests hold Decode to it: both must accept and
// refuse the same tokens and return the same claims.
//
// A refusal wraps domain.ErrInvalidToken, golang-jwt's error, and the
// jwtcodec sentinels of every fault found (refSentinels): golang-jwt
// reports all the claim faults it finds, Decode the first one.
func ReferenceDecode(c *Codec, token string, now time.Time) (domain.Claims, error) {
	if len(token) > c.maxBytes {
		return domain.Claims{}, fmt.Errorf("%w: %w: longer than %d bytes", domain.ErrInvalidToken, ErrTooLong, c.maxBytes)
	}
	for i := 0; i < len(token); i++ {
		if !refIsTokenByte(token[i]) {
			return domain.Claims{}, fmt.Errorf("%w: %w: byte 0x%02x at offset %d is not base64url or '.'", domain.ErrInvalidToken, ErrMalformed, token[i], i)
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
		faults := refSentinels(c, m, err)
		if errors.Is(err, jwt.ErrTokenInvalidClaims) {
			// Claims golang-jwt's validator does not check.
			if _, ferr := refFromMap(m); ferr != nil {
				faults = append(faults, ErrClaims)
			}
			if refTimeOutOfRange(m) {
				faults = append(faults, ErrClaims)
			}
		}
		return domain.Claims{}, fmt.Errorf("%w: %w: %w", domain.ErrInvalidToken, err, errors.Join(faults...))
	}
	claims, err := refFromMap(m)
	if err != nil {
		return domain.Claims{}, fmt.Errorf("%w: %w: %w", domain.ErrInvalidToken, ErrClaims, err)
	}
	if refTimeOutOfRange(m) {
		return domain.Claims{}, fmt.Errorf("%w: %w: a time claim is outside 1970..9999", domain.ErrInvalidToken, ErrClaims)
	}
	return claims, nil
}

// refTimeOutOfRange reports whether a time claim of m is a number outside
// the range Decode accepts, 0 to the last second of 9999.
func refTimeOutOfRange(m jwt.MapClaims) bool {
	for _, name := range []string{domain.ClaimExpiresAt, domain.ClaimNotBefore, domain.ClaimIssuedAt} {
		if n, ok := m[name].(json.Number); ok {
			if f, _ := strconv.ParseFloat(string(n), 64); !(f >= 0 && f <= 253402300799) {
				return true
			}
		}
	}
	return false
}

// refSentinels maps an error of golang-jwt's parser to the jwtcodec
// sentinels of the faults it reports; m holds the claims the parser read,
// which tell what a missing required claim means.
func refSentinels(c *Codec, m jwt.MapClaims, err error) []error {
	var faults []error
	add := func(is bool, sentinel error) {
		if is {
			faults = append(faults, sentinel)
		}
	}
	add(errors.Is(err, jwt.ErrTokenMalformed), ErrMalformed)
	add(errors.Is(err, jwt.ErrTokenUnverifiable), ErrHeader)
	// golang-jwt reports both a signature that does not verify and a
	// method it was told not to accept as ErrTokenSignatureInvalid; only
	// the first wraps ErrSignatureInvalid.
	add(errors.Is(err, jwt.ErrSignatureInvalid), ErrSignature)
	add(errors.Is(err, jwt.ErrTokenSignatureInvalid) && !errors.Is(err, jwt.ErrSignatureInvalid), ErrHeader)
	add(errors.Is(err, jwt.ErrInvalidType), ErrClaims)
	add(errors.Is(err, jwt.ErrTokenExpired), ErrExpired)
	add(errors.Is(err, jwt.ErrTokenNotValidYet), ErrNotValidYet)
	add(errors.Is(err, jwt.ErrTokenUsedBeforeIssued), ErrNotValidYet)
	add(errors.Is(err, jwt.ErrTokenInvalidIssuer), ErrIssuer)
	add(errors.Is(err, jwt.ErrTokenInvalidAudience), ErrAudience)
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		_, hasExp := m[domain.ClaimExpiresAt]
		add(!hasExp, ErrClaims)
		iss, hasIss := m[domain.ClaimIssuer]
		add(c.issuer != "" && (!hasIss || iss == ""), ErrIssuer)
		if c.audience != "" {
			// golang-jwt reads an "aud" of another type as no audience,
			// which Decode refuses as a claim of the wrong type.
			switch m[domain.ClaimAudience].(type) {
			case nil, string, []any:
				aud, aerr := m.GetAudience()
				add(aerr == nil && (len(aud) == 0 || len(aud) == 1 && aud[0] == ""), ErrAudience)
			default:
				add(true, ErrClaims)
			}
		}
	}
	return faults
}

// SignatureVerifies reports whether token is three segments of base64url
// whose third is the strictly encoded HMAC of the first two under c's key
// and algorithm: whether Decode gets past its signature check.
func SignatureVerifies(c *Codec, token string) bool {
	for i := 0; i < len(token); i++ {
		if !refIsTokenByte(token[i]) {
			return false
		}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return false
	}
	mac := hmac.New(methods[c.method.Alg()].newHash, c.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	return hmac.Equal(mac.Sum(nil), sig)
}

// errRefCritical refuses a header with "crit", which golang-jwt does not
// check.
var errRefCritical = errors.New(`header has "crit"`)

// refKeyFor is the key lookup of ReferenceDecode. It refuses a header with
// "crit".
func (c *Codec) refKeyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errRefCritical
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
