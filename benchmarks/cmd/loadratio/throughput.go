package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// throughputReport is the JSON document of the throughput mode.
type throughputReport struct {
	Mode       string                `json:"mode"`
	Machine    machineInfo           `json:"machine"`
	Rounds     int                   `json:"rounds"`
	Duration   string                `json:"duration"`
	Warmup     string                `json:"warmup"`
	Conns      int                   `json:"conns"`
	ServerCPU  string                `json:"server_cpu"`
	WrkCPU     string                `json:"wrk_cpu"`
	Frameworks []frameworkThroughput `json:"frameworks"`
}

// frameworkThroughput is the measurement of one framework's server.
type frameworkThroughput struct {
	Framework     string            `json:"framework"`
	ServerCommand string            `json:"server_command"`
	WrkCommands   map[string]string `json:"wrk_commands"`
	Token         string            `json:"token"`
	Runs          []routeRun        `json:"runs"`
	Routes        []routeSummary    `json:"routes"`
	// Ratios of the median requests per second.
	AuthadminOverBare num `json:"authadmin_over_bare"`
	PeerOverBare      num `json:"peer_over_bare"`
	AuthadminOverPeer num `json:"authadmin_over_peer"`
	// The same ratios from the median server CPU time per request
	// (requests per CPU-second), which other load on the machine
	// disturbs less than requests per second.
	CPUAuthadminOverBare num      `json:"cpu_authadmin_over_bare"`
	CPUPeerOverBare      num      `json:"cpu_peer_over_bare"`
	CPUAuthadminOverPeer num      `json:"cpu_authadmin_over_peer"`
	Notes                []string `json:"notes,omitempty"`
}

// routeRun is one wrk run of one route.
type routeRun struct {
	Round int       `json:"round"`
	Route string    `json:"route"`
	Wrk   wrkResult `json:"wrk"`
	// ServerCores and WrkCores are the CPU time the server child and wrk
	// used divided by wrk's duration (1.0 = one core kept busy).
	ServerCores num `json:"server_cores"`
	WrkCores    num `json:"wrk_cores"`
	// ServerCPUPerRequest is the server child's CPU time divided by the
	// requests wrk completed.
	ServerCPUPerRequest time.Duration `json:"server_cpu_per_request_ns"`
	// From /proc/stat, in cores: OtherOnServerCPU and OtherOnWrkCPU are
	// the process time that other processes (neither the server nor wrk)
	// used on the server's and wrk's CPUs (well above zero, the machine
	// was not quiet and the run was disturbed); StealOnServerCPU is the
	// hypervisor's steal time on the server's; IdleOnServerCPU and
	// IdleOnWrkCPU their idle time (on the server's: it was not
	// saturated).
	OtherOnServerCPU num `json:"other_on_server_cpu"`
	OtherOnWrkCPU    num `json:"other_on_wrk_cpu"`
	StealOnServerCPU num `json:"steal_on_server_cpu"`
	IdleOnServerCPU  num `json:"idle_on_server_cpu"`
	IdleOnWrkCPU     num `json:"idle_on_wrk_cpu"`
}

// routeSummary is a route over the rounds.
type routeSummary struct {
	Route        string        `json:"route"`
	MedianRPS    num           `json:"median_rps"`
	MinRPS       num           `json:"min_rps"`
	MaxRPS       num           `json:"max_rps"`
	MedianP50    time.Duration `json:"median_p50_ns"`
	MedianP99    time.Duration `json:"median_p99_ns"`
	CPUPerReq    time.Duration `json:"median_server_cpu_per_request_ns"`
	ServerCores  num           `json:"median_server_cores"`
	WrkCores     num           `json:"median_wrk_cores"`
	IdleServer   num           `json:"median_idle_on_server_cpu"`
	IdleWrk      num           `json:"median_idle_on_wrk_cpu"`
	OtherServer  num           `json:"median_other_on_server_cpu"`
	OtherWrk     num           `json:"median_other_on_wrk_cpu"`
	StealServer  num           `json:"median_steal_on_server_cpu"`
	SocketErrors int64         `json:"socket_errors"`
}

// routes is the order of the first round; later rounds rotate it.
func routes() []string { return []string{routeBare, routeAuthadmin, routePeer} }

// roundOrder returns the routes in the order of round r (0-based): each
// round starts one route later, so that every route runs first, second
// and third equally often over a multiple of three rounds.
func roundOrder(r int) []string {
	rs := routes()
	k := r % len(rs)
	return append(rs[k:], rs[:k]...)
}

// runThroughput is -mode throughput.
func runThroughput(ctx context.Context, o options, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program for the server children: %w", err)
	}
	machine, err := describeMachine(ctx, o.wrkPath)
	if err != nil {
		return fmt.Errorf("the throughput mode needs wrk: %w", err)
	}
	fmt.Fprintln(stdout, machine)
	fmt.Fprintf(stdout, "throughput: %d rounds x %v per route (rotating order) after %v warm-up per route; wrk -t1 -c%d on CPU %s; server GOMAXPROCS=1 on CPU %s\n",
		o.rounds, o.duration, o.warmup, o.conns, o.wrkCPU, o.serverCPU)
	if o.tokenCacheSize != 0 {
		fmt.Fprintf(stdout, "authadmin: usecase.Config.TokenCacheSize=%d (negative: every request verifies the token, as a token's first request does)\n", o.tokenCacheSize)
	}
	if machine.NumCPU < 2 {
		fmt.Fprintln(stdout, "note: fewer than 2 CPUs: the server and wrk share one, the ratios mean little")
	}

	report := throughputReport{
		Mode: modeThroughput, Machine: machine, Rounds: o.rounds,
		Duration: o.duration.String(), Warmup: o.warmup.String(), Conns: o.conns,
		ServerCPU: o.serverCPU, WrkCPU: o.wrkCPU,
	}
	for _, fw := range o.frameworks {
		res, err := measureFramework(ctx, o, exe, fw, stderr)
		if err != nil {
			return err
		}
		printFramework(stdout, res, o)
		report.Frameworks = append(report.Frameworks, res)
	}
	printThroughputSummary(stdout, report.Frameworks)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, report); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results written to %s\n", o.jsonPath)
	}
	return nil
}

// measureFramework starts fw's server child, checks its routes, warms up
// and runs the rounds.
func measureFramework(ctx context.Context, o options, exe, fw string, stderr io.Writer) (res frameworkThroughput, err error) {
	spec := childSpec{
		exe:        exe,
		args:       []string{"-serve", fw, "-bcrypt-cost", strconv.Itoa(o.bcryptCost), "-token-cache-size", strconv.Itoa(o.tokenCacheSize)},
		taskset:    o.tasksetPath,
		cpus:       o.serverCPU,
		gomaxprocs: 1,
	}
	if o.verbose {
		spec.logs = stderr
	}
	child, err := startServerChild(ctx, spec)
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := child.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
	}()
	if child.info.GOMAXPROCS != 1 {
		return res, fmt.Errorf("%s server child runs with GOMAXPROCS=%d, want 1", fw, child.info.GOMAXPROCS)
	}
	client := newClient(4)
	defer client.CloseIdleConnections()
	if err := checkRoutes(ctx, client, child.info); err != nil {
		return res, err
	}
	client.CloseIdleConnections()

	res = frameworkThroughput{
		Framework:     fw,
		ServerCommand: spec.String(),
		WrkCommands:   map[string]string{},
		Token:         child.info.Token,
	}
	wrkFor := func(route string, d time.Duration) wrkSpec {
		return wrkSpec{
			wrk: o.wrkPath, taskset: o.tasksetPath, cpus: o.wrkCPU,
			conns: o.conns, duration: d, token: child.info.Token, url: child.info.URL(route),
		}
	}
	for _, route := range routes() {
		res.WrkCommands[route] = wrkFor(route, o.duration).String()
	}

	fmt.Fprintf(stderr, "loadratio: %s: warming up\n", fw)
	if o.warmup > 0 {
		for _, route := range routes() {
			if _, err := measureRoute(ctx, o, child, wrkFor(route, o.warmup)); err != nil {
				return res, fmt.Errorf("%s warm-up of %s: %w", fw, route, err)
			}
		}
	}
	for r := range o.rounds {
		fmt.Fprintf(stderr, "loadratio: %s: round %d/%d\n", fw, r+1, o.rounds)
		for _, route := range roundOrder(r) {
			run, err := measureRoute(ctx, o, child, wrkFor(route, o.duration))
			if err != nil {
				return res, fmt.Errorf("%s round %d, %s: %w", fw, r+1, route, err)
			}
			run.Round, run.Route = r+1, route
			res.Runs = append(res.Runs, run)
		}
	}
	if err := child.Alive(); err != nil {
		return res, err
	}
	summarizeFramework(&res)
	return res, nil
}

// measureRoute runs one wrk and reads the CPU time of the server child
// and of the server's and wrk's CPUs around it.
func measureRoute(ctx context.Context, o options, child *serverChild, ws wrkSpec) (routeRun, error) {
	srv0, err := procCPU(child.info.PID)
	if err != nil {
		return routeRun{}, err
	}
	srvCPU0, err := readCPUTimes(o.serverCPUs)
	if err != nil {
		return routeRun{}, err
	}
	wrkCPU0, err := readCPUTimes(o.wrkCPUs)
	if err != nil {
		return routeRun{}, err
	}
	start := time.Now()
	res, err := runWrk(ctx, ws)
	wall := time.Since(start)
	if err != nil {
		return routeRun{}, err
	}
	srv1, err := procCPU(child.info.PID)
	if err != nil {
		return routeRun{}, err
	}
	srvCPU1, err := readCPUTimes(o.serverCPUs)
	if err != nil {
		return routeRun{}, err
	}
	wrkCPU1, err := readCPUTimes(o.wrkCPUs)
	if err != nil {
		return routeRun{}, err
	}
	span := res.Duration
	if span <= 0 {
		span = wall
	}
	srvCPU, wrkCPU := srvCPU1.since(srvCPU0), wrkCPU1.since(wrkCPU0)
	serverCores := float64(srv1-srv0) / float64(span)
	wrkCores := float64(res.CPU) / float64(span)
	var perReq time.Duration
	if res.Requests > 0 {
		perReq = (srv1 - srv0) / time.Duration(res.Requests)
	}
	return routeRun{
		Wrk:                 res,
		ServerCores:         num(serverCores),
		WrkCores:            num(wrkCores),
		ServerCPUPerRequest: perReq,
		// The /proc/stat counters cover the whole wall time: compare
		// them with the processes' times over the same.
		OtherOnServerCPU: num(max(0, srvCPU.cores(srvCPU.Proc)-float64(srv1-srv0)/float64(wall))),
		OtherOnWrkCPU:    num(max(0, wrkCPU.cores(wrkCPU.Proc)-float64(res.CPU)/float64(wall))),
		StealOnServerCPU: num(srvCPU.cores(srvCPU.Steal)),
		IdleOnServerCPU:  num(srvCPU.cores(srvCPU.Idle)),
		IdleOnWrkCPU:     num(wrkCPU.cores(wrkCPU.Idle)),
	}, nil
}

// summarizeFramework fills in the per-route summaries, the ratios and the
// notes from res.Runs.
func summarizeFramework(res *frameworkThroughput) {
	medians := map[string]float64{}
	cpu := map[string]float64{}
	for _, route := range routes() {
		var rps, srv, wrkc, otherSrv, otherWrk, steal, idleSrv, idleWrk []float64
		var p50, p99, perReq []time.Duration
		var sockErrs int64
		for _, run := range res.Runs {
			if run.Route != route {
				continue
			}
			rps = append(rps, run.Wrk.RequestsPerSec)
			srv = append(srv, float64(run.ServerCores))
			wrkc = append(wrkc, float64(run.WrkCores))
			otherSrv = append(otherSrv, float64(run.OtherOnServerCPU))
			otherWrk = append(otherWrk, float64(run.OtherOnWrkCPU))
			steal = append(steal, float64(run.StealOnServerCPU))
			idleSrv = append(idleSrv, float64(run.IdleOnServerCPU))
			idleWrk = append(idleWrk, float64(run.IdleOnWrkCPU))
			p50 = append(p50, run.Wrk.P50)
			p99 = append(p99, run.Wrk.P99)
			perReq = append(perReq, run.ServerCPUPerRequest)
			sockErrs += run.Wrk.SocketErrors.Total()
		}
		lo, hi := minMax(rps)
		s := routeSummary{
			Route: route, MedianRPS: num(median(rps)), MinRPS: num(lo), MaxRPS: num(hi),
			MedianP50: medianDuration(p50), MedianP99: medianDuration(p99), CPUPerReq: medianDuration(perReq),
			ServerCores: num(median(srv)), WrkCores: num(median(wrkc)),
			IdleServer: num(median(idleSrv)), IdleWrk: num(median(idleWrk)),
			OtherServer: num(median(otherSrv)), OtherWrk: num(median(otherWrk)), StealServer: num(median(steal)),
			SocketErrors: sockErrs,
		}
		medians[route] = float64(s.MedianRPS)
		cpu[route] = float64(s.CPUPerReq)
		res.Routes = append(res.Routes, s)

		switch {
		case s.OtherServer+s.StealServer > 0.1 || s.OtherWrk > 0.1:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: other processes used %.2f of the server's CPU (steal %.2f) and %.2f of wrk's: the machine was not quiet, so req/s are lower and noisier (the rotation spreads the disturbance over the routes; the ratios from CPU per request are steadier)",
				route, float64(s.OtherServer), float64(s.StealServer), float64(s.OtherWrk)))
		case s.IdleServer > 0.1 && s.IdleWrk < 0.1:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: the server's CPU was %.0f%% idle while wrk's was busy: wrk on one core could not saturate the server, so the req/s ratios understate the differences (the ratios from CPU per request do not need saturation)",
				route, 100*float64(s.IdleServer)))
		case s.IdleServer > 0.1:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: both CPUs had idle time (server's %.0f%%, wrk's %.0f%%): the run was latency-bound (more -conns?), the req/s ratios understate the differences",
				route, 100*float64(s.IdleServer), 100*float64(s.IdleWrk)))
		}
		if sockErrs > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: wrk reported %d socket errors over the rounds", route, sockErrs))
		}
	}
	res.AuthadminOverBare = num(ratio(medians[routeAuthadmin], medians[routeBare]))
	res.PeerOverBare = num(ratio(medians[routePeer], medians[routeBare]))
	res.AuthadminOverPeer = num(ratio(medians[routeAuthadmin], medians[routePeer]))
	// Capacity is inverse to CPU per request: bare's CPU / authadmin's.
	res.CPUAuthadminOverBare = num(ratio(cpu[routeBare], cpu[routeAuthadmin]))
	res.CPUPeerOverBare = num(ratio(cpu[routeBare], cpu[routePeer]))
	res.CPUAuthadminOverPeer = num(ratio(cpu[routePeer], cpu[routeAuthadmin]))
}

// peerName names the peer middleware of fw.
func peerName(fw string) string {
	switch fw {
	case fwEcho:
		return "labstack/echo-jwt/v4"
	case fwFiber:
		return "gofiber/contrib/jwt"
	default:
		return "golang-jwt/v5 middleware"
	}
}

// printFramework prints the table of one framework.
func printFramework(w io.Writer, res frameworkThroughput, o options) {
	fmt.Fprintf(w, "\n== %s (peer: %s) ==\n", res.Framework, peerName(res.Framework))
	fmt.Fprintf(w, "server: %s\n", res.ServerCommand)
	fmt.Fprintf(w, "TOKEN=%s\n", res.Token)
	for _, route := range routes() {
		fmt.Fprintf(w, "wrk %-9s %s\n", route+":", res.WrkCommands[route])
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tmedian req/s\tmin req/s\tmax req/s\tp50 (median)\tp99 (median)\tserver CPU/req\tserver cores\twrk cores\tsrv CPU idle/others\twrk CPU idle/others\t")
	for _, s := range res.Routes {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.1fus\t%.2f\t%.2f\t%.2f/%.2f\t%.2f/%.2f\t\n", s.Route,
			float64(s.MedianRPS), float64(s.MinRPS), float64(s.MaxRPS), ms(s.MedianP50), ms(s.MedianP99),
			float64(s.CPUPerReq)/float64(time.Microsecond),
			float64(s.ServerCores), float64(s.WrkCores),
			float64(s.IdleServer), float64(s.OtherServer+s.StealServer), float64(s.IdleWrk), float64(s.OtherWrk))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "req/s per round, in the order run:")
	for r := range o.rounds {
		var parts []string
		for _, run := range res.Runs {
			if run.Round == r+1 {
				parts = append(parts, fmt.Sprintf("%s %.0f", run.Route, run.Wrk.RequestsPerSec))
			}
		}
		fmt.Fprintf(w, "  round %d: %s\n", r+1, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "ratios of median req/s:          authadmin/bare %s   peer/bare %s   authadmin/peer %s\n",
		fmtRatio(float64(res.AuthadminOverBare)), fmtRatio(float64(res.PeerOverBare)), fmtRatio(float64(res.AuthadminOverPeer)))
	fmt.Fprintf(w, "same from server CPU per request: authadmin/bare %s   peer/bare %s   authadmin/peer %s\n",
		fmtRatio(float64(res.CPUAuthadminOverBare)), fmtRatio(float64(res.CPUPeerOverBare)), fmtRatio(float64(res.CPUAuthadminOverPeer)))
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// printThroughputSummary prints the ratios of every framework together.
func printThroughputSummary(w io.Writer, fws []frameworkThroughput) {
	fmt.Fprintln(w, "\n== summary: median req/s and their ratios (in brackets: the ratios from server CPU per request) ==")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "framework\tbare\tauthadmin\tpeer\tauthadmin/bare\tpeer/bare\tauthadmin/peer\t")
	for _, f := range fws {
		rps := map[string]float64{}
		for _, s := range f.Routes {
			rps[s.Route] = float64(s.MedianRPS)
		}
		pair := func(a, b num) string { return fmtRatio(float64(a)) + " [" + fmtRatio(float64(b)) + "]" }
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t\n", f.Framework,
			rps[routeBare], rps[routeAuthadmin], rps[routePeer],
			pair(f.AuthadminOverBare, f.CPUAuthadminOverBare), pair(f.PeerOverBare, f.CPUPeerOverBare),
			pair(f.AuthadminOverPeer, f.CPUAuthadminOverPeer))
	}
	_ = tw.Flush()
}
