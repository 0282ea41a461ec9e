package jwtcodec_test

import (
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

// benchTokens are the tokens BenchmarkDecode decodes at now with a default
// HS256 codec on testKey.
type benchTokens struct {
	plain   string // the claims Encode writes, no extra claims
	extras  string // plus company_id and role
	forged  string // plain, signed with another key
	expired string // plain, expired an hour ago
}

// newBenchTokens signs the benchTokens with c.
func newBenchTokens(b testing.TB, c *jwtcodec.Codec) benchTokens {
	b.Helper()
	enc := func(claims domain.Claims) string {
		tok, err := c.Encode(bg, claims)
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	plain := enc(validClaims())
	withExtras := validClaims()
	withExtras.Extra = map[string]any{"company_id": int64(9007199254740993), "role": "owner"}
	expired := validClaims()
	expired.IssuedAt, expired.ExpiresAt = now.Add(-2*time.Hour), now.Add(-time.Hour)
	h, p, _ := parts(b, plain)
	return benchTokens{
		plain:   plain,
		extras:  enc(withExtras),
		forged:  sign("HS256", otherKey, h, p),
		expired: enc(expired),
	}
}

// BenchmarkDecode measures Decode on a plain token (the claims Login
// writes), one with extra claims, a forged one and an expired one, beside
// its model on golang-jwt's parser (ReferenceDecode), so that one run shows
// the ratio.
func BenchmarkDecode(b *testing.B) {
	c := newCodec(b)
	toks := newBenchTokens(b, c)
	decoders := []struct {
		name   string
		decode func(string) error
	}{
		{"codec", func(tok string) error { _, err := c.Decode(bg, tok, now); return err }},
		{"golang-jwt_reference", func(tok string) error { _, err := jwtcodec.ReferenceDecode(c, tok, now); return err }},
	}
	for _, d := range decoders {
		for _, bc := range []struct {
			name  string
			token string
			ok    bool
		}{
			{name: "plain", token: toks.plain, ok: true},
			{name: "extras", token: toks.extras, ok: true},
			{name: "forged", token: toks.forged},
			{name: "expired", token: toks.expired},
		} {
			b.Run(d.name+"/"+bc.name, func(b *testing.B) {
				if err := d.decode(bc.token); (err == nil) != bc.ok {
					b.Fatalf("error %v, want ok=%v", err, bc.ok)
				}
				b.ReportAllocs()
				for b.Loop() {
					_ = d.decode(bc.token)
				}
			})
		}
	}
}

// BenchmarkDecodeParallel measures Decode of the token with extra claims
// from all processors at once, which share the codec's pool of states.
func BenchmarkDecodeParallel(b *testing.B) {
	c := newCodec(b)
	tok := newBenchTokens(b, c).extras
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Decode(bg, tok, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEncode measures Encode of claims with two extra claims.
func BenchmarkEncode(b *testing.B) {
	c := newCodec(b)
	claims := validClaims()
	claims.Extra = map[string]any{"company_id": int64(9007199254740993), "role": "owner"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(bg, claims); err != nil {
			b.Fatal(err)
		}
	}
}
