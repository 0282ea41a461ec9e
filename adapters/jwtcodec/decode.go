package jwtcodec

import (
	"crypto/hmac"
	"encoding/base64"
	"hash"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec/internal/jsonscan"
	"github.com/authadmin/authadmin/domain"
)

// b64 decodes token segments: base64url without padding, refusing
// non-zero trailing bits. It would skip '\r' and '\n', but Decode refuses
// every byte outside the base64url alphabet before using it.
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

// maxPooledBytes bounds the buffers a pooled decodeState keeps, so that a
// codec configured for huge tokens does not pin huge buffers.
const maxPooledBytes = 64 << 10

// decode verifies the token, whose only dots are at dot1 and dot2, and
// returns its claims.
func (c *Codec) decode(st *decodeState, token string, dot1, dot2 int, now time.Time) (domain.Claims, error) {
	st.in = append(st.in[:0], token...)
	if err := st.verifySignature(dot2); err != nil {
		return domain.Claims{}, err
	}
	header, body, err := st.segments(dot1, dot2)
	if err != nil {
		return domain.Claims{}, err
	}
	var p payload
	if !p.read(body) {
		return domain.Claims{}, errPayloadJSON
	}
	if err := c.checkHeader(header); err != nil {
		return domain.Claims{}, err
	}
	return c.checkClaims(&p, now)
}

// verifySignature checks the signature of st.in, whose second dot is at
// dot2, before any JSON is read.
func (st *decodeState) verifySignature(dot2 int) error {
	// Decode has checked the segment's length, so the signature fits.
	n, err := b64.Decode(st.sig[:], st.in[dot2+1:])
	if err != nil {
		return errSignatureB64
	}
	st.mac.Reset()
	st.mac.Write(st.in[:dot2])
	if !hmac.Equal(st.mac.Sum(st.sum[:0]), st.sig[:n]) {
		return errBadSignature
	}
	return nil
}

// segments decodes the header and payload of st.in into st.buf.
func (st *decodeState) segments(dot1, dot2 int) (header, body []byte, err error) {
	in := st.in
	need := b64.DecodedLen(dot1) + b64.DecodedLen(dot2-dot1-1)
	if cap(st.buf) < need {
		st.buf = make([]byte, need)
	}
	buf := st.buf[:need]
	hn, err := b64.Decode(buf, in[:dot1])
	if err != nil {
		return nil, nil, errHeaderB64
	}
	// Decode may write past what it returns, but not past buf: the
	// payload goes after the header.
	pn, err := b64.Decode(buf[hn:], in[dot1+1:dot2])
	if err != nil {
		return nil, nil, errPayloadB64
	}
	return buf[:hn], buf[hn : hn+pn], nil
}

// checkHeader accepts a JOSE header b that is a JSON object and nothing
// after it, whose last "alg" member is a string naming the codec's
// algorithm, without a "crit" member and without a number that overflows a
// float64. Other members (typ, kid, ...) may hold any JSON value. The JSON
// null reads as an object without members.
func (c *Codec) checkHeader(b []byte) error {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if end, ok := jsonscan.Literal(b, i, "null"); ok && jsonscan.SkipSpace(b, end) == len(b) {
			return errNoAlg
		}
		return errHeaderJSON
	}
	var algString, algOK, crit, ok bool
	if i = jsonscan.SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return errHeaderJSON
			}
			start := i
			var plain bool
			if i, plain, ok = jsonscan.String(b, i); !ok {
				return errHeaderJSON
			}
			key := jsonscan.StringValue(b, start, i, plain)
			if i = jsonscan.SkipSpace(b, i); i >= len(b) || b[i] != ':' {
				return errHeaderJSON
			}
			i = jsonscan.SkipSpace(b, i+1)
			switch string(key) {
			case "alg":
				algString, algOK = false, false
				if i < len(b) && b[i] == '"' {
					start = i
					if i, plain, ok = jsonscan.String(b, i); !ok {
						return errHeaderJSON
					}
					algString = true
					algOK = string(jsonscan.StringValue(b, start, i, plain)) == c.method.Alg()
				} else if i, ok = jsonscan.SkipValue(b, i, 1, true); !ok {
					return errHeaderJSON
				}
			case "crit":
				crit = true
				fallthrough
			default:
				if i, ok = jsonscan.SkipValue(b, i, 1, true); !ok {
					return errHeaderJSON
				}
			}
			if i, ok = jsonscan.NextMember(b, i, '}'); !ok {
				return errHeaderJSON
			}
			if b[i-1] == '}' {
				break
			}
		}
	}
	if jsonscan.SkipSpace(b, i) != len(b) {
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

// payload is a token's claims as read by read: the registered ones
// located, the others decoded into extra.
type payload struct {
	b                                          []byte
	sub, isAdmin, ver, iat, exp, nbf, iss, aud rawClaim
	jti                                        rawClaim
	extra                                      map[string]any
}

// read reads the first JSON value of b, which must be an object or null
// (no claims); what follows it is not read. A repeated member keeps its
// last value. Members that are not registered claims are decoded into
// extra, normalised as domain.Claims documents; reserved names this codec
// does not read are checked and dropped.
func (p *payload) read(b []byte) bool {
	p.b = b
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		_, ok := jsonscan.Literal(b, i, "null")
		return ok
	}
	if i = jsonscan.SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		start := i
		var plain, ok bool
		if i, plain, ok = jsonscan.String(b, i); !ok {
			return false
		}
		key := jsonscan.StringValue(b, start, i, plain)
		if i = jsonscan.SkipSpace(b, i); i >= len(b) || b[i] != ':' {
			return false
		}
		i = jsonscan.SkipSpace(b, i+1)
		if r := p.registered(key); r != nil {
			start = i
			if i, ok = jsonscan.SkipValue(b, i, 1, false); !ok {
				return false
			}
			*r = rawClaim{start: start, end: i}
		} else if name := string(key); domain.IsReservedClaim(name) {
			if i, ok = jsonscan.SkipValue(b, i, 1, false); !ok {
				return false
			}
		} else {
			var v any
			if v, i, ok = jsonscan.ParseValue(b, i, 1); !ok {
				return false
			}
			if p.extra == nil {
				p.extra = make(map[string]any)
			}
			p.extra[name] = domain.NormalizeClaimValue(v)
		}
		if i, ok = jsonscan.NextMember(b, i, '}'); !ok || b[i-1] == '}' {
			return ok
		}
	}
}

// registered returns where to record the claim called name, nil for
// names that are not registered claims the codec reads.
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
	return k == '-' || '0' <= k && k <= '9'
}

// str returns the value of a claim that is a JSON string.
func (p *payload) str(r rawClaim) []byte { return jsonscan.Unquote(p.b[r.start+1 : r.end-1]) }

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

// date reads a time claim: absent is not present; a number from 0 to
// maxNumericDate is its time; any other value, null included, is not ok.
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

// numericDate converts a JSON number of seconds into a time: the nearest
// float64, split into whole and fractional seconds by math.Modf, truncated
// to the second. This is golang-jwt's NumericDate arithmetic, so the
// boundaries of exp, nbf and iat are those of tokens it reads.
func numericDate(num []byte) time.Time {
	f, _ := strconv.ParseFloat(string(num), 64)
	round, frac := math.Modf(f)
	return time.Unix(int64(round), int64(frac*1e9)).Truncate(time.Second)
}

// audience reads "aud": absent, null or an empty list is no audience, a
// string is an audience of one, a list must hold only strings, and any
// other value is not ok.
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
	i := jsonscan.SkipSpace(b, r.start+1)
	if i < len(b) && b[i] == ']' {
		return nil, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		start := i
		var plain bool
		if i, plain, ok = jsonscan.String(b, i); !ok {
			return nil, false
		}
		aud = append(aud, string(jsonscan.StringValue(b, start, i, plain)))
		if i, ok = jsonscan.NextMember(b, i, ']'); !ok || b[i-1] == ']' {
			return aud, ok
		}
	}
}

// checkClaims applies the claim rules to p, in the order Decode documents,
// and returns the claims.
func (c *Codec) checkClaims(p *payload, now time.Time) (domain.Claims, error) {
	t, err := c.checkTimes(p, now)
	if err != nil {
		return domain.Claims{}, err
	}
	aud, err := c.checkAudience(p)
	if err != nil {
		return domain.Claims{}, err
	}
	iss, err := c.checkIssuer(p)
	if err != nil {
		return domain.Claims{}, err
	}
	sub, isAdmin, ver, err := p.principal()
	if err != nil {
		return domain.Claims{}, err
	}
	if err := t.checkLifetime(); err != nil {
		return domain.Claims{}, err
	}
	jti, ok := p.optString(p.jti)
	if !ok {
		return domain.Claims{}, errJTI
	}
	claims := domain.Claims{
		Subject:      string(sub),
		IsAdmin:      isAdmin,
		TokenVersion: ver,
		IssuedAt:     t.iat,
		ExpiresAt:    t.exp,
		NotBefore:    t.nbf,
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

// times are a token's time claims, zero when absent.
type times struct {
	exp, nbf, iat time.Time
	hasIat        bool
}

// checkTimes reads exp (required), nbf and iat, and refuses a token
// expired, or not yet valid or issued in the future, beyond the leeway.
func (c *Codec) checkTimes(p *payload, now time.Time) (t times, err error) {
	exp, hasExp, ok := p.date(p.exp)
	switch {
	case !ok:
		return t, errExpType
	case !hasExp:
		return t, errExpMissing
	case !now.Before(exp.Add(c.leeway)):
		return t, errExpired
	}
	nbf, hasNbf, ok := p.date(p.nbf)
	switch {
	case !ok:
		return t, errNbfType
	case hasNbf && now.Before(nbf.Add(-c.leeway)):
		return t, errNotValidYet
	}
	iat, hasIat, ok := p.date(p.iat)
	switch {
	case !ok:
		return t, errIatType
	case hasIat && now.Before(iat.Add(-c.leeway)):
		return t, errIssuedLater
	}
	return times{exp: exp, nbf: nbf, iat: iat, hasIat: hasIat}, nil
}

// checkLifetime requires an "iat" and an "exp" after it.
func (t times) checkLifetime() error {
	if !t.hasIat {
		return errIatMissing
	}
	if !t.exp.After(t.iat) {
		return errExpNotAfterIat
	}
	return nil
}

// checkAudience reads "aud" and, if the codec has an audience, requires
// the token's to contain it.
func (c *Codec) checkAudience(p *payload) ([]string, error) {
	aud, ok := p.audience()
	if !ok {
		return nil, errAudType
	}
	if c.audience == "" {
		return aud, nil
	}
	if len(aud) == 0 || len(aud) == 1 && aud[0] == "" {
		return nil, errAudMissing
	}
	if !slices.Contains(aud, c.audience) {
		return nil, errWrongAudience
	}
	return aud, nil
}

// checkIssuer reads "iss" and, if the codec has an issuer, requires the
// token's to be it.
func (c *Codec) checkIssuer(p *payload) ([]byte, error) {
	iss, ok := p.optString(p.iss)
	if !ok {
		return nil, errIssType
	}
	if c.issuer == "" {
		return iss, nil
	}
	if len(iss) == 0 {
		return nil, errIssMissing
	}
	if string(iss) != c.issuer {
		return nil, errWrongIssuer
	}
	return iss, nil
}

// principal reads the claims that name the user: a non-empty string
// "sub", a boolean "is_admin" and a non-negative integer "ver".
func (p *payload) principal() (sub []byte, isAdmin bool, ver int64, err error) {
	if p.kind(p.sub) != '"' {
		return nil, false, 0, errSub
	}
	if sub = p.str(p.sub); len(sub) == 0 {
		return nil, false, 0, errSub
	}
	switch p.kind(p.isAdmin) {
	case 't':
		isAdmin = true
	case 'f':
	default:
		return nil, false, 0, errIsAdmin
	}
	if !p.isNumber(p.ver) {
		return nil, false, 0, errVerType
	}
	ver, err = strconv.ParseInt(string(p.b[p.ver.start:p.ver.end]), 10, 64)
	if err != nil || ver < 0 {
		return nil, false, 0, errVerValue
	}
	return sub, isAdmin, ver, nil
}
