package jwtcodec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

// FuzzDecode checks that Decode never panics, either returns claims with a
// subject or an error wrapping domain.ErrInvalidToken, and agrees with
// ReferenceDecode (golang-jwt's parser) on both.
//
// It decodes two tokens per input: token as given (mostly exercising the
// parsing and signature checks, since the fuzzer cannot sign), and a token
// whose payload is claimsJSON correctly signed with the codec's key, so that
// the claim checks after the signature see arbitrary JSON too.
func FuzzDecode(f *testing.F) {
	c, err := jwtcodec.New(testKey)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := c.Encode(bg, domain.Claims{
		Subject: "ann@example.com", IsAdmin: true, TokenVersion: 3,
		IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
		Extra: map[string]any{"company_id": int64(9007199254740993), "nested": map[string]any{"a": []any{1, "b"}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := c.Decode(bg, valid, now); err != nil {
		f.Fatalf("the valid seed does not decode: %v", err)
	}
	h, p, s := parts(f, valid)
	tokens := []string{
		valid,
		"",
		".",
		"..",
		"...",
		h + "." + p,
		valid + "." + s,
		h + "." + p + ".",
		header("none") + "." + seg(payload(nil)) + ".",
		forge("HS512", testKey, payload(nil)),
		forge("HS256", otherKey, payload(nil)),
		forge("HS256", testKey, payload(map[string]any{"ver": 1.5})),
		forge("HS256", testKey, payload(map[string]any{"is_admin": "true"})),
		forge("HS256", testKey, payload(map[string]any{"exp": del{}})),
		forgeRaw(`[]`),
		forgeRaw(`{"sub":"a","is_admin":false,"ver":1,"iat":1699999940,"exp":1e999}`),
		sign("HS256", testKey, b64([]byte("not json")), p),
		valid + "=",
		strings.ReplaceAll(valid, "_", "/"),
		valid + "\n",
		strings.Repeat(".", 100),
	}
	claims := []string{
		string(mustJSON(payload(nil))),
		string(mustJSON(payload(map[string]any{"x": map[string]any{"y": []any{1, 2.5, "z", nil, true}}}))),
		string(mustJSON(payload(map[string]any{"iss": "a", "aud": []string{"b"}, "nbf": now.Unix()}))),
		`{"sub":"a","is_admin":false,"ver":1,"iat":1699999940,"exp":1e999}`,
		`{"sub":"a","is_admin":false,"ver":18446744073709551616,"iat":1699999940,"exp":1700003600}`,
		`{"sub":"a","is_admin":false,"ver":1,"iat":-1e300,"exp":1e300}`,
		`{"sub":"a","is_admin":false,"ver":1,"iat":1699999940,"exp":1700003600,"n":1e400}`,
		`[]`,
		`null`,
		``,
		`{}`,
	}
	for i, tok := range tokens {
		f.Add(tok, claims[i%len(claims)])
	}
	head := header("HS256")
	f.Fuzz(func(t *testing.T, token, claimsJSON string) {
		check(t, c, token)
		check(t, c, sign("HS256", testKey, head, b64([]byte(claimsJSON))))
	})
}

func check(t *testing.T, c *jwtcodec.Codec, token string) {
	t.Helper()
	if !sameAsReference(t, c, token, now) {
		return // sameAsReference checked the error
	}
	got, err := c.Decode(bg, token, now)
	if err != nil || got.Subject == "" {
		t.Fatalf("Decode(%q) accepted a token without a subject: %+v, %v", token, got, err)
	}
}
