package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"
)

// floodRamp is how long the login flood runs before the probe's flood
// phase starts, so that the hashing queue is already full.
const floodRamp = time.Second

// settleMax bounds the wait, after the flood, for the server to finish the
// comparisons its cancelled logins had started.
const settleMax = 10 * time.Second

// waitQuiet waits until process pid uses less than a fifth of a core over
// 200 ms, or max has passed, and returns how long it waited.
func waitQuiet(ctx context.Context, pid int, max time.Duration) (time.Duration, error) {
	const window = 200 * time.Millisecond
	start := time.Now()
	prev, err := procCPU(pid)
	if err != nil {
		return 0, err
	}
	for time.Since(start) < max {
		if err := sleepCtx(ctx, window); err != nil {
			return time.Since(start), err
		}
		cur, err := procCPU(pid)
		if err != nil {
			return time.Since(start), err
		}
		if cur-prev < window/5 {
			break
		}
		prev = cur
	}
	return time.Since(start), nil
}

// floodReport is the JSON document of the flood mode.
type floodReport struct {
	Mode             string       `json:"mode"`
	Machine          machineInfo  `json:"machine"`
	ServerCommand    string       `json:"server_command"`
	ServerGOMAXPROCS int          `json:"server_gomaxprocs"`
	BcryptCost       int          `json:"bcrypt_cost"`
	Rate             int          `json:"rate"`
	Duration         string       `json:"duration"`
	FloodClients     int          `json:"flood_clients"`
	Phases           []probePhase `json:"phases"`
	Flood            loginCounts  `json:"flood_logins"`
	// SettleSeconds is how long the server took, after the flood, to
	// finish the comparisons of the logins it abandoned.
	SettleSeconds  float64 `json:"settle_seconds"`
	FloodOverIdle  num     `json:"flood_p99_over_idle_p99"`
	FloodOverIdle2 num     `json:"flood_p99_over_idle_again_p99"`
}

// probePhase is the open-loop probe's result in one phase.
type probePhase struct {
	Name string `json:"name"`
	// Sent counts the requests sent; OK those answered 200; Failed those
	// answered otherwise; Errors those that got no answer.
	Sent   int `json:"sent"`
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	Errors int `json:"errors"`
	// Seconds is how long sending took (rate x Seconds = Sent when the
	// sender kept up).
	Seconds float64 `json:"seconds"`
	// Latency is measured from each request's intended send time, over the
	// 200 answers.
	Latency    latencySummary `json:"latency"`
	FirstError string         `json:"first_error,omitempty"`
}

// openLoop sends GET target with the token at rate requests per second
// for d, each at its scheduled time whatever happened to the previous ones
// (open loop), and measures each latency from the scheduled time, so that
// a stall of the server or of this sender counts against the requests it
// delayed.
func openLoop(ctx context.Context, client *http.Client, target, token string, rate int, d time.Duration) probePhase {
	n := int(math.Round(float64(rate) * d.Seconds()))
	interval := time.Second / time.Duration(rate)
	latencies := make([]time.Duration, n)
	statuses := make([]int, n)
	errs := make([]error, n)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var wg sync.WaitGroup
	start := time.Now()
	sent := 0
send:
	for i := range n {
		intended := start.Add(time.Duration(i) * interval)
		if wait := time.Until(intended); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break send
			case <-timer.C:
			}
		}
		sent++
		wg.Go(func() {
			statuses[i], _, errs[i] = get(ctx, client, target, token)
			latencies[i] = time.Since(intended)
		})
	}
	elapsed := time.Since(start)
	wg.Wait()

	p := probePhase{Sent: sent, Seconds: elapsed.Seconds()}
	var ok []time.Duration
	for i := range sent {
		switch {
		case errs[i] != nil:
			p.Errors++
			if p.FirstError == "" {
				p.FirstError = errs[i].Error()
			}
		case statuses[i] == http.StatusOK:
			p.OK++
			ok = append(ok, latencies[i])
		default:
			p.Failed++
			if p.FirstError == "" {
				p.FirstError = "status " + strconv.Itoa(statuses[i])
			}
		}
	}
	p.Latency = summarizeLatencies(ok)
	return p
}

// floodLogins posts the right password to loginURL from clients goroutines
// as fast as they are answered, until ctx ends, and returns the answers
// counted (requests cancelled by the end are not).
func floodLogins(ctx context.Context, client *http.Client, loginURL string, clients int) loginCounts {
	start := time.Now()
	var mu sync.Mutex
	total := loginCounts{Clients: clients}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine loginCounts
			for ctx.Err() == nil {
				status, _, err := postLogin(ctx, client, loginURL, userEmail, userPassword)
				if ctx.Err() != nil {
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
			mu.Unlock()
		})
	}
	wg.Wait()
	total.Seconds = time.Since(start).Seconds()
	return total
}

// runFlood is -mode flood.
func runFlood(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	run, err := startHashingServer(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer run.stop(&err)
	machine, spec, child := run.machine, run.spec, run.child
	// Enough connections for every request in flight during a stall of a
	// second at the rate.
	probe := newClient(o.rate + 16)
	defer probe.CloseIdleConnections()
	flooder := newClient(o.floodClients)
	defer flooder.CloseIdleConnections()
	if err := checkRoutes(ctx, probe, child.info); err != nil {
		return err
	}
	if err := checkLogin(ctx, flooder, child.info); err != nil {
		return err
	}

	rep := floodReport{
		Mode: modeFlood, Machine: machine, ServerCommand: spec.String(),
		ServerGOMAXPROCS: child.info.GOMAXPROCS, BcryptCost: child.info.BcryptCost,
		Rate: o.rate, Duration: o.duration.String(), FloodClients: o.floodClients,
	}
	fmt.Fprintln(stdout, machine)
	fmt.Fprintf(stdout, "flood: open-loop GET %s with the token at %d req/s (latency from the intended send time), %v per phase: idle, login flood (%d clients, right password, %v ramp-up first), idle again\n",
		child.info.Authadmin, o.rate, o.duration, o.floodClients, floodRamp)
	fmt.Fprintf(stdout, "server: %s  (GOMAXPROCS=%d, so HashConcurrency=%d; bcrypt cost %d; memstore; not pinned)\n",
		rep.ServerCommand, child.info.GOMAXPROCS, child.info.HashConcurrency, child.info.BcryptCost)

	if o.warmup > 0 {
		fmt.Fprintln(stderr, "loadratio: flood: warming up")
		_ = openLoop(ctx, probe, child.info.Authadmin, child.info.Token, o.rate, o.warmup)
	}
	phase := func(name string) {
		fmt.Fprintf(stderr, "loadratio: flood: phase %q\n", name)
		p := openLoop(ctx, probe, child.info.Authadmin, child.info.Token, o.rate, o.duration)
		p.Name = name
		rep.Phases = append(rep.Phases, p)
	}

	phase("idle")
	fctx, stopFlood := context.WithCancel(ctx)
	floodDone := make(chan loginCounts, 1)
	go func() { floodDone <- floodLogins(fctx, flooder, child.info.Login, o.floodClients) }()
	if err := sleepCtx(ctx, floodRamp); err == nil {
		phase("login flood")
	}
	stopFlood()
	rep.Flood = <-floodDone
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("flood mode interrupted: %w", err)
	}
	// The server still finishes the comparisons of logins the flood
	// abandoned; "idle again" starts once they are done.
	settled, err := waitQuiet(ctx, child.info.PID, settleMax)
	if err != nil {
		return fmt.Errorf("waiting for the server to settle after the flood: %w", err)
	}
	rep.SettleSeconds = settled.Seconds()
	phase("idle again")
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("flood mode interrupted: %w", err)
	}
	if err := child.Alive(); err != nil {
		return err
	}
	if len(rep.Phases) != 3 {
		return fmt.Errorf("flood mode: %d phases measured, want 3", len(rep.Phases))
	}
	rep.FloodOverIdle = num(ratio(float64(rep.Phases[1].Latency.P99), float64(rep.Phases[0].Latency.P99)))
	rep.FloodOverIdle2 = num(ratio(float64(rep.Phases[1].Latency.P99), float64(rep.Phases[2].Latency.P99)))
	printFlood(stdout, rep)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, rep); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results written to %s\n", o.jsonPath)
	}
	return nil
}

// printFlood prints the flood mode's report.
func printFlood(w io.Writer, rep floodReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tsent\t200\tother\terrors\tsent/s\tp50\tp90\tp99\tmax\t")
	for _, p := range rep.Phases {
		rate := 0.0
		if p.Seconds > 0 {
			rate = float64(p.Sent) / p.Seconds
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", p.Name, p.Sent, p.OK, p.Failed, p.Errors, rate,
			ms(p.Latency.P50), ms(p.Latency.P90), ms(p.Latency.P99), ms(p.Latency.Max))
	}
	_ = tw.Flush()
	for _, p := range rep.Phases {
		if p.FirstError != "" {
			fmt.Fprintf(w, "%s: first failure: %s\n", p.Name, p.FirstError)
		}
	}
	f := rep.Flood
	fmt.Fprintf(w, "flood p99 / idle p99 = %s (idle again: %s)\n", fmtRatio(float64(rep.FloodOverIdle)), fmtRatio(float64(rep.FloodOverIdle2)))
	fmt.Fprintf(w, "logins during the flood (%.1fs incl. ramp-up, %d clients): 200: %d (%.2f/s), 503: %d (%.2f/s), other: %s, errors: %d\n",
		f.Seconds, f.Clients, f.OK, f.perSec(f.OK), f.Overloaded, f.perSec(f.Overloaded), f.otherString(), f.Errors)
	if f.FirstError != "" {
		fmt.Fprintf(w, "flood: first transport error: %s\n", f.FirstError)
	}
	if len(f.Other) > 0 {
		fmt.Fprintf(w, "WARNING: the flood got %s answers other than 200 and 503: refused logins cost no hashing, so the flood was lighter than it looks\n", f.otherString())
	}
	fmt.Fprintf(w, "after the flood the server needed %.1fs to finish the comparisons of abandoned logins before \"idle again\" started\n", rep.SettleSeconds)
}
