package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loginReport is the JSON document of the login mode.
type loginReport struct {
	Mode             string       `json:"mode"`
	Machine          machineInfo  `json:"machine"`
	ServerCommand    string       `json:"server_command"`
	CompareCommand   string       `json:"compare_command"`
	ServerGOMAXPROCS int          `json:"server_gomaxprocs"`
	BcryptCost       int          `json:"bcrypt_cost"`
	Clients          int          `json:"clients"`
	Duration         string       `json:"duration"`
	Rounds           []loginRound `json:"rounds"`
	MedianLoginsPS   num          `json:"median_logins_per_sec"`
	Median503PS      num          `json:"median_503_per_sec"`
	MedianComparePS  num          `json:"median_compares_per_sec"`
	LoginOverCompare num          `json:"logins_over_compares"`
}

// loginRound is one round of the login mode.
type loginRound struct {
	Round   int           `json:"round"`
	Order   string        `json:"order"`
	Logins  loginCounts   `json:"logins"`
	Compare compareResult `json:"compare"`
}

// loginCounts counts the answers of a login load.
type loginCounts struct {
	Clients int     `json:"clients"`
	Seconds float64 `json:"seconds"`
	// OK and Overloaded count the 200 and 503 answers; Other the other
	// statuses; Errors the requests that failed without an answer.
	OK         int64            `json:"ok"`
	Overloaded int64            `json:"overloaded_503"`
	Other      map[string]int64 `json:"other,omitempty"`
	Errors     int64            `json:"errors"`
	// Latency is the distribution of the 200 answers' latencies.
	Latency latencySummary `json:"latency_ok"`
	// FirstError is one transport error, for the report.
	FirstError string `json:"first_error,omitempty"`
	// OKRate is the 200s per second, estimated by workerRate over the
	// clients' 200s. Only loginLoad sets it.
	OKRate float64 `json:"ok_rate,omitempty"`
}

// perSec returns n per second of c.
func (c loginCounts) perSec(n int64) float64 {
	if c.Seconds <= 0 {
		return 0
	}
	return float64(n) / c.Seconds
}

// otherString formats Other as "404:3 500:1", or "0".
func (c loginCounts) otherString() string {
	if len(c.Other) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(c.Other))
	for k := range c.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, c.Other[k])
	}
	return strings.Join(parts, " ")
}

// add merges o into c (counts only).
func (c *loginCounts) add(o loginCounts) {
	c.OK += o.OK
	c.Overloaded += o.Overloaded
	c.Errors += o.Errors
	for k, v := range o.Other {
		if c.Other == nil {
			c.Other = map[string]int64{}
		}
		c.Other[k] += v
	}
	if c.FirstError == "" {
		c.FirstError = o.FirstError
	}
}

// loginLoad posts the right password of the user to loginURL from clients
// goroutines for d (or until ctx ends). Only answers that arrive within d
// count; a request still in flight at the end is cancelled and not
// counted, as the compare child does not count a comparison that ends
// late.
func loginLoad(ctx context.Context, client *http.Client, loginURL string, clients int, d time.Duration) loginCounts {
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	deadline := start.Add(d)
	var mu sync.Mutex
	total := loginCounts{Clients: clients}
	var latencies []time.Duration
	stats := make([]workerStats, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine loginCounts
			var lat []time.Duration
			for lctx.Err() == nil {
				t0 := time.Now()
				status, _, err := postLogin(lctx, client, loginURL, userEmail, userPassword)
				end := time.Now()
				if end.After(deadline) || lctx.Err() != nil {
					break
				}
				switch {
				case err != nil:
					mine.Errors++
					if mine.FirstError == "" {
						mine.FirstError = err.Error()
					}
				case status == http.StatusOK:
					mine.OK++
					stats[c].done(end.Sub(start))
					lat = append(lat, end.Sub(t0))
				case status == http.StatusServiceUnavailable:
					mine.Overloaded++
				default:
					if mine.Other == nil {
						mine.Other = map[string]int64{}
					}
					mine.Other[strconv.Itoa(status)]++
				}
			}
			mu.Lock()
			total.add(mine)
			latencies = append(latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	total.Seconds = min(time.Since(start), d).Seconds()
	total.Latency = summarizeLatencies(latencies)
	total.OKRate = workerRate(stats)
	return total
}

// runLogin is -mode login.
func runLogin(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	run, err := startHashingServer(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer run.stop(&err)
	exe, machine, spec, child := run.exe, run.machine, run.spec, run.child
	client := newClient(o.clients)
	defer client.CloseIdleConnections()
	if err := checkRoutes(ctx, client, child.info); err != nil {
		return err
	}
	if err := checkLogin(ctx, client, child.info); err != nil {
		return err
	}

	report := loginReport{
		Mode: modeLogin, Machine: machine, ServerCommand: spec.String(),
		ServerGOMAXPROCS: child.info.GOMAXPROCS, BcryptCost: child.info.BcryptCost,
		Clients: o.clients, Duration: o.duration.String(),
	}
	fmt.Fprintln(stdout, machine)
	fmt.Fprintf(stdout, "login: %d rounds; each: %d clients post the right password to POST %s for %v, and a child compares with bcrypt for %v (alternating which goes first)\n",
		o.rounds, o.clients, child.info.Login, o.duration, o.duration)
	fmt.Fprintf(stdout, "server: %s  (GOMAXPROCS=%d, so HashConcurrency=%d; bcrypt cost %d; memstore; not pinned)\n",
		report.ServerCommand, child.info.GOMAXPROCS, child.info.HashConcurrency, child.info.BcryptCost)

	for r := range o.rounds {
		round := loginRound{Round: r + 1}
		httpFirst := r%2 == 0
		round.Order = "compare, then logins"
		if httpFirst {
			round.Order = "logins, then compare"
		}
		for i := range 2 {
			if (i == 0) == httpFirst {
				fmt.Fprintf(stderr, "loadratio: login round %d/%d: logins\n", r+1, o.rounds)
				round.Logins = loginLoad(ctx, client, child.info.Login, o.clients, o.duration)
			} else {
				fmt.Fprintf(stderr, "loadratio: login round %d/%d: bare compare\n", r+1, o.rounds)
				res, cmd, err := runCompareChild(ctx, exe, child.info.Hash, o.duration)
				if err != nil {
					return err
				}
				round.Compare, report.CompareCommand = res, cmd
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("login mode interrupted: %w", err)
			}
		}
		report.Rounds = append(report.Rounds, round)
	}
	if err := child.Alive(); err != nil {
		return err
	}

	var okPS, overPS, cmpPS []float64
	for _, rd := range report.Rounds {
		okPS = append(okPS, rd.Logins.OKRate)
		overPS = append(overPS, rd.Logins.perSec(rd.Logins.Overloaded))
		cmpPS = append(cmpPS, rd.Compare.Rate)
	}
	report.MedianLoginsPS = num(median(okPS))
	report.Median503PS = num(median(overPS))
	report.MedianComparePS = num(median(cmpPS))
	report.LoginOverCompare = num(ratio(median(okPS), median(cmpPS)))
	printLogin(stdout, report, runtime.NumCPU())
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, report); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results written to %s\n", o.jsonPath)
	}
	return nil
}

// printLogin prints the login mode's report.
func printLogin(w io.Writer, rep loginReport, ncpu int) {
	fmt.Fprintf(w, "compare child: %s\n", rep.CompareCommand)
	for _, rd := range rep.Rounds {
		l, c := rd.Logins, rd.Compare
		fmt.Fprintf(w, "round %d (%s):\n", rd.Round, rd.Order)
		fmt.Fprintf(w, "  login route:  %.2f logins/s  (200: %d, 503: %d, other: %s, errors: %d in %.1fs; 200 latency p50 %s p99 %s)\n",
			l.OKRate, l.OK, l.Overloaded, l.otherString(), l.Errors, l.Seconds, ms(l.Latency.P50), ms(l.Latency.P99))
		if l.FirstError != "" {
			fmt.Fprintf(w, "  first transport error: %s\n", l.FirstError)
		}
		fmt.Fprintf(w, "  bare compare: %.2f compares/s  (%d in %.1fs by %d goroutines)\n",
			c.Rate, c.Compares, c.Seconds, c.Goroutines)
		fmt.Fprintf(w, "  ratio:        %s\n", fmtRatio(ratio(l.OKRate, c.Rate)))
		if len(l.Other) > 0 {
			fmt.Fprintf(w, "  WARNING: %s answers other than 200 and 503: the rate counts only the 200s, so this round measured refusals too\n", l.otherString())
		}
	}
	fmt.Fprintf(w, "medians over %d rounds: login route %.2f logins/s (503s %.2f/s), bare bcrypt %.2f compares/s (%d CPUs)\n",
		len(rep.Rounds), float64(rep.MedianLoginsPS), float64(rep.Median503PS), float64(rep.MedianComparePS), ncpu)
	fmt.Fprintf(w, "logins/s / compares/s = %s\n", fmtRatio(float64(rep.LoginOverCompare)))
}

// hashingServer is the running server child of the login and flood modes.
type hashingServer struct {
	exe     string // this program, which the children run
	machine machineInfo
	spec    childSpec
	child   *serverChild
}

// stop stops the child, joining its error to *err.
func (h hashingServer) stop(err *error) {
	if serr := h.child.Stop(); serr != nil {
		*err = errors.Join(*err, serr)
	}
}

// startHashingServer describes the machine and starts the net/http server
// child of the login and flood modes: bcrypt at o's cost, with o's hashing
// slots and GOMAXPROCS. The caller stops the child.
func startHashingServer(ctx context.Context, o options, stderr io.Writer) (hashingServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return hashingServer{}, fmt.Errorf("finding this program for the children: %w", err)
	}
	machine, err := describeMachine(ctx, "")
	if err != nil {
		return hashingServer{}, err
	}
	spec := childSpec{
		exe: exe,
		args: []string{"-serve", fwNetHTTP, "-bcrypt-cost", strconv.Itoa(o.bcryptCost),
			"-hash-concurrency", strconv.Itoa(o.hashConcurrency), "-token-cache-size", strconv.Itoa(o.tokenCacheSize)},
		gomaxprocs: o.serverProcs,
	}
	if o.verbose {
		spec.logs = stderr
	}
	child, err := startServerChild(ctx, spec)
	if err != nil {
		return hashingServer{}, err
	}
	return hashingServer{exe: exe, machine: machine, spec: spec, child: child}, nil
}
