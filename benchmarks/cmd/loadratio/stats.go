package main

import (
	"math"
	"slices"
	"time"
)

// median returns the median of xs (the mean of the two middle values for
// an even count), or NaN for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianDuration is median for durations.
func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	m := median(xs)
	if math.IsNaN(m) {
		return 0
	}
	return time.Duration(math.Round(m))
}

// minMax returns the smallest and largest of xs, or NaN, NaN for none.
func minMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(xs), slices.Max(xs)
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted, which
// must be in ascending order, by the nearest-rank method: the smallest
// value with at least p% of the values at or below it. It returns 0 for an
// empty slice; p <= 0 gives the minimum.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// ratio returns a/b, or NaN when b is not positive.
func ratio(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return a / b
}

// latencySummary is the distribution of one set of latencies.
type latencySummary struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarizeLatencies sorts ds in place and returns their percentiles.
func summarizeLatencies(ds []time.Duration) latencySummary {
	slices.Sort(ds)
	s := latencySummary{Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	s.P50 = percentile(ds, 50)
	s.P90 = percentile(ds, 90)
	s.P99 = percentile(ds, 99)
	s.Max = ds[len(ds)-1]
	return s
}
