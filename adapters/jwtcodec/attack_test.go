package jwtcodec_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
)

// attackCase is a hand-made token and whether the codec (HS256 on testKey
// unless alg says otherwise) must accept it.
type attackCase struct {
	name  string
	alg   string // codec algorithm; "" is HS256
	token string
	ok    bool
}

func attackCases(t *testing.T) []attackCase {
	valid := forge("HS256", testKey, payload(nil))
	vh, vp, vs := parts(t, valid)
	admin := payload(map[string]any{"is_admin": true})
	other := forge("HS256", testKey, payload(map[string]any{"sub": "bob@example.com"}))
	_, _, otherSig := parts(t, other)

	// The jwt library's own signer, to make sure the hand-made tokens are
	// not the only thing tested.
	libSigned := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatalf("jwt signer: %v", err)
		}
		return s
	}
	noneHeader := func(alg string) string { return seg(map[string]any{"alg": alg, "typ": "JWT"}) }

	cases := []attackCase{
		// Controls: the forging helpers make tokens the codec accepts.
		{name: "control: hand-made HS256 token", token: valid, ok: true},
		{name: "control: hand-made HS384 token", alg: "HS384", token: forge("HS384", testKey, payload(nil)), ok: true},
		{name: "control: hand-made HS512 token", alg: "HS512", token: forge("HS512", testKey, payload(nil)), ok: true},
		{name: "control: jwt library HS256 token", token: libSigned(jwt.SigningMethodHS256, testKey, payload(nil)), ok: true},
		{name: "control: header without typ", token: sign("HS256", testKey, seg(map[string]any{"alg": "HS256"}), vp), ok: true},

		// Algorithm confusion.
		{name: "alg none, empty signature", token: noneHeader("none") + "." + seg(admin) + "."},
		{name: "alg None, empty signature", token: noneHeader("None") + "." + seg(admin) + "."},
		{name: "alg NONE, empty signature", token: noneHeader("NONE") + "." + seg(admin) + "."},
		{name: "alg none, HMAC signature", token: sign("HS256", testKey, noneHeader("none"), seg(admin))},
		{name: "alg none by the jwt library", token: libSigned(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, admin)},
		{name: "crit header (RFC 7515: unknown critical extension)", token: sign("HS256", testKey, seg(map[string]any{"alg": "HS256", "crit": []string{"exp"}}), vp)},
		{name: "crit header, empty list", token: sign("HS256", testKey, seg(map[string]any{"alg": "HS256", "crit": []string{}}), vp)},
		{name: "alg missing from header", token: sign("HS256", testKey, seg(map[string]any{"typ": "JWT"}), vp)},
		{name: "alg empty", token: sign("HS256", testKey, seg(map[string]any{"alg": ""}), vp)},
		{name: "alg not a string", token: sign("HS256", testKey, seg(map[string]any{"alg": 256}), vp)},
		{name: "alg hs256 lower case", token: sign("HS256", testKey, seg(map[string]any{"alg": "hs256"}), vp)},
		{name: "HS512 token, HS256 configured", token: forge("HS512", testKey, payload(nil))},
		{name: "HS384 token, HS256 configured", token: forge("HS384", testKey, payload(nil))},
		{name: "HS256 token, HS512 configured", alg: "HS512", token: forge("HS256", testKey, payload(nil))},
		{name: "HS256 token, HS384 configured", alg: "HS384", token: forge("HS256", testKey, payload(nil))},
		{name: "HS512 token by the jwt library, HS256 configured", token: libSigned(jwt.SigningMethodHS512, testKey, payload(nil))},
		{name: "header HS256, signed with HS512", token: sign("HS512", testKey, header("HS256"), vp)},
		{name: "RS256 header, HMAC signature", token: sign("HS256", testKey, header("RS256"), seg(admin))},
		{name: "RS256 header, empty signature", token: header("RS256") + "." + seg(admin) + "."},
		{name: "ES256 header", token: sign("HS256", testKey, header("ES256"), vp)},
		{name: "unknown alg", token: sign("HS256", testKey, header("XX999"), vp)},

		// Signature.
		{name: "wrong key", token: forge("HS256", otherKey, payload(nil))},
		{name: "wrong key, admin", token: forge("HS256", otherKey, admin)},
		{name: "key prefix (32 of 64 bytes)", token: forge("HS256", testKey[:32], payload(nil))},
		{name: "empty key", token: forge("HS256", []byte{}, payload(nil))},
		{name: "payload edited after signing (is_admin false->true)", token: vh + "." + seg(admin) + "." + vs},
		{name: "payload edited after signing (ver)", token: vh + "." + seg(payload(map[string]any{"ver": 4})) + "." + vs},
		{name: "payload edited after signing (exp)", token: vh + "." + seg(payload(map[string]any{"exp": now.Unix() + 1e9})) + "." + vs},
		{name: "header edited after signing", token: seg(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "x"}) + "." + vp + "." + vs},
		{name: "signature stripped, trailing dot kept", token: vh + "." + vp + "."},
		{name: "signature stripped, two segments", token: vh + "." + vp},
		{name: "signature of another token", token: vh + "." + vp + "." + otherSig},
		{name: "signature truncated by one byte", token: vh + "." + vp + "." + b64(mustB64(t, vs)[:31])},
		{name: "signature with an extra byte", token: vh + "." + vp + "." + b64(append(mustB64(t, vs), 0))},
		{name: "signature bit flipped", token: vh + "." + vp + "." + b64(flipFirst(mustB64(t, vs)))},
		{name: "signature all zeros", token: vh + "." + vp + "." + b64(make([]byte, 32))},
		{name: "signature is the payload", token: vh + "." + vp + "." + vp},

		// Time claims (default leeway 5s).
		{name: "expired beyond leeway", token: forge("HS256", testKey, payload(map[string]any{"exp": now.Unix() - 60}))},
		{name: "expired within leeway", token: forge("HS256", testKey, payload(map[string]any{"exp": now.Unix() - 3})), ok: true},
		{name: "expired long ago", token: forge("HS256", testKey, payload(map[string]any{"iat": 1000, "exp": 2000}))},
		{name: "nbf in the future beyond leeway", token: forge("HS256", testKey, payload(map[string]any{"nbf": now.Unix() + 60}))},
		{name: "nbf in the past", token: forge("HS256", testKey, payload(map[string]any{"nbf": now.Unix() - 60})), ok: true},
		{name: "nbf not a number", token: forge("HS256", testKey, payload(map[string]any{"nbf": "soon"}))},
		{name: "iat in the future beyond leeway", token: forge("HS256", testKey, payload(map[string]any{"iat": now.Unix() + 60, "exp": now.Unix() + 3600}))},
		{name: "missing exp", token: forge("HS256", testKey, payload(map[string]any{"exp": del{}}))},
		{name: "exp 0", token: forge("HS256", testKey, payload(map[string]any{"exp": 0}))},
		{name: "exp 0.0", token: forgeRaw(`{"sub":"ann@example.com","is_admin":false,"ver":3,"iat":1699999940,"exp":0.0}`)},
		{name: "exp null", token: forge("HS256", testKey, payload(map[string]any{"exp": nil}))},
		{name: "exp negative", token: forge("HS256", testKey, payload(map[string]any{"exp": -1}))},
		{name: "exp as string", token: forge("HS256", testKey, payload(map[string]any{"exp": "1700003600"}))},
		{name: "exp equal to iat", token: forge("HS256", testKey, payload(map[string]any{"iat": now.Unix() + 2, "exp": now.Unix() + 2}))},
		{name: "exp before iat", token: forge("HS256", testKey, payload(map[string]any{"iat": now.Unix() + 3, "exp": now.Unix() + 2}))},
		{name: "exp huge", token: forgeRaw(`{"sub":"ann@example.com","is_admin":false,"ver":3,"iat":1699999940,"exp":1e999}`)},
		{name: "missing iat", token: forge("HS256", testKey, payload(map[string]any{"iat": del{}}))},
		{name: "iat null", token: forge("HS256", testKey, payload(map[string]any{"iat": nil}))},
		{name: "iat as string", token: forge("HS256", testKey, payload(map[string]any{"iat": "1699999940"}))},
		{name: "fractional times accepted", token: forgeRaw(`{"sub":"ann@example.com","is_admin":false,"ver":3,"iat":1699999940.5,"exp":1700003600.5}`), ok: true},

		// Claims the library relies on.
		{name: "missing sub", token: forge("HS256", testKey, payload(map[string]any{"sub": del{}}))},
		{name: "empty sub", token: forge("HS256", testKey, payload(map[string]any{"sub": ""}))},
		{name: "sub as number", token: forge("HS256", testKey, payload(map[string]any{"sub": 42}))},
		{name: "sub null", token: forge("HS256", testKey, payload(map[string]any{"sub": nil}))},
		{name: "sub as array", token: forge("HS256", testKey, payload(map[string]any{"sub": []string{"ann@example.com"}}))},
		{name: "missing is_admin", token: forge("HS256", testKey, payload(map[string]any{"is_admin": del{}}))},
		{name: `is_admin as string "true"`, token: forge("HS256", testKey, payload(map[string]any{"is_admin": "true"}))},
		{name: "is_admin as number 1", token: forge("HS256", testKey, payload(map[string]any{"is_admin": 1}))},
		{name: "is_admin null", token: forge("HS256", testKey, payload(map[string]any{"is_admin": nil}))},
		{name: "missing ver", token: forge("HS256", testKey, payload(map[string]any{"ver": del{}}))},
		{name: "ver as string", token: forge("HS256", testKey, payload(map[string]any{"ver": "3"}))},
		{name: "ver as float 1.5", token: forge("HS256", testKey, payload(map[string]any{"ver": 1.5}))},
		{name: "ver negative", token: forge("HS256", testKey, payload(map[string]any{"ver": -1}))},
		{name: "ver beyond int64", token: forge("HS256", testKey, payload(map[string]any{"ver": json.Number("9223372036854775808")}))},
		{name: "ver null", token: forge("HS256", testKey, payload(map[string]any{"ver": nil}))},
		{name: "ver as bool", token: forge("HS256", testKey, payload(map[string]any{"ver": true}))},

		// Structure.
		{name: "empty string", token: ""},
		{name: "one segment", token: vh},
		{name: "two segments", token: vh + "." + vp},
		{name: "four segments", token: valid + "." + vs},
		{name: "four segments, empty last", token: valid + "."},
		{name: "only dots", token: ".."},
		{name: "leading dot", token: "." + valid},
		{name: "payload not JSON", token: sign("HS256", testKey, vh, b64([]byte("not json")))},
		{name: "payload a JSON array", token: sign("HS256", testKey, vh, b64([]byte(`["sub","ann@example.com"]`)))},
		{name: "payload a JSON string", token: sign("HS256", testKey, vh, b64([]byte(`"ann@example.com"`)))},
		{name: "payload JSON null", token: sign("HS256", testKey, vh, b64([]byte(`null`)))},
		{name: "payload empty", token: sign("HS256", testKey, vh, "")},
		{name: "payload truncated JSON", token: sign("HS256", testKey, vh, b64(mustJSON(payload(nil))[:20]))},
		{name: "header not JSON", token: sign("HS256", testKey, b64([]byte("HS256")), vp)},
		{name: "header a JSON array", token: sign("HS256", testKey, b64([]byte(`["HS256"]`)), vp)},
		{name: "header empty", token: sign("HS256", testKey, "", vp)},
		{name: "header not base64", token: sign("HS256", testKey, "!!!", vp)},
		{name: "payload not base64", token: sign("HS256", testKey, vh, "!!!")},
		{name: "signature not base64", token: vh + "." + vp + ".!!!"},

		// Strict base64url.
		{name: "padded payload", token: paddedPayloadToken(t)},
		{name: "padded header", token: paddedHeaderToken(t)},
		{name: "padded signature", token: vh + "." + vp + "." + base64.URLEncoding.EncodeToString(mustB64(t, vs))},
		{name: "standard alphabet payload", token: stdAlphabetPayloadToken(t)},
		{name: "standard alphabet signature", token: stdAlphabetSignatureToken(t)},
		{name: "signature with non-zero trailing bits", token: vh + "." + vp + "." + nonCanonical(t, vs)},
		{name: "line feed at the end", token: valid + "\n"},
		{name: "CRLF inside the signature", token: vh + "." + vp + "." + vs[:10] + "\r\n" + vs[10:]},
		{name: "line feed inside the payload", token: vh + "." + vp[:10] + "\n" + vp[10:] + "." + vs},
		{name: "space at the end", token: valid + " "},
		{name: "space at the start", token: " " + valid},
		{name: "Bearer prefix", token: "Bearer " + valid},
		{name: "NUL byte", token: valid + "\x00"},
		{name: "non-ASCII byte", token: valid + "\xff"},
	}
	return cases
}

func TestDecodeAttacks(t *testing.T) {
	for _, tt := range attackCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, jwtcodec.WithAlgorithm(tt.alg))
			got, err := c.Decode(bg, tt.token, now)
			if !tt.ok {
				wantInvalid(t, got, err)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Subject != "ann@example.com" || got.IsAdmin || got.TokenVersion != 3 {
				t.Fatalf("Decode = %+v", got)
			}
		})
	}
}

// TestOversizedFailsBeforeParsing shows that the length check comes first:
// the same bytes under the limit reach the parser (ErrMalformed), over it
// they do not (ErrTooLong).
func TestOversizedFailsBeforeParsing(t *testing.T) {
	dots := strings.Repeat(".", 1<<20)
	tests := []struct {
		name       string
		max        int
		token      string
		wantParsed bool
	}{
		{name: "1 MiB of dots", token: dots},
		{name: "1 MiB of dots, limit above it", max: len(dots), token: dots, wantParsed: true},
		{name: "short dots", token: "....", wantParsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, jwtcodec.WithMaxTokenBytes(tt.max))
			got, err := c.Decode(bg, tt.token, now)
			wantInvalid(t, got, err)
			want := jwtcodec.ErrTooLong
			if tt.wantParsed {
				want = jwtcodec.ErrMalformed
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %q does not wrap %v", err, want)
			}
			if !tt.wantParsed && !strings.Contains(err.Error(), "longer than 8192 bytes") {
				t.Fatalf("error %q does not state the length limit", err)
			}
		})
	}
}

// mustB64 decodes a base64url segment.
func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return b
}

func flipFirst(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[0] ^= 1
	return c
}

// paddedPayloadToken signs a payload segment encoded with '=' padding (so
// the signature is right for the text as sent): only strict decoding can
// refuse it.
func paddedPayloadToken(t *testing.T) string {
	b := mustJSON(payload(nil))
	for len(b)%3 == 0 {
		b = append(b, ' ') // JSON white space: same claims, other length
	}
	p := base64.URLEncoding.EncodeToString(b)
	if !strings.HasSuffix(p, "=") {
		t.Fatalf("payload segment %q is not padded", p)
	}
	return sign("HS256", testKey, header("HS256"), p)
}

// paddedHeaderToken does the same with the header.
func paddedHeaderToken(t *testing.T) string {
	b := []byte(`{"alg":"HS256"}`)
	for len(b)%3 == 0 {
		b = append(b, ' ')
	}
	h := base64.URLEncoding.EncodeToString(b)
	if !strings.HasSuffix(h, "=") {
		t.Fatalf("header segment %q is not padded", h)
	}
	return sign("HS256", testKey, h, seg(payload(nil)))
}

// stdAlphabetPayloadToken signs a payload whose standard-alphabet encoding
// contains '+' or '/'.
func stdAlphabetPayloadToken(t *testing.T) string {
	for i := range 64 {
		p := base64.RawStdEncoding.EncodeToString(mustJSON(payload(map[string]any{"x": strings.Repeat("~", i)})))
		if strings.ContainsAny(p, "+/") {
			return sign("HS256", testKey, header("HS256"), p)
		}
	}
	t.Fatal("no payload with '+' or '/' found")
	return ""
}

// stdAlphabetSignatureToken returns a valid token whose signature is
// re-encoded in the standard alphabet and contains '+' or '/'.
func stdAlphabetSignatureToken(t *testing.T) string {
	for i := range 1000 {
		tok := forge("HS256", testKey, payload(map[string]any{"n": i}))
		h, p, s := parts(t, tok)
		std := base64.RawStdEncoding.EncodeToString(mustB64(t, s))
		if strings.ContainsAny(std, "+/") {
			return h + "." + p + "." + std
		}
	}
	t.Fatal("no signature with '+' or '/' found")
	return ""
}

// nonCanonical changes the last character of a base64url segment so that
// it decodes to the same bytes with non-zero unused bits: a lenient decoder
// would still verify the signature.
func nonCanonical(t *testing.T, s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	alt := s[:len(s)-1] + string(alphabet[last^1])
	lenient, err := base64.RawURLEncoding.DecodeString(alt)
	if err != nil || string(lenient) != string(mustB64(t, s)) {
		t.Fatalf("%q is not a lenient alias of %q (%v)", alt, s, err)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(alt); err == nil {
		t.Fatalf("%q decodes strictly", alt)
	}
	return alt
}
