// Package jwtcodec implements ports.TokenCodec with HMAC-signed JSON Web
// Tokens (HS256, HS384 or HS512). Encode signs with
// github.com/golang-jwt/jwt/v5; Decode verifies with its own parser, which
// checks the signature before reading any JSON.
//
// Decode accepts only tokens that pass every one of these checks; each
// refusal wraps domain.ErrInvalidToken and one of this package's sentinels
// (ErrTooLong, ErrMalformed, ErrSignature, ErrHeader, ErrClaims,
// ErrExpired, ErrNotValidYet, ErrIssuer, ErrAudience):
//   - at most the maximum length (WithMaxTokenBytes), checked before any
//     parsing;
//   - three segments of strict base64url and nothing else: no padding, no
//     standard-alphabet characters, no white space, no non-zero trailing
//     bits;
//   - an HMAC signature, with the codec's key and algorithm, of the first
//     two segments;
//   - a header naming the codec's algorithm (never "none" nor another
//     HMAC), without "crit";
//   - "exp", "iat", "sub", "is_admin" and "ver" present, they and "nbf",
//     "iss", "aud" and "jti" of the right types, time claims from 1970 to
//     the end of 9999, "exp" after "iat";
//   - not expired, and "nbf" and "iat" not in the future, beyond the
//     leeway (WithLeeway);
//   - the codec's issuer and audience, when it has them (WithIssuer,
//     WithAudience).
//
// Decode reads the header and payload as encoding/json reads them. The
// tests hold it to golang-jwt's parser configured with these rules: both
// accept the same tokens and return the same claims.
//
// One token is enough to test guesses of an HMAC key offline, so New
// refuses a key an attacker could guess: it estimates the key's strength
// the way zxcvbn estimates a password's, much simplified (repeated
// characters and patterns, sequences, keyboard rows, years, the words of a
// short embedded list, the kinds of characters used; see MinSecretBits),
// and refuses an estimate of MinSecretBits or less with ErrWeakSecret. The
// AllowWeakSecret option accepts such a key with a warning, for tests and
// migrations. An empty key means a random key for the process.
package jwtcodec

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Defaults of WithAlgorithm, WithLeeway and WithMaxTokenBytes.
const (
	DefaultAlgorithm     = "HS256"
	DefaultLeeway        = 5 * time.Second
	DefaultMaxTokenBytes = 8 << 10
)

// ErrKeyTooShort reports a configured secret shorter than the algorithm's
// hash size.
var ErrKeyTooShort = errors.New("jwtcodec: secret key shorter than the algorithm's hash size")

// ErrWeakSecret reports a configured secret whose estimated strength is not
// above MinSecretBits: one token would let an attacker guess it offline and
// then forge any token, admin tokens included. The error New returns says
// how to generate a good key; it never contains the key.
var ErrWeakSecret = errors.New("jwtcodec: secret key too weak: one token would let an attacker guess it offline")

// Option configures a Codec (see New).
type Option func(*config)

// config is what the options set.
type config struct {
	allowWeakSecret bool
	algorithm       string
	issuer          string
	audience        string
	leeway          time.Duration
	maxTokenBytes   int
	logger          *slog.Logger
}

// WithAlgorithm sets the algorithm: "HS256" (default), "HS384" or "HS512".
// Only this algorithm is accepted when decoding.
func WithAlgorithm(alg string) Option { return func(c *config) { c.algorithm = alg } }

// WithIssuer writes iss into every token and requires it on decode.
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithAudience writes aud into every token and requires it on decode.
func WithAudience(aud string) Option { return func(c *config) { c.audience = aud } }

// WithLeeway sets the clock skew tolerated on "exp", "nbf" and "iat"
// (default DefaultLeeway; negative: none).
func WithLeeway(d time.Duration) Option { return func(c *config) { c.leeway = d } }

// WithMaxTokenBytes caps the length of a token Decode will parse, and so of
// one Encode will produce (default DefaultMaxTokenBytes).
func WithMaxTokenBytes(n int) Option { return func(c *config) { c.maxTokenBytes = n } }

// WithLogger sets where the random-key and weak-key warnings go (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// AllowWeakSecret makes New accept a secret estimated at MinSecretBits or
// less, logging a warning (without the key) instead of refusing it. It is
// for tests and for migrating from a weak key: every token signed with such
// a key can be forged, so replace the key (which logs every user out) soon.
func AllowWeakSecret() Option { return func(c *config) { c.allowWeakSecret = true } }

// Codec signs and verifies tokens. It is safe for concurrent use.
type Codec struct {
	method   *jwt.SigningMethodHMAC
	key      []byte
	issuer   string
	audience string
	leeway   time.Duration
	maxBytes int
	// sigLen is the length of a base64url-encoded signature.
	sigLen int
	// states holds *decodeState values: keyed HMAC states and buffers
	// for Decode.
	states sync.Pool
	// errWrongAlg refuses a header naming another algorithm.
	errWrongAlg error
	// errTooLong refuses a token longer than maxBytes.
	errTooLong error
}

var _ ports.StableTokenCodec = (*Codec)(nil)

// hmacMethod is a supported algorithm: golang-jwt's signing method, which
// Encode uses, and the hash Decode verifies with.
type hmacMethod struct {
	jwt     *jwt.SigningMethodHMAC
	newHash func() hash.Hash
}

// keyCommand returns a command that prints a random key of at least size
// bytes (base64 of size random bytes; hex for 64, which openssl's base64
// would break over two lines).
func keyCommand(size int) string {
	if size > 48 {
		return fmt.Sprintf("openssl rand -hex %d", size)
	}
	return fmt.Sprintf("openssl rand -base64 %d", size)
}

// methods are the supported algorithms by name.
var methods = map[string]hmacMethod{
	"HS256": {jwt.SigningMethodHS256, sha256.New},
	"HS384": {jwt.SigningMethodHS384, sha512.New384},
	"HS512": {jwt.SigningMethodHS512, sha512.New},
}

// New returns a Codec that signs with the HMAC key secret. The key must be
// at least as long as the algorithm's hash (32 bytes for HS256, 48 for
// HS384, 64 for HS512; ErrKeyTooShort) and hard to guess: unless
// AllowWeakSecret is given, a key whose estimated strength is not above
// MinSecretBits (a repeated character or pattern, a sequence, a keyboard
// row, common words, a 32-digit hex string) is refused with ErrWeakSecret.
// Make one with `openssl rand -base64 32` (HS256), `openssl rand -base64 48`
// (HS384) or `openssl rand -hex 64` (HS512). An empty secret means a random
// key for this process: every restart invalidates issued tokens, and
// instances do not accept each other's (a warning is logged). No error or
// log message contains the key.
func New(secret []byte, opts ...Option) (*Codec, error) {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	alg := cfg.algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	m, ok := methods[alg]
	if !ok {
		return nil, fmt.Errorf("jwtcodec: unsupported algorithm %q (want HS256, HS384 or HS512)", alg)
	}
	method := m.jwt
	minKey := method.Hash.Size()
	logger := cfg.logger
	if logger == nil {
		logger = slog.Default()
	}
	key := bytes.Clone(secret)
	switch {
	case len(key) == 0:
		key = make([]byte, minKey)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("jwtcodec: generate key: %w", err)
		}
		logger.Warn("jwtcodec: no secret key configured; using a random key for this process: tokens die with the process and other instances refuse them")
	case len(key) < minKey:
		return nil, fmt.Errorf("%w: %s needs at least %d bytes, got %d; generate one with `%s`", ErrKeyTooShort, alg, minKey, len(key), keyCommand(minKey))
	default:
		estimate := secretBits(key)
		if estimate > MinSecretBits {
			break
		}
		bits := int(estimate) // rounded down: never above the threshold it failed
		if !cfg.allowWeakSecret {
			return nil, fmt.Errorf("%w: its strength is estimated at %d bits, not above %d (a repeated character or pattern, a sequence, common words, too few kinds of characters or a short hex string); generate a random key with `%s`",
				ErrWeakSecret, bits, MinSecretBits, keyCommand(minKey))
		}
		logger.Warn("jwtcodec: INSECURE weak secret key accepted because AllowWeakSecret is set: anyone holding one token can guess the key offline and forge any token, admin tokens included; for tests only",
			"estimated_bits", bits, "min_bits", MinSecretBits, "generate_with", keyCommand(minKey))
	}
	c := &Codec{
		method:   method,
		key:      key,
		issuer:   cfg.issuer,
		audience: cfg.audience,
		leeway:   cfg.leeway,
		maxBytes: cfg.maxTokenBytes,
	}
	if c.leeway == 0 {
		c.leeway = DefaultLeeway
	} else if c.leeway < 0 {
		c.leeway = 0
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxTokenBytes
	}
	c.sigLen = base64.RawURLEncoding.EncodedLen(method.Hash.Size())
	c.states.New = func() any { return &decodeState{mac: hmac.New(m.newHash, c.key)} }
	c.errWrongAlg = invalid(ErrHeader, fmt.Sprintf("alg is not %s", alg))
	c.errTooLong = invalid(ErrTooLong, fmt.Sprintf("longer than %d bytes", c.maxBytes))
	return c, nil
}

// StableVerdicts reports that the codec's verdicts can be cached
// (ports.StableTokenCodec): Decode depends only on the token, its fixed key
// and settings, and the time, and once the signature, issuer, audience,
// "nbf" and "iat" pass, only the token's expiry can change the verdict.
func (c *Codec) StableVerdicts() bool { return true }

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
		return "", fmt.Errorf("jwtcodec: token of %d bytes is longer than the codec's maximum of %d bytes (WithMaxTokenBytes): Decode would refuse it", len(s), c.maxBytes)
	}
	return s, nil
}

// Decode verifies token as of now and returns its claims. It refuses a
// token that fails any check of the package documentation, in this order:
// length (ErrTooLong); bytes and segments (ErrMalformed); signature
// (ErrSignature, or ErrMalformed for a signature that is not base64url);
// header and payload encoding (ErrMalformed); header (ErrHeader); "exp",
// "nbf" and "iat" (ErrClaims, ErrExpired, ErrNotValidYet); "aud"
// (ErrClaims, ErrAudience); "iss" (ErrClaims, ErrIssuer); then "sub",
// "is_admin", "ver", "iat" present, "exp" after "iat" and "jti"
// (ErrClaims). Every error wraps domain.ErrInvalidToken and one of these
// sentinels; the claims returned with it are empty.
func (c *Codec) Decode(_ context.Context, token string, now time.Time) (domain.Claims, error) {
	if len(token) > c.maxBytes {
		return domain.Claims{}, c.errTooLong
	}
	// encoding/base64 skips '\r' and '\n' even in strict mode, so without
	// this check a token with line breaks in its signature would verify.
	for i := 0; i < len(token); i++ {
		if !tokenBytes[token[i]] {
			return domain.Claims{}, fmt.Errorf("%w: %w: byte 0x%02x at offset %d is not base64url or '.'", domain.ErrInvalidToken, ErrMalformed, token[i], i)
		}
	}
	// Three segments: exactly two dots.
	dot1 := strings.IndexByte(token, '.')
	if dot1 < 0 {
		return domain.Claims{}, errSegments
	}
	n := strings.IndexByte(token[dot1+1:], '.')
	if n < 0 {
		return domain.Claims{}, errSegments
	}
	dot2 := dot1 + 1 + n
	if strings.IndexByte(token[dot2+1:], '.') >= 0 {
		return domain.Claims{}, errSegments
	}
	// A signature of another length cannot verify.
	if len(token)-dot2-1 != c.sigLen {
		return domain.Claims{}, errBadSignature
	}
	st := c.states.Get().(*decodeState)
	claims, err := c.decode(st, token, dot1, dot2, now)
	if cap(st.in)+cap(st.buf) > maxPooledBytes {
		st.in, st.buf = nil, nil
	}
	c.states.Put(st)
	return claims, err
}
