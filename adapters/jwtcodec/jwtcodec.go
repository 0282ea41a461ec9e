// Package jwtcodec implements ports.TokenCodec with HMAC-signed JSON Web
// Tokens (github.com/golang-jwt/jwt/v5).
//
// Decode accepts only the configured algorithm (never "none") and no "crit"
// header, requires
// "exp", "iat", "sub", "is_admin" and "ver", refuses an "iat" or "nbf" in the
// future (beyond the leeway), decodes base64 strictly (no padding, no
// standard-alphabet characters, no line breaks, no non-zero trailing bits),
// and refuses tokens longer than MaxTokenBytes before parsing them. When an
// issuer or audience is configured, tokens must carry it.
package jwtcodec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Defaults for Config's zero values.
const (
	DefaultAlgorithm     = "HS256"
	DefaultLeeway        = 5 * time.Second
	DefaultMaxTokenBytes = 8 << 10
)

// ErrKeyTooShort reports a configured secret shorter than the algorithm's
// hash size.
var ErrKeyTooShort = errors.New("jwtcodec: secret key shorter than the algorithm's hash size")

// Config configures a Codec. The zero value is usable: HS256 with a random
// per-process key (every restart invalidates issued tokens, and instances do
// not accept each other's tokens; a warning is logged).
type Config struct {
	// Secret is the HMAC key. It must be at least as long as the algorithm's
	// hash: 32 bytes for HS256, 48 for HS384, 64 for HS512. Empty (nil or
	// zero length, as []byte(os.Getenv(...)) of an unset variable) means a
	// random key for this process.
	Secret []byte
	// Algorithm is "HS256" (default), "HS384" or "HS512". Only this
	// algorithm is accepted when decoding.
	Algorithm string
	// Issuer and Audience, when set, are written into every token and
	// required on decode.
	Issuer   string
	Audience string
	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat". Zero
	// means DefaultLeeway; a negative value means none.
	Leeway time.Duration
	// MaxTokenBytes caps the length of a token Decode will parse (and so
	// of one Encode will produce). Zero or negative means
	// DefaultMaxTokenBytes.
	MaxTokenBytes int
	// Logger receives the random-key warning (default slog.Default()).
	Logger *slog.Logger
}

// Codec signs and verifies tokens. It is safe for concurrent use.
type Codec struct {
	method   *jwt.SigningMethodHMAC
	key      []byte
	issuer   string
	audience string
	leeway   time.Duration
	maxBytes int
	// parserOpts are the fixed verification rules; Decode adds the time.
	parserOpts []jwt.ParserOption
}

var _ ports.TokenCodec = (*Codec)(nil)

var methods = map[string]*jwt.SigningMethodHMAC{
	"HS256": jwt.SigningMethodHS256,
	"HS384": jwt.SigningMethodHS384,
	"HS512": jwt.SigningMethodHS512,
}

// New validates cfg and returns a Codec.
func New(cfg Config) (*Codec, error) {
	alg := cfg.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	method, ok := methods[alg]
	if !ok {
		return nil, fmt.Errorf("jwtcodec: unsupported algorithm %q (want HS256, HS384 or HS512)", alg)
	}
	minKey := method.Hash.Size()
	key := bytes.Clone(cfg.Secret)
	if len(key) == 0 {
		key = make([]byte, minKey)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("jwtcodec: generate key: %w", err)
		}
		logger := cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("jwtcodec: no secret key configured; using a random key for this process: tokens die with the process and other instances refuse them")
	} else if len(key) < minKey {
		return nil, fmt.Errorf("%w: %s needs at least %d bytes, got %d", ErrKeyTooShort, alg, minKey, len(key))
	}
	c := &Codec{
		method:   method,
		key:      key,
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   cfg.Leeway,
		maxBytes: cfg.MaxTokenBytes,
	}
	if c.leeway == 0 {
		c.leeway = DefaultLeeway
	} else if c.leeway < 0 {
		c.leeway = 0
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxTokenBytes
	}
	c.parserOpts = []jwt.ParserOption{
		jwt.WithValidMethods([]string{method.Alg()}),
		jwt.WithJSONNumber(),
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(c.leeway),
	}
	if c.issuer != "" {
		c.parserOpts = append(c.parserOpts, jwt.WithIssuer(c.issuer))
	}
	if c.audience != "" {
		c.parserOpts = append(c.parserOpts, jwt.WithAudience(c.audience))
	}
	return c, nil
}

// Algorithm returns the JWT "alg" the codec signs with and accepts.
func (c *Codec) Algorithm() string { return c.method.Alg() }

// Encode signs claims. A codec configured with an issuer or audience writes
// its own, replacing claims.Issuer and claims.Audience; NotBefore and ID are
// written when set. Extra claims with reserved names are refused with an
// error wrapping domain.ErrReservedClaim; so are, with other errors, an empty
// subject, a negative token version, an ExpiresAt not after IssuedAt (in
// whole seconds) and extra values encoding/json cannot encode.
func (c *Codec) Encode(_ context.Context, claims domain.Claims) (string, error) {
	if err := domain.CheckExtraClaims(claims.Extra); err != nil {
		return "", fmt.Errorf("jwtcodec: %w", err)
	}
	if claims.Subject == "" {
		return "", errors.New("jwtcodec: claims have no subject")
	}
	// Refuse what Decode would refuse anyway, so that a misconfigured issuer
	// fails here rather than handing out tokens that can never be used.
	if claims.TokenVersion < 0 {
		return "", fmt.Errorf("jwtcodec: negative token version %d", claims.TokenVersion)
	}
	if claims.ExpiresAt.Unix() <= claims.IssuedAt.Unix() {
		return "", errors.New("jwtcodec: claims expire (to the second) no later than they are issued")
	}
	m := jwt.MapClaims(claims.Map())
	if c.issuer != "" {
		m[domain.ClaimIssuer] = c.issuer
	}
	if c.audience != "" {
		m[domain.ClaimAudience] = c.audience
	}
	s, err := jwt.NewWithClaims(c.method, m).SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("jwtcodec: sign: %w", err)
	}
	if len(s) > c.maxBytes {
		return "", fmt.Errorf("jwtcodec: token of %d bytes is longer than MaxTokenBytes (%d): Decode would refuse it", len(s), c.maxBytes)
	}
	return s, nil
}

// Decode verifies token as of now and returns its claims. Every failure
// wraps domain.ErrInvalidToken.
func (c *Codec) Decode(_ context.Context, token string, now time.Time) (domain.Claims, error) {
	if len(token) > c.maxBytes {
		return domain.Claims{}, fmt.Errorf("%w: longer than %d bytes", domain.ErrInvalidToken, c.maxBytes)
	}
	// encoding/base64 skips '\r' and '\n' even in strict mode, so without
	// this check a token with line breaks in its signature would verify.
	// A JWS compact token has nothing but base64url characters and dots.
	for i := 0; i < len(token); i++ {
		if !isTokenByte(token[i]) {
			return domain.Claims{}, fmt.Errorf("%w: byte 0x%02x at offset %d is not base64url or '.'", domain.ErrInvalidToken, token[i], i)
		}
	}
	opts := append(c.parserOpts[:len(c.parserOpts):len(c.parserOpts)], jwt.WithTimeFunc(func() time.Time { return now }))
	m := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(token, m, c.keyFor)
	if err != nil {
		return domain.Claims{}, fmt.Errorf("%w: %w", domain.ErrInvalidToken, err)
	}
	claims, err := fromMap(m)
	if err != nil {
		return domain.Claims{}, fmt.Errorf("%w: %w", domain.ErrInvalidToken, err)
	}
	return claims, nil
}

// errCritical refuses a token whose header lists critical extensions.
var errCritical = errors.New(`header has "crit": no JWS extension is supported`)

// keyFor is the key lookup of Decode. It refuses a header with "crit":
// RFC 7515 section 4.1.11 requires rejecting a token whose critical
// extensions are not understood, and this codec understands none
// (golang-jwt does not check it).
func (c *Codec) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errCritical
	}
	return c.key, nil
}

// fromMap turns verified JWT claims into domain.Claims, checking the types
// of the claims the library relies on.
func fromMap(m jwt.MapClaims) (domain.Claims, error) {
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
	if err := optionalClaims(m, &c); err != nil {
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

// optionalClaims copies the registered claims nbf, iss, aud and jti into c,
// refusing wrong types.
func optionalClaims(m jwt.MapClaims, c *domain.Claims) error {
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

// isTokenByte reports whether b may appear in a compact JWS: the base64url
// alphabet and the segment separator.
func isTokenByte(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
		b == '-' || b == '_' || b == '.'
}
