// Command loadratio measures, side by side in one run on one machine, what
// authadmin's RequireLogin costs compared with a bare route and with each
// framework's usual JWT middleware, what a login costs compared with a bare
// bcrypt comparison, and how a login flood affects the latency of protected
// routes.
//
// # Usage
//
// From the repository root (the go.work workspace):
//
//	go run ./benchmarks/cmd/loadratio                          # throughput, all frameworks
//	go run ./benchmarks/cmd/loadratio -frameworks echo -rounds 3 -duration 3s
//	go run ./benchmarks/cmd/loadratio -mode login              # logins/s vs bare bcrypt
//	go run ./benchmarks/cmd/loadratio -mode flood -rate 500    # p99 during a login flood
//	go run ./benchmarks/cmd/loadratio -json results.json       # also write the results
//
// The throughput mode needs wrk (Debian package wrk) and taskset (util-linux)
// and at least two CPUs; the login and flood modes need neither.
//
// # Throughput mode (-mode throughput, the default)
//
// For each framework of -frameworks (nethttp, echo, fiber) one server child
// process is started with GOMAXPROCS=1, pinned to CPU -server-cpu (default 0)
// with taskset. It serves three routes that do the same work, writing
// {"status":"ok"}:
//
//   - /bare: no authentication;
//   - /authadmin: behind authadmin's RequireLogin in its default mode
//     (usecase.Config defaults, on memstore: the token's signature and
//     claims are verified, then the user's status and token version are
//     checked through the user cache, so rejection and revocation take
//     effect);
//   - /peer: behind the framework's usual JWT middleware: a golang-jwt/v5
//     middleware written here for net/http (the usual shape: strip "Bearer ",
//     jwt.Parse with MapClaims and an HS256 key func, claims into the
//     context), github.com/labstack/echo-jwt/v4 for Echo and
//     github.com/gofiber/contrib/jwt for Fiber.
//
// The two protected handlers read the subject from the context, the bare one
// only writes. One token, issued by authadmin's login (jwtcodec, HS256, a
// fixed 32-byte secret the peer middlewares are given too) for an approved
// user, is sent to all three routes, so every request has the same bytes.
// (So whatever authadmin caches per token, such as its verified-token
// cache, is always warm here: the numbers are those of a client that
// reuses its token, as clients do for its lifetime; a token's first
// request costs more.)
// Before measuring, every route is checked: bare answers 200, each protected
// route 200 with the token and 401 without it or with a token signed by
// another key; any other answer aborts the run. bcrypt runs at its minimum
// cost here, since logins are not measured in this mode.
//
// Each route is then loaded by wrk, pinned to CPU -wrk-cpu (default 1):
//
//	taskset -c 1 wrk -t1 -c16 -d5s --latency -H 'Authorization: Bearer <token>' URL
//
// for -warmup first, then for -rounds rounds of -duration each, the three
// routes in an order that rotates every round so that drift (thermal, noisy
// neighbours) hits them alike. A run whose wrk output reports non-2xx
// responses aborts. The table gives per route the median, minimum and
// maximum requests per second over the rounds, the median of wrk's p50 and
// p99 latencies, the median CPU use of the server child and of wrk (in
// cores; the server's is read from /proc/PID/stat, wrk's from its rusage),
// and, from /proc/stat, the idle time of the server's and of wrk's CPU and
// the time other processes took there meanwhile (with the hypervisor's
// steal time on the server's). Then the ratios of the medians:
//
//   - authadmin/bare: the share of the bare route's throughput left with
//     RequireLogin (0.80 means RequireLogin plus its context costs 20% of
//     the bare route's capacity; equivalently each request costs
//     1/0.80 = 1.25 times as much server CPU);
//   - peer/bare: the same for the framework's usual JWT middleware;
//   - authadmin/peer: above 1 authadmin is faster than the usual middleware,
//     below 1 slower (0.90: the peer serves 11% more requests per second).
//
// The same three ratios are also computed from the server child's CPU time
// per request (its CPU time during a run over wrk's request count, median
// over the rounds; capacity is its inverse, so authadmin/bare = bare's
// CPU per request / authadmin's): on a machine where other processes take
// CPU time, requests per second drop with it but CPU per request much less,
// so these ratios are the steadier ones. They are printed in brackets in
// the summary.
//
// The req/s ratios only mean "cost" while the server is the bottleneck and
// the machine is otherwise quiet. Idle time on the server's CPU means it
// was not saturated (if wrk's CPU had none, wrk on one core is the limit),
// and the req/s ratios then understate the differences; other processes'
// time on either CPU means the run was disturbed, and every number is
// noisier (the rotation spreads the disturbance over the routes). A note is
// printed in either case. Loopback traffic also costs interrupt (softirq)
// time on both CPUs that no process is charged for: server cores + idle +
// others do not add up to 1.
//
// # Login mode (-mode login)
//
// One server child (net/http transport, memstore, bcrypt at
// bcrypthash.DefaultCost, default GOMAXPROCS, not pinned) serves the HTTP
// login route. -clients goroutines (default 2*GOMAXPROCS) post the OAuth2
// form (application/x-www-form-urlencoded username and password) with the
// right password of an approved user for -duration (default 30s), counting
// 200s, 503s (the library refuses a login with 503 when no hashing slot
// frees up in time: usecase.Config.HashConcurrency, HashQueue, HashWait) and
// other answers apart. Then, in a separate child process so that both get
// the same machine, GOMAXPROCS goroutines run bare
// bcrypt.CompareHashAndPassword on the same hash for the same time. The two
// alternate for -rounds rounds (default 3); the medians are reported, with
// logins/s (200 only) / compares/s: 1.00 means the login route adds nothing
// measurable to the bcrypt comparison; 0.90 means it delivers 10% fewer
// logins than the CPU could compare passwords. At the default cost a
// comparison takes a good part of a second, so both rates are estimated per
// worker, from its first to its last completion, summed over the workers,
// rather than as completions in the window, which would lose up to one
// operation per worker to the window's end and count the first logins,
// which found no queue, as fast ones.
//
// # Flood mode (-mode flood)
//
// One server child as in the login mode (both CPUs, bcrypt at the default
// cost). An open-loop client sends GET /authadmin with the token at a fixed
// -rate (default 500 requests/s) and measures each request's latency from
// its intended send time, so a stalled server is charged for the requests it
// delayed (no coordinated omission). Three phases of -duration (default
// 10s) each: idle, during a login flood (-flood-clients goroutines, default
// 32, posting logins with the right password as fast as they are answered;
// the flood starts one second before the measurement), and idle again
// (once the server has finished the comparisons the flood left behind).
// Printed: p50/p90/p99/max per phase, flood p99 / idle p99 (how many times
// slower the slowest 1% of protected requests get while logins saturate the
// hashing slots), and the logins answered 200 and 503 during the flood.
//
// # Internal modes
//
// -serve nethttp|echo|fiber runs one server child: it prints one JSON line
// with its URLs, the token and its GOMAXPROCS on stdout, and serves until its
// stdin is closed or it gets SIGINT/SIGTERM. -mode compare is the bare bcrypt
// child of the login mode; it reads the hash from $LOADRATIO_HASH and prints
// one JSON line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
)

// Modes of -mode.
const (
	modeThroughput = "throughput"
	modeLogin      = "login"
	modeFlood      = "flood"
	modeCompare    = "compare" // internal: the bare bcrypt child
)

// Frameworks of -frameworks and -serve.
const (
	fwNetHTTP = "nethttp"
	fwEcho    = "echo"
	fwFiber   = "fiber"
)

// allFrameworks lists the frameworks in their default order.
func allFrameworks() []string { return []string{fwNetHTTP, fwEcho, fwFiber} }

// options are the parsed command-line flags.
type options struct {
	mode         string
	serve        string
	frameworks   []string
	rounds       int
	duration     time.Duration
	warmup       time.Duration
	conns        int
	clients      int
	rate         int
	floodClients int
	// serverProcs is GOMAXPROCS of the login and flood server children
	// (0: the runtime's default).
	serverProcs int
	// tokenCacheSize is usecase.Config.TokenCacheSize of the server
	// children (0: the library's default; negative: no verified-token cache).
	tokenCacheSize int
	// hashConcurrency is usecase.Config.HashConcurrency of the login and
	// flood server children (0: the library's default).
	hashConcurrency int
	bcryptCost      int
	jsonPath        string
	wrkPath         string
	tasksetPath     string
	serverCPU       string
	wrkCPU          string
	// serverCPUs and wrkCPUs are serverCPU and wrkCPU parsed.
	serverCPUs []int
	wrkCPUs    []int
	verbose    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen mode, returning the exit status: 0 on
// success, 2 for bad flags, 1 for any other failure.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "loadratio:", err)
		return 2
	}
	switch {
	case o.serve != "":
		err = serveChild(ctx, o, stdin, stdout, stderr)
	case o.mode == modeCompare:
		err = compareChild(ctx, o, stdout)
	case o.mode == modeThroughput:
		err = runThroughput(ctx, o, stdout, stderr)
	case o.mode == modeLogin:
		err = runLogin(ctx, o, stdout, stderr)
	case o.mode == modeFlood:
		err = runFlood(ctx, o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadratio:", err)
		return 1
	}
	return 0
}

// parseFlags parses args into options, filling in the defaults that depend
// on the mode, and checks them.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadratio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", modeThroughput, "what to measure: throughput, login or flood")
	fs.StringVar(&o.serve, "serve", "", "internal: run a server child for nethttp, echo or fiber")
	frameworks := fs.String("frameworks", strings.Join(allFrameworks(), ","), "throughput mode: comma-separated frameworks to measure")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds per route (default 5 in throughput mode, 3 in login mode)")
	fs.DurationVar(&o.duration, "duration", 0, "length of one measurement (default 5s throughput, 30s login, 10s per flood phase)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up load per route before measuring (throughput, flood)")
	fs.IntVar(&o.conns, "conns", 16, "throughput mode: wrk connections (-c)")
	fs.IntVar(&o.clients, "clients", 2*runtime.GOMAXPROCS(0), "login mode: concurrent login clients")
	fs.IntVar(&o.rate, "rate", 500, "flood mode: requests per second of the open-loop probe")
	fs.IntVar(&o.floodClients, "flood-clients", 32, "flood mode: concurrent login clients during the flood")
	fs.IntVar(&o.tokenCacheSize, "token-cache-size", 0, "usecase.Config.TokenCacheSize of the servers (default: the library's; -1: verify every token on every request, as on a token's first request)")
	fs.IntVar(&o.hashConcurrency, "hash-concurrency", 0, "login and flood modes: usecase.Config.HashConcurrency of the server (default: the library's, GOMAXPROCS-1)")
	fs.IntVar(&o.serverProcs, "server-gomaxprocs", 0, "login and flood modes: GOMAXPROCS of the server child (default: the runtime's, one per CPU); the hashing cap is one less (usecase.DefaultHashConcurrency)")
	fs.IntVar(&o.bcryptCost, "bcrypt-cost", 0, "internal: bcrypt cost of a server child (default: minimum in throughput mode, bcrypthash.DefaultCost otherwise)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.wrkPath, "wrk", "wrk", "wrk executable")
	fs.StringVar(&o.tasksetPath, "taskset", "taskset", "taskset executable")
	fs.StringVar(&o.serverCPU, "server-cpu", "0", "throughput mode: CPU list (taskset -c) of the server child")
	fs.StringVar(&o.wrkCPU, "wrk-cpu", "1", "throughput mode: CPU list (taskset -c) of wrk")
	fs.BoolVar(&o.verbose, "v", false, "copy the children's logs to stderr as they come")
	err := fs.Parse(args)
	if err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, f := range strings.Split(*frameworks, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(allFrameworks(), f) {
			return options{}, fmt.Errorf("-frameworks: unknown framework %q (want %s)", f, strings.Join(allFrameworks(), ", "))
		}
		if slices.Contains(o.frameworks, f) {
			return options{}, fmt.Errorf("-frameworks: %q given twice", f)
		}
		o.frameworks = append(o.frameworks, f)
	}
	if o.serve != "" && !slices.Contains(allFrameworks(), o.serve) {
		return options{}, fmt.Errorf("-serve: unknown framework %q (want %s)", o.serve, strings.Join(allFrameworks(), ", "))
	}
	if !slices.Contains([]string{modeThroughput, modeLogin, modeFlood, modeCompare}, o.mode) {
		return options{}, fmt.Errorf("-mode: unknown mode %q (want throughput, login or flood)", o.mode)
	}

	if o.serverCPUs, err = parseCPUList(o.serverCPU); err != nil {
		return options{}, fmt.Errorf("-server-cpu: %w", err)
	}
	if o.wrkCPUs, err = parseCPUList(o.wrkCPU); err != nil {
		return options{}, fmt.Errorf("-wrk-cpu: %w", err)
	}
	if o.rounds == 0 {
		o.rounds = 5
		if o.mode == modeLogin {
			o.rounds = 3
		}
	}
	if o.duration == 0 {
		switch o.mode {
		case modeLogin:
			o.duration = 30 * time.Second
		case modeFlood:
			o.duration = 10 * time.Second
		default:
			o.duration = 5 * time.Second
		}
	}
	if o.bcryptCost == 0 {
		o.bcryptCost = bcrypthash.DefaultCost
		if o.mode == modeThroughput {
			o.bcryptCost = bcrypthash.MinCost
		}
	}

	switch {
	case o.rounds < 1:
		return options{}, fmt.Errorf("-rounds %d: want at least 1", o.rounds)
	case o.duration <= 0:
		return options{}, fmt.Errorf("-duration %v: want a positive duration", o.duration)
	case o.mode == modeThroughput && o.serve == "" && (o.duration < time.Second || o.duration%time.Second != 0):
		return options{}, fmt.Errorf("-duration %v: wrk takes whole seconds, at least 1s", o.duration)
	case o.warmup < 0:
		return options{}, fmt.Errorf("-warmup %v: want zero or a positive duration", o.warmup)
	case o.mode == modeThroughput && o.warmup%time.Second != 0:
		return options{}, fmt.Errorf("-warmup %v: wrk takes whole seconds", o.warmup)
	case o.conns < 1:
		return options{}, fmt.Errorf("-conns %d: want at least 1", o.conns)
	case o.clients < 1:
		return options{}, fmt.Errorf("-clients %d: want at least 1", o.clients)
	case o.rate < 1 || o.rate > 100_000:
		return options{}, fmt.Errorf("-rate %d: want 1 to 100000 requests per second", o.rate)
	case o.hashConcurrency < 0:
		return options{}, fmt.Errorf("-hash-concurrency %d: want 0 (the default) or more", o.hashConcurrency)
	case o.serverProcs < 0:
		return options{}, fmt.Errorf("-server-gomaxprocs %d: want 0 (the default) or more", o.serverProcs)
	case o.floodClients < 1:
		return options{}, fmt.Errorf("-flood-clients %d: want at least 1", o.floodClients)
	case o.bcryptCost < bcrypthash.MinCost || o.bcryptCost > bcrypthash.MaxCost:
		return options{}, fmt.Errorf("-bcrypt-cost %d: want %d to %d", o.bcryptCost, bcrypthash.MinCost, bcrypthash.MaxCost)
	}
	return o, nil
}
