package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// hashEnv is the environment variable the compare child reads the bcrypt
// hash from.
const hashEnv = "LOADRATIO_HASH"

// serveChild is -serve: it starts the server of o.serve, prints its
// readyInfo as one JSON line on stdout, and serves until stdin reaches EOF
// (the parent closed it, or died) or ctx is cancelled (SIGINT, SIGTERM).
func serveChild(ctx context.Context, o options, stdin io.Reader, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := startServer(ctx, o.serve, serviceSettings{bcryptCost: o.bcryptCost, tokenCacheSize: o.tokenCacheSize, hashConcurrency: o.hashConcurrency}, logger)
	if err != nil {
		return err
	}
	line, err := json.Marshal(srv.info)
	if err != nil {
		return errors.Join(fmt.Errorf("encoding the ready line: %w", err), srv.Stop(5*time.Second))
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return errors.Join(fmt.Errorf("writing the ready line: %w", err), srv.Stop(5*time.Second))
	}

	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(eof)
	}()
	var serveErr error
	select {
	case <-eof:
	case <-ctx.Done():
	case serveErr = <-srv.done:
		// The serve loop ended on its own: report why (Stop would wait
		// for it again).
		return fmt.Errorf("%s server stopped: %w", o.serve, serveErr)
	}
	return srv.Stop(5 * time.Second)
}

// compareResult is what the compare child prints.
type compareResult struct {
	Goroutines int     `json:"goroutines"`
	Compares   int64   `json:"compares"`
	Seconds    float64 `json:"seconds"`
	// Rate is the comparisons per second, estimated by workerRate.
	Rate float64 `json:"rate"`
}

// workerStats is what a worker of a rate measurement records: how many
// operations it completed, and when (after the start) the first and the
// last completed.
type workerStats struct {
	n           int64
	first, last time.Duration
}

// done records a completion at elapsed.
func (w *workerStats) done(elapsed time.Duration) {
	if w.n == 0 {
		w.first = elapsed
	}
	w.n++
	w.last = elapsed
}

// workerRate estimates the throughput of workers from their completions:
// the sum over the workers of (n-1)/(last-first), the rate between each
// one's first and last completion (1/first for a worker with a single
// one). Unlike the total count divided by the window it is not biased down
// by the operations still in flight when the window closes, nor up by the
// first operations, which do not wait in the queue that later ones do;
// with a few workers doing operations of a second each, both are a large
// share.
func workerRate(ws []workerStats) float64 {
	var rate float64
	for _, w := range ws {
		switch {
		case w.n >= 2 && w.last > w.first:
			rate += float64(w.n-1) / (w.last - w.first).Seconds()
		case w.n == 1 && w.first > 0:
			rate += 1 / w.first.Seconds()
		}
	}
	return rate
}

// compareChild is -mode compare: GOMAXPROCS goroutines compare userPassword
// with the hash in $LOADRATIO_HASH for o.duration, and the count of
// comparisons that ended within it is printed as one JSON line.
func compareChild(ctx context.Context, o options, stdout io.Writer) error {
	hash := []byte(os.Getenv(hashEnv))
	if len(hash) == 0 {
		return fmt.Errorf("compare: $%s is empty", hashEnv)
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(userPassword)); err != nil {
		return fmt.Errorf("compare: the hash in $%s does not match the user's password: %w", hashEnv, err)
	}
	res := bareCompare(ctx, hash, []byte(userPassword), runtime.GOMAXPROCS(0), o.duration)
	line, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("compare: encoding the result: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return fmt.Errorf("compare: writing the result: %w", err)
	}
	return nil
}

// bareCompare runs bcrypt.CompareHashAndPassword in goroutines goroutines
// for d (or until ctx ends), counting the comparisons that completed
// before the deadline, as the login clients count the logins answered
// before theirs.
func bareCompare(ctx context.Context, hash, password []byte, goroutines int, d time.Duration) compareResult {
	start := time.Now()
	deadline := start.Add(d)
	stats := make([]workerStats, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for ctx.Err() == nil {
				// The result is known (checked by the caller); only
				// its cost matters.
				_ = bcrypt.CompareHashAndPassword(hash, password)
				now := time.Now()
				if now.After(deadline) {
					return
				}
				stats[g].done(now.Sub(start))
			}
		})
	}
	wg.Wait()
	res := compareResult{Goroutines: goroutines, Seconds: min(time.Since(start), d).Seconds(), Rate: workerRate(stats)}
	for _, w := range stats {
		res.Compares += w.n
	}
	return res
}
