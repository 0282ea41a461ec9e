package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// ShutdownTimeout is the default grace period: how long a server waits for
// the requests in flight once it is told to stop (SIGINT or SIGTERM).
const ShutdownTimeout = 10 * time.Second

// ReadTimeout and WriteTimeout are the servers' deadlines for reading a
// request and for writing its response. They are no longer than
// ShutdownTimeout, so a client that sends or reads too slowly is dropped by
// the server's own deadline within the grace period, and the cut-off at its
// end is left for what outlasts those deadlines.
const (
	ReadTimeout  = ShutdownTimeout
	WriteTimeout = ShutdownTimeout
)

// CutOffWait bounds how long Serve waits, once the grace period has run
// out and the connections are cut off, for the handlers still running to
// return. Cut off from their clients (and, on net/http, with their request
// context cancelled) they normally return at once.
const CutOffWait = 5 * time.Second

// ErrCutOff is wrapped by Serve's error when requests were still in flight
// at the end of the grace period and were cut off.
var ErrCutOff = errors.New("requests still in flight were cut off")

// Runner is a server as Serve drives it.
type Runner struct {
	// Serve serves until Shutdown or Close is called, or fails. It may
	// return nil or http.ErrServerClosed once told to stop.
	Serve func() error
	// Shutdown stops accepting connections and waits, until ctx is done,
	// for the requests in flight.
	Shutdown func(ctx context.Context) error
	// Close cuts off the connections still open once the grace period has
	// run out; nil for a server that has no such call.
	Close func() error
	// Handlers counts the handlers running; nil counts none.
	Handlers *Inflight
}

// Serve runs r until ctx is done (SIGINT or SIGTERM), then stops it:
//
//  1. stop restores the signals' default action, so a second Ctrl-C kills
//     the program;
//  2. r.Shutdown waits up to grace for the requests in flight;
//  3. if they outlast it, r.Close cuts off their connections;
//  4. Serve waits for r.Serve to return and for r.Handlers to drop to zero
//     (at most CutOffWait).
//
// Only then does it return, so the caller closes the store after the last
// handler has used it. A server's own Serve returns as soon as it is told to
// stop, and http.Server.Close does not wait for handlers either, hence the
// count.
//
// Serve returns nil after a clean stop. When requests were cut off it
// returns an error wrapping ErrCutOff, and the program exits with status 1:
// a client lost its request, so the stop was not clean, and a supervisor
// or script should see that.
func Serve(ctx context.Context, stop func(), logger *slog.Logger, grace time.Duration, r Runner) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- r.Serve() }()

	var err error
	select {
	case err = <-serveErr: // failed before any signal
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			err = errors.New("the server stopped on its own")
		}
		if r.Close != nil {
			_ = r.Close() // the error above says it all
		}
	case <-ctx.Done():
		stop()
		logger.Info("shutting down", "grace_period", grace)
		shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err = r.Shutdown(shutdownCtx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("shutdown: the %v grace period ran out: %w", grace, ErrCutOff)
			} else {
				err = fmt.Errorf("shutdown: %w; %w", err, ErrCutOff)
			}
			if r.Close != nil {
				err = errors.Join(err, r.Close())
			}
		}
		if serr := <-serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	if n := r.Handlers.wait(CutOffWait); n > 0 {
		// The store closes under them: database/sql lets a query already
		// running finish and fails the next ones, so the file stays sound.
		err = errors.Join(err, fmt.Errorf("%d handlers still running %v after the cut-off", n, CutOffWait))
	}
	return err
}

// NewHTTPServer returns the http.Server the net/http-based examples serve
// handler with: the timeouts above, a 32 KiB header limit (the contract
// requires at least 16 KiB of headers to be accepted), and the server's own
// errors in logger.
func NewHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// ServeHTTP is Serve for srv on ln: it counts the calls of srv.Handler and
// cuts off with srv.Close.
func ServeHTTP(ctx context.Context, stop func(), logger *slog.Logger, grace time.Duration, srv *http.Server, ln net.Listener) error {
	handlers := new(Inflight)
	srv.Handler = handlers.Wrap(srv.Handler)
	return Serve(ctx, stop, logger, grace, Runner{
		Serve:    func() error { return srv.Serve(ln) },
		Shutdown: srv.Shutdown,
		Close:    srv.Close,
		Handlers: handlers,
	})
}

// Inflight counts the handlers running. The zero value is ready to use.
type Inflight struct{ n atomic.Int64 }

// Begin counts a handler in; call end when it returns.
func (f *Inflight) Begin() (end func()) {
	f.n.Add(1)
	return func() { f.n.Add(-1) }
}

// Wrap returns h counting its calls.
func (f *Inflight) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer f.Begin()()
		h.ServeHTTP(w, r)
	})
}

// wait polls until no handler runs or d has passed, and returns how many
// still run.
func (f *Inflight) wait(d time.Duration) int64 {
	if f == nil {
		return 0
	}
	deadline := time.Now().Add(d)
	for {
		if n := f.n.Load(); n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}
