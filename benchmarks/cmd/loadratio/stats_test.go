package main

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{5, 1, 3}, 3},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 9, 2, 1}, 2},
		{"outlier does not move it", []float64{100, 101, 99, 1e9, 0}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := median(in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("median modified its input: %v, was %v", in, tt.in)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestMedianDuration(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * time.Millisecond}, 3 * time.Millisecond},
		{[]time.Duration{time.Millisecond, 3 * time.Millisecond}, 2 * time.Millisecond},
		{[]time.Duration{9, 1, 5}, 5},
	}
	for _, tt := range tests {
		if got := medianDuration(tt.in); got != tt.want {
			t.Errorf("medianDuration(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMinMax(t *testing.T) {
	lo, hi := minMax([]float64{3, -1, 8, 2})
	if lo != -1 || hi != 8 {
		t.Errorf("minMax = %v, %v, want -1, 8", lo, hi)
	}
	lo, hi = minMax(nil)
	if !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("minMax(nil) = %v, %v, want NaN, NaN", lo, hi)
	}
}

func TestPercentile(t *testing.T) {
	// 1..100 ms: the p-th percentile by nearest rank is p ms.
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 99, 0},
		{"single", []time.Duration{5}, 99, 5},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of 100 rounds up", hundred, 99.9, 100 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, time.Millisecond},
		{"p50 of 4 is the 2nd", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p51 of 4 is the 3rd", []time.Duration{1, 2, 3, 4}, 51, 3},
		{"p99 of 10 is the max", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p90 of 10 is the 9th", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeLatencies(t *testing.T) {
	// 1000 latencies of 1 ms, except 10 of 50 ms and one of 70 ms: the
	// 990th (p99) is the first slow one, which an off-by-one would miss.
	ds := make([]time.Duration, 1000)
	for i := range ds {
		ds[i] = time.Millisecond
	}
	for i := 0; i < 1000; i += 100 { // spread, unsorted
		ds[i] = 50 * time.Millisecond
	}
	ds[555] = 70 * time.Millisecond
	got := summarizeLatencies(ds)
	want := latencySummary{Count: 1000, P50: time.Millisecond, P90: time.Millisecond, P99: 50 * time.Millisecond, Max: 70 * time.Millisecond}
	if got != want {
		t.Errorf("summarizeLatencies = %+v, want %+v", got, want)
	}
	// With 991 fast ones and 9 slow ones the 990th is fast.
	fast := make([]time.Duration, 991)
	for i := range fast {
		fast[i] = time.Millisecond
	}
	fast = append(fast, slices.Repeat([]time.Duration{9 * time.Millisecond}, 9)...)
	if got := summarizeLatencies(fast).P99; got != time.Millisecond {
		t.Errorf("p99 with 9 slow of 1000 = %v, want 1ms", got)
	}
	if got := summarizeLatencies(nil); got != (latencySummary{}) {
		t.Errorf("summarizeLatencies(nil) = %+v, want zero", got)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b, want float64
	}{
		{80, 100, 0.8},
		{150, 100, 1.5},
		{0, 100, 0},
	}
	for _, tt := range tests {
		if got := ratio(tt.a, tt.b); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ratio(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	for _, b := range []float64{0, -1, math.NaN()} {
		if got := ratio(1, b); !math.IsNaN(got) {
			t.Errorf("ratio(1, %v) = %v, want NaN", b, got)
		}
	}
}

func TestRoundOrder(t *testing.T) {
	// Over three rounds every route runs once in each position.
	pos := map[string][]int{}
	for r := range 3 {
		order := roundOrder(r)
		if len(order) != 3 {
			t.Fatalf("roundOrder(%d) = %v", r, order)
		}
		for i, route := range order {
			pos[route] = append(pos[route], i)
		}
	}
	for _, route := range routes() {
		p := slices.Sorted(slices.Values(pos[route]))
		if !slices.Equal(p, []int{0, 1, 2}) {
			t.Errorf("%s ran at positions %v over three rounds, want 0, 1, 2", route, pos[route])
		}
	}
	if got, want := strings.Join(roundOrder(3), ","), strings.Join(roundOrder(0), ","); got != want {
		t.Errorf("roundOrder(3) = %s, want the order of round 0 (%s)", got, want)
	}
}

func TestNumJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		A, B, C num
	}{0.75, num(math.NaN()), num(math.Inf(1))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"A":0.75,"B":null,"C":null}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}

func TestWorkerRate(t *testing.T) {
	// w records completions at the given seconds.
	w := func(at ...float64) workerStats {
		var ws workerStats
		for _, s := range at {
			ws.done(time.Duration(s * float64(time.Second)))
		}
		return ws
	}
	tests := []struct {
		name string
		ws   []workerStats
		want float64
	}{
		{"none", nil, 0},
		{"idle worker", []workerStats{w()}, 0},
		{"one completion", []workerStats{w(0.5)}, 2},
		{"steady worker", []workerStats{w(1, 2, 3, 4)}, 1},
		// Two clients share one slot of 1s: client A's first login
		// waits for nothing (done at 1s), B's waits for A's (2s); then
		// each gets one every 2s. The pair does 1/s; counting from the
		// start would give A 3/5s and B 3/6s, 1.1/s.
		{"queue transient ignored", []workerStats{w(1, 3, 5), w(2, 4, 6)}, 1},
		// Window 10s, the last completions at 8s and 9s: the count in the
		// window would say 8/10s; each worker did one per 2s.
		{"in-flight work not lost", []workerStats{w(2, 4, 6, 8), w(3, 5, 7, 9)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workerRate(tt.ws); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("workerRate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummarizeFramework(t *testing.T) {
	// run makes a run of route with rps req/s and perReq of server CPU.
	run := func(round int, route string, rps float64, perReq time.Duration) routeRun {
		return routeRun{
			Round: round, Route: route,
			Wrk:                 wrkResult{RequestsPerSec: rps, P50: time.Millisecond, P99: 2 * time.Millisecond},
			ServerCores:         1,
			ServerCPUPerRequest: perReq,
		}
	}
	res := frameworkThroughput{Runs: []routeRun{
		run(1, routeBare, 100, 10*time.Microsecond),
		run(1, routeAuthadmin, 80, 12500*time.Nanosecond),
		run(1, routePeer, 50, 20*time.Microsecond),
		run(2, routeAuthadmin, 90, 12500*time.Nanosecond),
		run(2, routePeer, 60, 20*time.Microsecond),
		run(2, routeBare, 120, 10*time.Microsecond),
		// Round 3 was disturbed: the medians ignore it.
		run(3, routePeer, 5, time.Millisecond),
		run(3, routeBare, 10, time.Millisecond),
		run(3, routeAuthadmin, 1, time.Millisecond),
	}}
	summarizeFramework(&res)
	if len(res.Routes) != 3 {
		t.Fatalf("routes = %+v", res.Routes)
	}
	want := map[string][3]float64{ // median, min, max
		routeBare:      {100, 10, 120},
		routeAuthadmin: {80, 1, 90},
		routePeer:      {50, 5, 60},
	}
	for _, s := range res.Routes {
		w := want[s.Route]
		if float64(s.MedianRPS) != w[0] || float64(s.MinRPS) != w[1] || float64(s.MaxRPS) != w[2] {
			t.Errorf("%s: median/min/max = %v/%v/%v, want %v", s.Route, s.MedianRPS, s.MinRPS, s.MaxRPS, w)
		}
	}
	for _, c := range []struct {
		name      string
		got, want num
	}{
		{"authadmin/bare", res.AuthadminOverBare, 0.8},
		{"peer/bare", res.PeerOverBare, 0.5},
		{"authadmin/peer", res.AuthadminOverPeer, 1.6},
		{"CPU authadmin/bare", res.CPUAuthadminOverBare, 0.8},
		{"CPU peer/bare", res.CPUPeerOverBare, 0.5},
		{"CPU authadmin/peer", res.CPUAuthadminOverPeer, 1.6},
	} {
		if math.Abs(float64(c.got-c.want)) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes on a saturated quiet run: %q", res.Notes)
	}

	// A run where other processes took wrk's CPU gets a note.
	busy := frameworkThroughput{Runs: []routeRun{run(1, routeBare, 100, 10*time.Microsecond)}}
	busy.Runs[0].OtherOnWrkCPU = 0.4
	summarizeFramework(&busy)
	if len(busy.Notes) != 1 || !strings.Contains(busy.Notes[0], "not quiet") {
		t.Errorf("notes = %q, want one about the machine not being quiet", busy.Notes)
	}
}
