package jwtcodec_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

// now is the fixed instant every test decodes at.
var now = time.Unix(1_700_000_000, 0)

// testKey is 64 bytes, long enough for every HMAC algorithm: base64url of
// 48 random bytes, which New accepts, as it does its first 32 and 48
// bytes. The fuzz corpus holds tokens signed with it.
var testKey = []byte("efdJH_aIt1V0jelTbrk8E-Uhn0SR6AhP0PKZF3EgLa0I1qAqfw08PFb2o_mhCGmD")

// otherKey is another valid key of the same length.
var otherKey = bytes.Repeat([]byte{0xA5}, 64)

// newCodec returns a codec on testKey with opts.
func newCodec(t testing.TB, opts ...jwtcodec.Option) *jwtcodec.Codec {
	t.Helper()
	return newCodecKey(t, testKey, opts...)
}

// newCodecKey returns a codec on key with opts.
func newCodecKey(t testing.TB, key []byte, opts ...jwtcodec.Option) *jwtcodec.Codec {
	t.Helper()
	c, err := jwtcodec.New(key, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// validClaims is what a login would issue at now.
func validClaims() domain.Claims {
	return domain.Claims{
		Subject:      "ann@example.com",
		IsAdmin:      false,
		TokenVersion: 3,
		IssuedAt:     now.Add(-time.Minute),
		ExpiresAt:    now.Add(time.Hour),
	}
}

// b64 is the JWT segment encoding: base64url without padding.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// mustJSON marshals v or panics (the values are test literals).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// seg encodes v as a JSON segment.
func seg(v any) string { return b64(mustJSON(v)) }

// header is a JOSE header segment naming alg.
func header(alg string) string { return seg(map[string]any{"alg": alg, "typ": "JWT"}) }

// hmacSum is the raw HMAC of input with the hash alg names.
func hmacSum(alg string, key []byte, input string) []byte {
	var h func() hash.Hash
	switch alg {
	case "HS256", "RS256", "none":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		panic("hmacSum: unknown alg " + alg)
	}
	m := hmac.New(h, key)
	m.Write([]byte(input))
	return m.Sum(nil)
}

// sign returns head.payload.sig, sig being the HMAC (with alg's hash) of
// head.payload under key, base64url-encoded.
func sign(alg string, key []byte, head, payload string) string {
	input := head + "." + payload
	return input + "." + b64(hmacSum(alg, key, input))
}

// forge builds and signs a token by hand: HMAC alg over the given payload
// claims, with a header naming the same alg.
func forge(alg string, key []byte, payload map[string]any) string {
	return sign(alg, key, header(alg), seg(payload))
}

// forgeRaw signs a payload given as raw JSON text with HS256 and testKey.
func forgeRaw(payloadJSON string) string {
	return sign("HS256", testKey, header("HS256"), b64([]byte(payloadJSON)))
}

// del marks a claim for removal in payload.
type del struct{}

// payload returns the claims of validClaims as a token carries them, with
// changes applied (a del value removes the claim).
func payload(changes map[string]any) map[string]any {
	m := map[string]any{
		"sub":      "ann@example.com",
		"is_admin": false,
		"ver":      3,
		"iat":      now.Unix() - 60,
		"exp":      now.Unix() + 3600,
	}
	for k, v := range changes {
		if _, ok := v.(del); ok {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// parts splits a token into its three segments.
func parts(t testing.TB, token string) (head, payload, sig string) {
	t.Helper()
	p := strings.Split(token, ".")
	if len(p) != 3 {
		t.Fatalf("token %q has %d segments", token, len(p))
	}
	return p[0], p[1], p[2]
}

// decodePayload returns the JSON claims of a token without verifying it.
func decodePayload(t testing.TB, token string) map[string]any {
	t.Helper()
	_, p, _ := parts(t, token)
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatalf("payload of %q: %v", token, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("payload of %q: %v", token, err)
	}
	return m
}

// wantInvalid fails the test unless err wraps domain.ErrInvalidToken and
// the claims are empty.
func wantInvalid(t testing.TB, got domain.Claims, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Decode accepted the token: %+v", got)
	}
	if !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("Decode error %q does not wrap domain.ErrInvalidToken", err)
	}
	if got.Subject != "" || got.Extra != nil {
		t.Fatalf("Decode returned claims with its error: %+v", got)
	}
}

// bg is the context the tests pass to the codec, which ignores it.
var bg = context.Background()
