package jwtcodec

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authadmin/authadmin/domain"
)

// Decode used to parse tokens with golang-jwt (ParseWithClaims into
// jwt.MapClaims with WithJSONNumber, WithStrictDecoding,
// WithExpirationRequired, WithIssuedAt, WithLeeway, WithIssuer and
// WithAudience) and to check the claims' types afterwards. This file does
// the same work without building maps: it verifies the signature before
// reading any JSON, reads the header and the claims with the JSON reader in
// json.go, and applies the same rules, with the same boundaries, in the
// same arithmetic. The tests hold it to that old code path, which they keep
// as a reference (export_test.go).

// b64 decodes token segments: base64url without padding, refusing
// non-zero trailing bits. It would skip '\r' and '\n', but Decode has
// refused every byte outside the base64url alphabet before.
var b64 = base64.RawURLEncoding.Strict()

// tokenBytes marks the bytes a compact JWS may contain: the base64url
// alphabet and the segment separator.
var tokenBytes = func() (t [256]bool) {
	for b := range t {
		t[b] = b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
			b == '-' || b == '_' || b == '.'
	}
	return t
}()

// decodeState is the scratch space of one Decode call, pooled per codec.
type decodeState struct {
	mac hash.Hash // keyed with the codec's key
	in  []byte    // a copy of the token, for the []byte APIs
	buf []byte    // the decoded header and payload
	sig [64]byte  // the decoded signature
	sum [64]byte  // the expected signature
}

// maxPooledBytes bounds the buffers a pooled decodeState keeps: a codec
// configured for huge tokens does not pin huge buffers after one of them.
const maxPooledBytes = 64 << 10

// errCritical refuses a token whose header lists critical extensions:
// RFC 7515 section 4.1.11 requires rejecting a token whose critical
// extensions are not understood, and this codec understands none.
var errCritical = errors.New(`header has "crit": no JWS extension is supported`)

// The errors of Decode. Each wraps domain.ErrInvalidToken and, where
// golang-jwt's parser reported the same fault, the same golang-jwt error,
// so that errors.Is answers as it did. They are built once: refusing a
// token allocates nothing but the error of the byte check.
var (
	errSegments       = invalid(jwt.ErrTokenMalformed, "token contains an invalid number of segments")
	errSignatureB64   = invalid(jwt.ErrTokenMalformed, "could not base64 decode signature")
	errSignature      = fmt.Errorf("%w: %w: %w", domain.ErrInvalidToken, jwt.ErrTokenSignatureInvalid, jwt.ErrSignatureInvalid)
	errHeaderB64      = invalid(jwt.ErrTokenMalformed, "could not base64 decode header")
	errHeaderJSON     = invalid(jwt.ErrTokenMalformed, "could not JSON decode header")
	errNoAlg          = invalid(jwt.ErrTokenUnverifiable, "signing method (alg) is unspecified")
	errCrit           = fmt.Errorf("%w: %w: %w", domain.ErrInvalidToken, jwt.ErrTokenUnverifiable, errCritical)
	errPayloadB64     = invalid(jwt.ErrTokenMalformed, "could not base64 decode claim")
	errPayloadJSON    = invalid(jwt.ErrTokenMalformed, "could not JSON decode claim")
	errExpType        = invalidClaims(jwt.ErrInvalidType, "exp is invalid")
	errExpMissing     = invalidClaims(jwt.ErrTokenRequiredClaimMissing, "exp claim is required")
	errExpired        = invalidClaims(jwt.ErrTokenExpired, "")
	errNbfType        = invalidClaims(jwt.ErrInvalidType, "nbf is invalid")
	errNotValidYet    = invalidClaims(jwt.ErrTokenNotValidYet, "")
	errIatType        = invalidClaims(jwt.ErrInvalidType, "iat is invalid")
	errIssuedLater    = invalidClaims(jwt.ErrTokenUsedBeforeIssued, "")
	errAudType        = invalidClaims(jwt.ErrInvalidType, "aud is invalid")
	errAudMissing     = invalidClaims(jwt.ErrTokenRequiredClaimMissing, "aud claim is required")
	errWrongAudience  = invalidClaims(jwt.ErrTokenInvalidAudience, "")
	errIssType        = invalidClaims(jwt.ErrInvalidType, "iss is invalid")
	errIssMissing     = invalidClaims(jwt.ErrTokenRequiredClaimMissing, "iss claim is required")
	errWrongIssuer    = invalidClaims(jwt.ErrTokenInvalidIssuer, "")
	errSub            = claimError("claim sub missing or not a string")
	errIsAdmin        = claimError("claim is_admin missing or not a boolean")
	errVerType        = claimError("claim ver missing or not a number")
	errVerValue       = claimError("claim ver is not a non-negative integer")
	errIatMissing     = claimError("claim iat missing or not a number")
	errExpNotAfterIat = claimError("claim exp is not after iat")
	errJTI            = claimError("claim jti is not a string")
)

// invalid is a Decode error: ErrInvalidToken, kind (a golang-jwt error)
// and what is wrong.
func invalid(kind error, msg string) error {
	return fmt.Errorf("%w: %w: %s", domain.ErrInvalidToken, kind, msg)
}

// invalidClaims is a Decode error for a claim golang-jwt's validator
// refused: it wraps jwt.ErrTokenInvalidClaims and kind.
func invalidClaims(kind error, msg string) error {
	if msg == "" {
		return fmt.Errorf("%w: %w: %w", domain.ErrInvalidToken, jwt.ErrTokenInvalidClaims, kind)
	}
	return fmt.Errorf("%w: %w: %w: %s", domain.ErrInvalidToken, jwt.ErrTokenInvalidClaims, kind, msg)
}

// claimError is a Decode error for a claim of the wrong type or value.
func claimError(msg string) error { return fmt.Errorf("%w: %s", domain.ErrInvalidToken, msg) }

// decode verifies the token, whose only dots are at dot1 and dot2, and
// returns its claims.
func (c *Codec) decode(st *decodeState, token string, dot1, dot2 int, now time.Time) (domain.Claims, error) {
	st.in = append(st.in[:0], token...)
	in := st.in

	// The signature first, so that a forged token costs one HMAC and no
	// JSON. Decode has checked its length: a strictly decoded signature of
	// another length could not be equal.
	n, err := b64.Decode(st.sig[:], in[dot2+1:])
	if err != nil {
		return domain.Claims{}, errSignatureB64
	}
	st.mac.Reset()
	st.mac.Write(in[:dot2])
	if !hmac.Equal(st.mac.Sum(st.sum[:0]), st.sig[:n]) {
		return domain.Claims{}, errSignature
	}

	need := b64.DecodedLen(dot1) + b64.DecodedLen(dot2-dot1-1)
	if cap(st.buf) < need {
		st.buf = make([]byte, need)
	}
	buf := st.buf[:need]
	hn, err := b64.Decode(buf, in[:dot1])
	if err != nil {
		return domain.Claims{}, errHeaderB64
	}
	// Decode may write past what it returns, but not past buf: the
	// payload goes after the header.
	pn, err := b64.Decode(buf[hn:], in[dot1+1:dot2])
	if err != nil {
		return domain.Claims{}, errPayloadB64
	}
	if err := c.checkHeader(buf[:hn]); err != nil {
		return domain.Claims{}, err
	}
	return c.claims(buf[hn:hn+pn], now)
}

// checkHeader applies golang-jwt's rules to the JOSE header b, as it read
// it with json.Unmarshal into a map[string]any: a JSON object and nothing
// after it, whose last "alg" member is a string naming the codec's
// algorithm, and in which no number overflows a float64. It adds one rule
// of its own: no "crit" member. Other members (typ, kid, ...) may hold any
// JSON value.
func (c *Codec) checkHeader(b []byte) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if end, ok := scanLiteral(b, i, "null"); ok && skipSpace(b, end) == len(b) {
			return errNoAlg // a nil map, without "alg"
		}
		return errHeaderJSON
	}
	var algString, algOK, crit, ok bool
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return errHeaderJSON
			}
			start := i
			var plain bool
			if i, plain, ok = scanString(b, i); !ok {
				return errHeaderJSON
			}
			key := stringValue(b, start, i, plain)
			if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
				return errHeaderJSON
			}
			i = skipSpace(b, i+1)
			switch string(key) {
			case "alg":
				algString, algOK = false, false
				if i < len(b) && b[i] == '"' {
					start = i
					if i, plain, ok = scanString(b, i); !ok {
						return errHeaderJSON
					}
					algString = true
					algOK = string(stringValue(b, start, i, plain)) == c.method.Alg()
				} else if i, ok = skipValue(b, i, 1, true); !ok {
					return errHeaderJSON
				}
			case "crit":
				crit = true
				fallthrough
			default:
				if i, ok = skipValue(b, i, 1, true); !ok {
					return errHeaderJSON
				}
			}
			if i, ok = nextMember(b, i, '}'); !ok {
				return errHeaderJSON
			}
			if b[i-1] == '}' {
				break
			}
		}
	}
	if skipSpace(b, i) != len(b) {
		return errHeaderJSON
	}
	switch {
	case !algString:
		return errNoAlg
	case !algOK:
		return c.errWrongAlg
	case crit:
		return errCrit
	}
	return nil
}

// rawClaim locates the value of a registered claim in the payload: its
// JSON text is b[start:end] and its first byte tells its type. end is 0
// when the payload does not have the claim.
type rawClaim struct{ start, end int }

// payload is a token's claims as read by parse: the registered ones
// located, the others decoded into extra.
type payload struct {
	b                                          []byte
	sub, isAdmin, ver, iat, exp, nbf, iss, aud rawClaim
	jti                                        rawClaim
	extra                                      map[string]any
}

// parse reads b as golang-jwt read the claims, with a json.Decoder with
// UseNumber into a jwt.MapClaims: the first JSON value of b, which must be
// an object (null leaves no claims); what follows it is not read. A
// repeated member keeps its last value. Members that are not registered
// claims are decoded into extra, normalised as domain.Claims documents.
func (p *payload) parse(b []byte) bool {
	p.b = b
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		_, ok := scanLiteral(b, i, "null")
		return ok
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		start := i
		var plain, ok bool
		if i, plain, ok = scanString(b, i); !ok {
			return false
		}
		key := stringValue(b, start, i, plain)
		if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if r := p.registered(key); r != nil {
			start = i
			if i, ok = skipValue(b, i, 1, false); !ok {
				return false
			}
			*r = rawClaim{start: start, end: i}
		} else if name := string(key); domain.IsReservedClaim(name) {
			if i, ok = skipValue(b, i, 1, false); !ok {
				return false
			}
		} else {
			var v any
			if v, i, ok = parseValue(b, i, 1); !ok {
				return false
			}
			if p.extra == nil {
				p.extra = make(map[string]any)
			}
			p.extra[name] = domain.NormalizeClaimValue(v)
		}
		if i, ok = nextMember(b, i, '}'); !ok || b[i-1] == '}' {
			return ok
		}
	}
}

// registered returns where to record the claim called name, nil for
// names that are not registered claims this file reads.
func (p *payload) registered(name []byte) *rawClaim {
	switch string(name) {
	case domain.ClaimSubject:
		return &p.sub
	case domain.ClaimIsAdmin:
		return &p.isAdmin
	case domain.ClaimVersion:
		return &p.ver
	case domain.ClaimIssuedAt:
		return &p.iat
	case domain.ClaimExpiresAt:
		return &p.exp
	case domain.ClaimNotBefore:
		return &p.nbf
	case domain.ClaimIssuer:
		return &p.iss
	case domain.ClaimAudience:
		return &p.aud
	case domain.ClaimID:
		return &p.jti
	}
	return nil
}

// kind returns the first byte of the claim's JSON text ('"', '{', '[',
// 't', 'f', 'n', '-' or a digit), 0 when absent.
func (p *payload) kind(r rawClaim) byte {
	if r.end == 0 {
		return 0
	}
	return p.b[r.start]
}

// isNumber reports whether the claim is a JSON number.
func (p *payload) isNumber(r rawClaim) bool {
	k := p.kind(r)
	return k == '-' || isDigit(k)
}

// str returns the value of a claim that is a JSON string.
func (p *payload) str(r rawClaim) []byte { return unquote(p.b[r.start+1 : r.end-1]) }

// optString reads a claim that may be absent but otherwise must be a
// string.
func (p *payload) optString(r rawClaim) (s []byte, ok bool) {
	switch p.kind(r) {
	case 0:
		return nil, true
	case '"':
		return p.str(r), true
	}
	return nil, false
}

// maxNumericDate is the last second of the year 9999 (UTC), the latest
// time claim Decode accepts.
const maxNumericDate = 253402300799

// date reads a time claim as jwt.MapClaims did with UseNumber: absent is
// not present, a number is its time, any other value (null too) is not ok.
// Beyond that, a number outside [0, maxNumericDate] is not ok either:
// converting such a float (±Inf included) to whole seconds gives results
// that differ between processors, and no token this codec issues carries
// one.
func (p *payload) date(r rawClaim) (t time.Time, present, ok bool) {
	switch {
	case r.end == 0:
		return time.Time{}, false, true
	case p.isNumber(r):
		num := p.b[r.start:r.end]
		if f, _ := strconv.ParseFloat(string(num), 64); !(f >= 0 && f <= maxNumericDate) {
			return time.Time{}, false, false
		}
		return numericDate(num), true, true
	}
	return time.Time{}, false, false
}

// numericDate is the time golang-jwt reads from a JSON number of seconds
// (jwt.NumericDate): the float64 nearest to it (±Inf beyond the range, as
// golang-jwt ignores that error), split into whole and fractional seconds
// by math.Modf, truncated to jwt.TimePrecision. The arithmetic is theirs,
// so the boundaries of exp, nbf and iat are too.
func numericDate(num []byte) time.Time {
	f, _ := strconv.ParseFloat(string(num), 64)
	round, frac := math.Modf(f)
	return time.Unix(int64(round), int64(frac*1e9)).Truncate(jwt.TimePrecision)
}

// audience reads "aud" as golang-jwt's GetAudience and the old type check
// after it did: absent, null or an empty list is no audience, a string is
// an audience of one, a list must hold only strings, and any other value is
// not ok.
func (p *payload) audience() (aud []string, ok bool) {
	b, r := p.b, p.aud
	switch p.kind(r) {
	case 0, 'n':
		return nil, true
	case '"':
		return []string{string(p.str(r))}, true
	case '[':
	default:
		return nil, false
	}
	i := skipSpace(b, r.start+1)
	if i < len(b) && b[i] == ']' {
		return nil, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		start := i
		var plain bool
		if i, plain, ok = scanString(b, i); !ok {
			return nil, false
		}
		aud = append(aud, string(stringValue(b, start, i, plain)))
		if i, ok = nextMember(b, i, ']'); !ok || b[i-1] == ']' {
			return aud, ok
		}
	}
}

// claims reads and checks the payload b of a token whose signature and
// header are good. The checks are golang-jwt's validator's, as the codec
// configured it, then the type checks the codec made on the claims it
// returned; see the package documentation.
func (c *Codec) claims(b []byte, now time.Time) (domain.Claims, error) {
	var p payload
	if !p.parse(b) {
		return domain.Claims{}, errPayloadJSON
	}

	// golang-jwt's validator.
	exp, hasExp, ok := p.date(p.exp)
	switch {
	case !ok:
		return domain.Claims{}, errExpType
	case !hasExp:
		return domain.Claims{}, errExpMissing
	case !now.Before(exp.Add(c.leeway)):
		return domain.Claims{}, errExpired
	}
	nbf, hasNbf, ok := p.date(p.nbf)
	switch {
	case !ok:
		return domain.Claims{}, errNbfType
	case hasNbf && now.Before(nbf.Add(-c.leeway)):
		return domain.Claims{}, errNotValidYet
	}
	iat, hasIat, ok := p.date(p.iat)
	switch {
	case !ok:
		return domain.Claims{}, errIatType
	case hasIat && now.Before(iat.Add(-c.leeway)):
		return domain.Claims{}, errIssuedLater
	}
	aud, ok := p.audience()
	if !ok {
		return domain.Claims{}, errAudType
	}
	if c.audience != "" {
		if len(aud) == 0 || len(aud) == 1 && aud[0] == "" {
			return domain.Claims{}, errAudMissing
		}
		if !slices.Contains(aud, c.audience) {
			return domain.Claims{}, errWrongAudience
		}
	}
	iss, ok := p.optString(p.iss)
	if !ok {
		return domain.Claims{}, errIssType
	}
	if c.issuer != "" {
		if len(iss) == 0 {
			return domain.Claims{}, errIssMissing
		}
		if string(iss) != c.issuer {
			return domain.Claims{}, errWrongIssuer
		}
	}

	// The codec's own checks.
	if p.kind(p.sub) != '"' {
		return domain.Claims{}, errSub
	}
	sub := p.str(p.sub)
	if len(sub) == 0 {
		return domain.Claims{}, errSub
	}
	var isAdmin bool
	switch p.kind(p.isAdmin) {
	case 't':
		isAdmin = true
	case 'f':
	default:
		return domain.Claims{}, errIsAdmin
	}
	if !p.isNumber(p.ver) {
		return domain.Claims{}, errVerType
	}
	ver, err := strconv.ParseInt(string(p.b[p.ver.start:p.ver.end]), 10, 64)
	if err != nil || ver < 0 {
		return domain.Claims{}, errVerValue
	}
	if !hasIat {
		return domain.Claims{}, errIatMissing
	}
	if !exp.After(iat) {
		return domain.Claims{}, errExpNotAfterIat
	}
	jti, ok := p.optString(p.jti)
	if !ok {
		return domain.Claims{}, errJTI
	}
	claims := domain.Claims{
		Subject:      string(sub),
		IsAdmin:      isAdmin,
		TokenVersion: ver,
		IssuedAt:     iat,
		ExpiresAt:    exp,
		NotBefore:    nbf,
		Audience:     aud,
		Extra:        p.extra,
	}
	if len(iss) > 0 {
		claims.Issuer = string(iss)
	}
	if len(jti) > 0 {
		claims.ID = string(jti)
	}
	return claims, nil
}
