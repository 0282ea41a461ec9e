package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// wrkOK is the output of wrk 4.1.0 (Debian) run with --latency.
const wrkOK = `Running 2s test @ http://127.0.0.1:41487/authadmin
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.34ms    9.35ms  68.28ms   91.91%
    Req/Sec    37.58k    13.91k   53.72k    65.00%
  Latency Distribution
     50%  244.00us
     75%    0.91ms
     90%    8.29ms
     99%   50.24ms
  74756 requests in 2.00s, 8.77MB read
Requests/sec:  37338.22
Transfer/sec:      4.38MB
`

// wrkErrors has non-2xx answers, socket errors and longer time units.
const wrkErrors = `Running 1m test @ http://127.0.0.1:8080/peer
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   671.42us    1.54ms    1.20s   93.00%
    Req/Sec    49.30k     6.33k   57.89k    60.00%
  Latency Distribution
     50%  229.00us
     75%  396.00us
     90%    1.52ms
     99%    2.10s
  49002 requests in 1.00m, 11.17MB read
  Socket errors: connect 0, read 2, write 1, timeout 7
  Non-2xx or 3xx responses: 49002
Requests/sec:    816.70
Transfer/sec:    190.61KB
`

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want wrkResult
	}{
		{
			name: "clean run",
			out:  wrkOK,
			want: wrkResult{
				Requests: 74756, Duration: 2 * time.Second, RequestsPerSec: 37338.22,
				LatencyAvg: 3340 * time.Microsecond, LatencyStdev: 9350 * time.Microsecond, LatencyMax: 68280 * time.Microsecond,
				P50: 244 * time.Microsecond, P75: 910 * time.Microsecond, P90: 8290 * time.Microsecond, P99: 50240 * time.Microsecond,
			},
		},
		{
			name: "errors and long units",
			out:  wrkErrors,
			want: wrkResult{
				Requests: 49002, Duration: time.Minute, RequestsPerSec: 816.70,
				LatencyAvg: 671420 * time.Nanosecond, LatencyStdev: 1540 * time.Microsecond, LatencyMax: 1200 * time.Millisecond,
				P50: 229 * time.Microsecond, P75: 396 * time.Microsecond, P90: 1520 * time.Microsecond, P99: 2100 * time.Millisecond,
				Non2xx:       49002,
				SocketErrors: socketErrors{Read: 2, Write: 1, Timeout: 7},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if err != nil {
				t.Fatalf("parseWrk: %v", err)
			}
			// Float parsing of "3.34" ms may be off by a nanosecond.
			for _, d := range []struct {
				name      string
				got, want time.Duration
			}{
				{"Duration", got.Duration, tt.want.Duration},
				{"LatencyAvg", got.LatencyAvg, tt.want.LatencyAvg},
				{"LatencyStdev", got.LatencyStdev, tt.want.LatencyStdev},
				{"LatencyMax", got.LatencyMax, tt.want.LatencyMax},
				{"P50", got.P50, tt.want.P50},
				{"P75", got.P75, tt.want.P75},
				{"P90", got.P90, tt.want.P90},
				{"P99", got.P99, tt.want.P99},
			} {
				if diff := d.got - d.want; diff < -time.Nanosecond || diff > time.Nanosecond {
					t.Errorf("%s = %v, want %v", d.name, d.got, d.want)
				}
			}
			if got.Requests != tt.want.Requests || got.RequestsPerSec != tt.want.RequestsPerSec ||
				got.Non2xx != tt.want.Non2xx || got.SocketErrors != tt.want.SocketErrors {
				t.Errorf("counts = requests %d, %v req/s, non-2xx %d, socket %+v; want %d, %v, %d, %+v",
					got.Requests, got.RequestsPerSec, got.Non2xx, got.SocketErrors,
					tt.want.Requests, tt.want.RequestsPerSec, tt.want.Non2xx, tt.want.SocketErrors)
			}
		})
	}
}

func TestParseWrkRejects(t *testing.T) {
	tests := []struct {
		name, out, wantErr string
	}{
		{"empty", "", "lacks Requests/sec"},
		{"no rate", strings.Replace(wrkOK, "Requests/sec:  37338.22\n", "", 1), "lacks Requests/sec"},
		{"no count", strings.Replace(wrkOK, "  74756 requests in 2.00s, 8.77MB read\n", "", 1), "the request count"},
		{"no --latency", strings.Replace(wrkOK, "     50%  244.00us\n", "", 1), "latency distribution"},
		{"bad rate", strings.Replace(wrkOK, "37338.22", "37k", 1), "Requests/sec"},
		{"bad unit", strings.Replace(wrkOK, "244.00us", "244.00q", 1), "unknown unit"},
		{"bad number", strings.Replace(wrkOK, "50.24ms", "x.24ms", 1), "not a number"},
		{"bad socket errors", strings.Replace(wrkErrors, "timeout 7", "timeout seven", 1), "socket errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWrk(tt.out)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parseWrk error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"245.12us", 245120 * time.Nanosecond, false},
		{"0.00us", 0, false},
		{"1.03ms", 1030 * time.Microsecond, false},
		{"5.00s", 5 * time.Second, false},
		{"1.50m", 90 * time.Second, false},
		{"2.00h", 2 * time.Hour, false},
		{"12", 0, true},
		{"ms", 0, true},
		{"-1.00ms", 0, true},
		{"1.0ns", 0, true},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseWrkDuration(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := got - tt.want; diff < -time.Nanosecond || diff > time.Nanosecond {
			t.Errorf("parseWrkDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{
			name: "plain",
			stat: "20680 (loadratio) S 1 20680 20680 0 -1 4194560 1510 0 0 0 250 37 0 0 20 0 8 0 1234 0 0",
			want: 2870 * time.Millisecond,
		},
		{
			name: "command with spaces and parentheses",
			stat: "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0",
			want: 70 * time.Millisecond,
		},
		{name: "truncated", stat: "7 (x) R 1 7", wantErr: true},
		{name: "no command", stat: "garbage", wantErr: true},
		{name: "not a number", stat: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 4 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseProcStat = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWrkCommand(t *testing.T) {
	s := wrkSpec{wrk: "wrk", taskset: "taskset", cpus: "1", conns: 16, duration: 5 * time.Second, token: "a.b.c", url: "http://127.0.0.1:1/bare"}
	want := []string{"taskset", "-c", "1", "wrk", "-t1", "-c16", "-d5s", "--latency", "-H", "Authorization: Bearer a.b.c", "http://127.0.0.1:1/bare"}
	if got := s.argv(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("argv = %q, want %q", got, want)
	}
	wantStr := `taskset -c 1 wrk -t1 -c16 -d5s --latency -H "Authorization: Bearer $TOKEN" http://127.0.0.1:1/bare`
	if got := s.String(); got != wantStr {
		t.Errorf("String = %s, want %s", got, wantStr)
	}
}

func TestParseCPUTimes(t *testing.T) {
	const stat = `cpu  98655 6093 26076 92369 325 0 4480 114 0 0
cpu0 48816 3298 12985 46580 47 0 2358 50 0 0
cpu1 49838 2794 13090 45789 278 0 2122 64 0 0
intr 1 2 3
`
	tests := []struct {
		name    string
		cpus    []int
		want    cpuTimes
		wantErr bool
	}{
		{"cpu0", []int{0}, cpuTimes{CPUs: 1, Proc: 48816 + 3298 + 12985, Idle: 46580 + 47, Steal: 50, Total: 48816 + 3298 + 12985 + 46580 + 47 + 0 + 2358 + 50}, false},
		{"cpu1", []int{1}, cpuTimes{CPUs: 1, Proc: 49838 + 2794 + 13090, Idle: 45789 + 278, Steal: 64, Total: 49838 + 2794 + 13090 + 45789 + 278 + 0 + 2122 + 64}, false},
		{"both", []int{0, 1}, cpuTimes{
			CPUs:  2,
			Proc:  48816 + 3298 + 12985 + 49838 + 2794 + 13090,
			Idle:  46580 + 47 + 45789 + 278,
			Steal: 114,
			Total: 48816 + 3298 + 12985 + 46580 + 47 + 2358 + 50 + 49838 + 2794 + 13090 + 45789 + 278 + 2122 + 64,
		}, false},
		{"missing cpu", []int{2}, cpuTimes{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUTimes(stat, tt.cpus)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseCPUTimes error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseCPUTimes = %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := parseCPUTimes("cpu0 1 2 x 4 5 6 7 8 9 10\n", []int{0}); err == nil {
		t.Error("parseCPUTimes accepted a non-number")
	}
}

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"0", []int{0}, false},
		{"1,3", []int{1, 3}, false},
		{"0-2", []int{0, 1, 2}, false},
		{"0-1,1,4", []int{0, 1, 4}, false},
		{"", nil, true},
		{"a", nil, true},
		{"3-1", nil, true},
		{"-1", nil, true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCPUList(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUList(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCPUTimesCores(t *testing.T) {
	before := cpuTimes{CPUs: 2, Proc: 100, Idle: 50, Steal: 0, Total: 200}
	after := cpuTimes{CPUs: 2, Proc: 250, Idle: 90, Steal: 10, Total: 400}
	d := after.since(before)
	if want := (cpuTimes{CPUs: 2, Proc: 150, Idle: 40, Steal: 10, Total: 200}); d != want {
		t.Fatalf("since = %+v, want %+v", d, want)
	}
	// 150 of 200 ticks on two CPUs: 1.5 cores.
	if got := d.cores(d.Proc); got != 1.5 {
		t.Errorf("cores(Proc) = %v, want 1.5", got)
	}
	if got := d.cores(d.Idle); got != 0.4 {
		t.Errorf("cores(Idle) = %v, want 0.4", got)
	}
	if got := (cpuTimes{}).cores(5); got != 0 {
		t.Errorf("cores of an empty interval = %v, want 0", got)
	}
}
