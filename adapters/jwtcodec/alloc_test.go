//go:build !race

package jwtcodec_test

import (
	"testing"
)

// TestDecodeAllocations guards the cost of Decode: the subject is the only
// allocation of a token without extra claims, and refusing a forged or
// expired token allocates nothing. (The race detector makes sync.Pool drop
// values at random, hence the build constraint.)
func TestDecodeAllocations(t *testing.T) {
	c := newCodec(t)
	toks := newBenchTokens(t, c)
	for _, tt := range []struct {
		name  string
		token string
		max   float64
	}{
		{"plain", toks.plain, 1},
		{"forged", toks.forged, 0},
		{"expired", toks.expired, 0},
		{"extras", toks.extras, 12},
	} {
		c.Decode(bg, tt.token, now) // fill the pool
		if n := testing.AllocsPerRun(200, func() { _, _ = c.Decode(bg, tt.token, now) }); n > tt.max {
			t.Errorf("%s: %.1f allocations per Decode, want at most %.0f", tt.name, n, tt.max)
		}
	}
}
