package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrkSpec is one wrk run.
type wrkSpec struct {
	wrk      string // wrk executable
	taskset  string // taskset executable
	cpus     string // taskset -c; empty: not pinned
	conns    int
	duration time.Duration // whole seconds
	token    string
	url      string
}

// argv returns the command line:
// taskset -c CPUS wrk -t1 -cN -dNs --latency -H 'Authorization: Bearer T' URL.
func (s wrkSpec) argv() []string {
	argv := []string{s.wrk, "-t1", fmt.Sprintf("-c%d", s.conns), fmt.Sprintf("-d%ds", int(s.duration/time.Second)), "--latency"}
	if s.token != "" {
		argv = append(argv, "-H", "Authorization: Bearer "+s.token)
	}
	argv = append(argv, s.url)
	if s.cpus != "" {
		argv = append([]string{s.taskset, "-c", s.cpus}, argv...)
	}
	return argv
}

// String is the command for the report, with the token as $TOKEN.
func (s wrkSpec) String() string {
	cmd := shellJoin(s.argv())
	if s.token != "" {
		cmd = strings.Replace(cmd, shellQuote("Authorization: Bearer "+s.token), `"Authorization: Bearer $TOKEN"`, 1)
	}
	return cmd
}

// wrkResult is what wrk reported for one run, plus the CPU time wrk used.
type wrkResult struct {
	Requests       int64         `json:"requests"`
	Duration       time.Duration `json:"duration_ns"`
	RequestsPerSec float64       `json:"requests_per_sec"`
	LatencyAvg     time.Duration `json:"latency_avg_ns"`
	LatencyStdev   time.Duration `json:"latency_stdev_ns"`
	LatencyMax     time.Duration `json:"latency_max_ns"`
	P50            time.Duration `json:"p50_ns"`
	P75            time.Duration `json:"p75_ns"`
	P90            time.Duration `json:"p90_ns"`
	P99            time.Duration `json:"p99_ns"`
	Non2xx         int64         `json:"non_2xx"`
	SocketErrors   socketErrors  `json:"socket_errors"`
	// CPU is the user+system time wrk used (not parsed: measured).
	CPU time.Duration `json:"cpu_ns"`
}

// socketErrors is wrk's "Socket errors" line.
type socketErrors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
}

// Total is the sum of the counts.
func (e socketErrors) Total() int64 { return e.Connect + e.Read + e.Write + e.Timeout }

// runWrk runs spec and parses its output. A run with non-2xx responses is
// an error: it would not measure what it claims to.
func runWrk(ctx context.Context, spec wrkSpec) (wrkResult, error) {
	argv := spec.argv()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return wrkResult{}, fmt.Errorf("%s: %w: %s", spec, err, strings.TrimSpace(stderr.String()+"\n"+stdout.String()))
	}
	res, err := parseWrk(stdout.String())
	if err != nil {
		return wrkResult{}, fmt.Errorf("%s: %w; output:\n%s", spec, err, stdout.String())
	}
	res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if res.Non2xx > 0 {
		return res, fmt.Errorf("%s: %d of %d responses were not 2xx", spec, res.Non2xx, res.Requests)
	}
	return res, nil
}

// parseWrk parses the output of wrk 4 run with --latency. Requests/sec,
// the request count and the latency percentiles 50 and 99 are required.
func parseWrk(out string) (wrkResult, error) {
	var res wrkResult
	var haveRate, haveCount bool
	inDist := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case line == "Latency Distribution":
			inDist = true
			continue
		case inDist && len(f) == 2 && strings.HasSuffix(f[0], "%"):
			var d time.Duration
			if d, err = parseWrkDuration(f[1]); err != nil {
				break
			}
			switch f[0] {
			case "50%", "50.000%":
				res.P50 = d
			case "75%", "75.000%":
				res.P75 = d
			case "90%", "90.000%":
				res.P90 = d
			case "99%", "99.000%":
				res.P99 = d
			}
			continue
		case f[0] == "Latency" && len(f) >= 4:
			if res.LatencyAvg, err = parseWrkDuration(f[1]); err != nil {
				break
			}
			if res.LatencyStdev, err = parseWrkDuration(f[2]); err != nil {
				break
			}
			res.LatencyMax, err = parseWrkDuration(f[3])
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			if res.Requests, err = strconv.ParseInt(f[0], 10, 64); err != nil {
				err = fmt.Errorf("request count %q: %w", f[0], err)
				break
			}
			res.Duration, err = parseWrkDuration(strings.TrimSuffix(f[3], ","))
			haveCount = err == nil
		case f[0] == "Requests/sec:" && len(f) == 2:
			res.RequestsPerSec, err = strconv.ParseFloat(f[1], 64)
			if err != nil {
				err = fmt.Errorf("wrk's Requests/sec %q: %w", f[1], err)
			}
			haveRate = err == nil
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			res.Non2xx, err = strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				err = fmt.Errorf("non-2xx count %q: %w", f[len(f)-1], err)
			}
		case strings.HasPrefix(line, "Socket errors:"):
			res.SocketErrors, err = parseSocketErrors(strings.TrimPrefix(line, "Socket errors:"))
		}
		inDist = false
		if err != nil {
			return wrkResult{}, fmt.Errorf("wrk output line %q: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return wrkResult{}, fmt.Errorf("reading wrk output: %w", err)
	}
	var missing []string
	if !haveRate {
		missing = append(missing, "Requests/sec")
	}
	if !haveCount {
		missing = append(missing, "the request count")
	}
	if res.P50 == 0 || res.P99 == 0 {
		missing = append(missing, "the latency distribution (--latency)")
	}
	if len(missing) > 0 {
		return wrkResult{}, fmt.Errorf("wrk output lacks %s", strings.Join(missing, ", "))
	}
	return res, nil
}

// parseSocketErrors parses " connect 0, read 1, write 0, timeout 3".
func parseSocketErrors(s string) (socketErrors, error) {
	var e socketErrors
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return socketErrors{}, fmt.Errorf("socket errors %q: want NAME COUNT", part)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return socketErrors{}, fmt.Errorf("socket errors %q: %w", part, err)
		}
		switch f[0] {
		case "connect":
			e.Connect = n
		case "read":
			e.Read = n
		case "write":
			e.Write = n
		case "timeout":
			e.Timeout = n
		default:
			return socketErrors{}, fmt.Errorf("socket errors: unknown kind %q", f[0])
		}
	}
	return e, nil
}

// parseWrkDuration parses a wrk time such as "245.12us", "1.03ms", "5.00s",
// "1.50m" or "2.00h".
func parseWrkDuration(s string) (time.Duration, error) {
	// Longest suffix first, so that "ms" is not read as "s".
	units := []struct {
		suffix string
		unit   time.Duration
	}{
		{"us", time.Microsecond},
		{"ms", time.Millisecond},
		{"s", time.Second},
		{"m", time.Minute},
		{"h", time.Hour},
	}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("time %q: not a number of %s", s, u.suffix)
		}
		return time.Duration(v * float64(u.unit)), nil
	}
	return 0, fmt.Errorf("time %q: unknown unit", s)
}

// wrkVersion returns the first line of "wrk -v" up to "Copyright".
func wrkVersion(ctx context.Context, wrk string) (string, error) {
	// wrk -v prints its version and usage and exits with status 1.
	out, err := exec.CommandContext(ctx, wrk, "-v").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	first, _, _ = strings.Cut(first, " Copyright")
	first = strings.TrimSpace(first)
	if !strings.HasPrefix(first, "wrk ") {
		if err == nil {
			err = errors.New("unexpected output")
		}
		return "", fmt.Errorf("%s -v: %w: %q", wrk, err, truncate(string(out), 200))
	}
	return first, nil
}

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go supports).
const userHZ = 100

// procCPU returns the user+system CPU time process pid has used, from
// /proc/PID/stat (all its threads, in 10 ms ticks).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	return parseProcStat(string(b))
}

// parseProcStat returns utime+stime from the contents of /proc/PID/stat.
func parseProcStat(stat string) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after the last ')'. utime and stime are fields 14 and
	// 15, so 12th and 13th after it.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name", truncate(stat, 80))
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat %q: too few fields", truncate(stat, 80))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat field %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuTimes are the per-CPU counters of /proc/stat, in USER_HZ ticks,
// summed over a set of CPUs.
type cpuTimes struct {
	// CPUs is how many CPUs are summed.
	CPUs int
	// Proc is user+nice+system: time spent running processes.
	Proc int64
	// Idle is idle+iowait.
	Idle int64
	// Steal is time the hypervisor gave to other guests.
	Steal int64
	// Total is every counter but guest time (already in user); what is
	// neither Proc, Idle nor Steal is interrupt handling (for loopback
	// traffic mostly the network stack's softirq).
	Total int64
}

// since returns the counters accumulated from earlier to t.
func (t cpuTimes) since(earlier cpuTimes) cpuTimes {
	return cpuTimes{
		CPUs:  t.CPUs,
		Proc:  t.Proc - earlier.Proc,
		Idle:  t.Idle - earlier.Idle,
		Steal: t.Steal - earlier.Steal,
		Total: t.Total - earlier.Total,
	}
}

// cores returns part, a counter of t, in cores: its share of t.Total
// times the number of CPUs.
func (t cpuTimes) cores(part int64) float64 {
	if t.Total <= 0 {
		return 0
	}
	return float64(part) / float64(t.Total) * float64(t.CPUs)
}

// readCPUTimes sums the /proc/stat lines of cpus.
func readCPUTimes(cpus []int) (cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("reading /proc/stat: %w", err)
	}
	return parseCPUTimes(string(b), cpus)
}

// parseCPUTimes sums the "cpuN" lines of cpus in the contents of
// /proc/stat (user nice system idle iowait irq softirq steal ...).
func parseCPUTimes(stat string, cpus []int) (cpuTimes, error) {
	want := map[string]bool{}
	for _, c := range cpus {
		want["cpu"+strconv.Itoa(c)] = true
	}
	var t cpuTimes
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) == 0 || !want[f[0]] {
			continue
		}
		if len(f) < 9 {
			return cpuTimes{}, fmt.Errorf("/proc/stat line %q: too few fields", strings.TrimSpace(line))
		}
		var v [8]int64
		for i := range v {
			n, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("/proc/stat line %q: %w", strings.TrimSpace(line), err)
			}
			v[i] = n
		}
		t.CPUs++
		t.Proc += v[0] + v[1] + v[2]
		t.Idle += v[3] + v[4]
		t.Steal += v[7]
		t.Total += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]
	}
	if t.CPUs != len(want) {
		return cpuTimes{}, fmt.Errorf("/proc/stat: found %d of the CPUs %v", t.CPUs, cpus)
	}
	return t, nil
}

// parseCPUList parses a taskset CPU list such as "0", "1,3" or "0-2".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("CPU list %q: %q is not a CPU number", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			if !slices.Contains(cpus, c) {
				cpus = append(cpus, c)
			}
		}
	}
	return cpus, nil
}
