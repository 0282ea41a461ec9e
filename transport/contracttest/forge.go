package contracttest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"testing"
	"time"
)

// b64 is the base64url encoding of JWS segments.
var b64 = base64.RawURLEncoding.EncodeToString

// claimsFor returns the claims a server puts in a token of email, issued
// now and expiring in an hour, for the suite to edit and sign itself.
func claimsFor(email string, admin bool) map[string]any {
	now := time.Now()
	return map[string]any{
		"sub":      email,
		"is_admin": admin,
		"ver":      0,
		"iat":      now.Unix(),
		"exp":      now.Add(time.Hour).Unix(),
	}
}

// jsonSegment encodes v as a base64url JSON segment.
func jsonSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// signHMAC returns header.payload signed with key under alg (HS256, HS384
// or HS512), whatever header says.
func signHMAC(alg string, key []byte, header, payload string) string {
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	mac := hmac.New(h, key)
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + b64(mac.Sum(nil))
}

// forge signs claims (any JSON value) with the server's key under alg,
// with a header naming headerAlg.
func forge(t *testing.T, headerAlg, alg string, key []byte, claims any) string {
	t.Helper()
	header := jsonSegment(t, map[string]string{"alg": headerAlg, "typ": "JWT"})
	return signHMAC(alg, key, header, jsonSegment(t, claims))
}

// forgeRS256 signs claims with a fresh RSA key, as an attacker holding
// their own key pair would.
func forgeRS256(t *testing.T, claims any) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signing := jsonSegment(t, map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + jsonSegment(t, claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(sig)
}
