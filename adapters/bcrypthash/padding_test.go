package bcrypthash_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/domain"
)

// lowHasher returns a hasher at a test-only cost, with the warning
// discarded.
func lowHasher(t testing.TB, cost int) *bcrypthash.Hasher {
	t.Helper()
	h, err := bcrypthash.New(cost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("New(%d): %v", cost, err)
	}
	return h
}

// hashAt returns the bcrypt hash of password at cost, as a hasher
// configured with that cost made it.
func hashAt(t testing.TB, password string, cost int) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// work is the bcrypt work of comparisons at the given costs, in units of
// one comparison at cost 0.
func work(costs []int) int {
	w := 0
	for _, c := range costs {
		w += 1 << c
	}
	return w
}

// TestComparePadding counts the bcrypt comparisons Compare makes: a
// mismatch against a hash of lower cost than the hasher's is padded to the
// work of one comparison at the hasher's cost; a match, a mismatch at the
// same or a higher cost, an unusable hash and a cancelled call are not.
func TestComparePadding(t *testing.T) {
	const cost = 7
	const pw = "password1"
	long := strings.Repeat("p", domain.MaxPasswordBytes)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		hash      string
		password  string
		wantMatch bool
		wantErr   bool // an error that is not a mismatch
		want      []int
	}{
		{name: "mismatch at cost 4", hash: hashAt(t, pw, 4), password: "wrong", want: []int{4, 4, 5, 6}},
		{name: "mismatch at cost 5", hash: hashAt(t, pw, 5), password: "wrong", want: []int{5, 5, 6}},
		{name: "mismatch at cost 6", hash: hashAt(t, pw, 6), password: "wrong", want: []int{6, 6}},
		{name: "mismatch at the same cost", hash: hashAt(t, pw, cost), password: "wrong", want: []int{cost}},
		{name: "mismatch at a higher cost is not cheaper", hash: hashAt(t, pw, 8), password: "wrong", want: []int{8}},
		{name: "match at cost 4 is not padded", hash: hashAt(t, pw, 4), password: pw, wantMatch: true, want: []int{4}},
		{name: "match at the same cost", hash: hashAt(t, pw, cost), password: pw, wantMatch: true, want: []int{cost}},
		{name: "match at a higher cost", hash: hashAt(t, pw, 8), password: pw, wantMatch: true, want: []int{8}},
		{name: "over 72 bytes at cost 4, prefix matching", hash: hashAt(t, long, 4), password: long + "x", want: []int{4, 4, 5, 6}},
		{name: "over 72 bytes at the same cost, prefix matching", hash: hashAt(t, long, cost), password: long + "x", want: []int{cost}},
		{name: "unusable hash", hash: "garbage", password: pw, wantErr: true},
		{name: "cancelled", ctx: cancelled, hash: hashAt(t, pw, 4), password: "wrong", wantErr: true},
	}
	h := lowHasher(t, cost)
	var got []int
	bcrypthash.ObserveComparisons(h, func(c int) { got = append(got, c) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			// Twice: the first padded call also makes the stand-ins.
			for round := range 2 {
				got = nil
				err := h.Compare(ctx, tt.hash, tt.password)
				switch {
				case tt.wantMatch && err != nil:
					t.Fatalf("round %d: Compare = %v, want a match", round, err)
				case tt.wantErr && (err == nil || errors.Is(err, domain.ErrPasswordMismatch)):
					t.Fatalf("round %d: Compare = %v, want an error other than a mismatch", round, err)
				case !tt.wantMatch && !tt.wantErr && !errors.Is(err, domain.ErrPasswordMismatch):
					t.Fatalf("round %d: Compare = %v, want a mismatch", round, err)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("round %d: comparisons at costs %v, want %v", round, got, tt.want)
				}
			}
			if !tt.wantMatch && !tt.wantErr && len(tt.want) > 1 && work(got) != 1<<cost {
				t.Fatalf("padded work %d, want 2^%d = %d", work(got), cost, 1<<cost)
			}
		})
	}
}

// TestComparePaddingAcrossCosts checks the sum for every pair of costs a
// test can afford: a mismatch costs 2^configured whatever the stored cost
// below it.
func TestComparePaddingAcrossCosts(t *testing.T) {
	for configured := bcrypthash.MinCost; configured <= 7; configured++ {
		h := lowHasher(t, configured)
		var got []int
		bcrypthash.ObserveComparisons(h, func(c int) { got = append(got, c) })
		for stored := bcrypthash.MinCost; stored <= configured; stored++ {
			got = nil
			if err := h.Compare(t.Context(), hashAt(t, "right", stored), "wrong"); !errors.Is(err, domain.ErrPasswordMismatch) {
				t.Fatalf("Compare = %v", err)
			}
			if work(got) != 1<<configured {
				t.Errorf("configured %d, stored %d: comparisons at %v, work %d, want %d", configured, stored, got, work(got), 1<<configured)
			}
		}
	}
}

// TestComparePaddingTiming measures what an attacker would: with real
// bcrypt after a cost change from 5 to 9, a wrong password against an old
// hash takes as long as one against a hash at the new cost (which is what
// an unknown email is compared against). Without padding it would take a
// sixteenth. The measurements are interleaved and compared as a ratio of
// medians within one run, never against a fixed duration.
func TestComparePaddingTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("measures bcrypt at cost 9")
	}
	// At least minSamples of each, more while the budget lasts (the race
	// detector makes bcrypt about ten times slower).
	const oldCost, newCost, minSamples, maxSamples, budget = 5, 9, 9, 41, 3 * time.Second
	h := lowHasher(t, newCost)
	ctx := t.Context()
	oldHash, newHash := hashAt(t, "right", oldCost), hashAt(t, "right", newCost)
	timeIt := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	mismatch := func(hash string) func() {
		return func() {
			if err := h.Compare(ctx, hash, "wrong"); !errors.Is(err, domain.ErrPasswordMismatch) {
				t.Errorf("Compare = %v", err)
			}
		}
	}
	bare := func() { _ = bcrypt.CompareHashAndPassword([]byte(oldHash), []byte("wrong")) }
	mismatch(oldHash)() // make the stand-ins
	var old, current, unpadded []time.Duration
	start := time.Now()
	for i := 0; i < minSamples || i < maxSamples && time.Since(start) < budget; i++ {
		// Alternate the order, so that drift in the machine's speed
		// favours neither.
		if i%2 == 0 {
			old = append(old, timeIt(mismatch(oldHash)))
			current = append(current, timeIt(mismatch(newHash)))
		} else {
			current = append(current, timeIt(mismatch(newHash)))
			old = append(old, timeIt(mismatch(oldHash)))
		}
		unpadded = append(unpadded, timeIt(bare))
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	ratio := median(old) / median(current)
	control := median(unpadded) / median(current)
	t.Logf("median of %d mismatches: old hash %v, current hash %v (ratio %.2f); unpadded old hash %v (ratio %.3f)",
		len(old), time.Duration(median(old)), time.Duration(median(current)), ratio, time.Duration(median(unpadded)), control)
	if ratio < 1/1.5 || ratio > 1.5 {
		t.Errorf("a mismatch against a cost-%d hash takes %.2f times one against a cost-%d hash, want 1 within a factor of 1.5", oldCost, ratio, newCost)
	}
	// The control shows the measurement can see the difference padding
	// removes (2^5 / 2^9 = 1/16).
	if control > 0.25 {
		t.Errorf("control: an unpadded comparison at cost %d takes %.2f times one at cost %d, want about 1/16", oldCost, control, newCost)
	}
}

// TestComparePaddingConcurrent pads from many goroutines at once on a fresh
// hasher, so that the stand-ins are made while others wait for them (run
// with -race).
func TestComparePaddingConcurrent(t *testing.T) {
	const cost, workers, rounds = 7, 8, 2
	h := lowHasher(t, cost)
	var total atomic.Int64
	bcrypthash.ObserveComparisons(h, func(c int) { total.Add(1 << c) })
	hashes := []string{hashAt(t, "right", 4), hashAt(t, "right", 5), hashAt(t, "right", 6), hashAt(t, "right", cost)}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				hash := hashes[(w+r)%len(hashes)]
				if err := h.Compare(context.Background(), hash, fmt.Sprintf("wrong-%d", w)); !errors.Is(err, domain.ErrPasswordMismatch) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if want := int64(workers * rounds << cost); total.Load() != want {
		t.Fatalf("total work %d, want %d mismatches at 2^%d = %d", total.Load(), workers*rounds, cost, want)
	}
}

// BenchmarkCompare measures Compare at cost 10 against bare bcrypt: a
// match and a mismatch at the hasher's cost (no padding: the same time as
// bare bcrypt), and a mismatch against a hash at cost 8 (padded to the
// time of one comparison at cost 10).
func BenchmarkCompare(b *testing.B) {
	const cost = 10
	h, err := bcrypthash.New(cost)
	if err != nil {
		b.Fatal(err)
	}
	current, old := hashAt(b, "right", cost), hashAt(b, "right", 8)
	h.Compare(b.Context(), old, "wrong") // make the stand-ins
	for _, bc := range []struct {
		name, hash, password string
	}{
		{"match", current, "right"},
		{"mismatch", current, "wrong"},
		{"mismatch_old_cost", old, "wrong"},
		{"match_old_cost", old, "right"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_ = h.Compare(b.Context(), bc.hash, bc.password)
			}
		})
		b.Run(bc.name+"/bare_bcrypt", func(b *testing.B) {
			for b.Loop() {
				_ = bcrypt.CompareHashAndPassword([]byte(bc.hash), []byte(bc.password))
			}
		})
	}
}
