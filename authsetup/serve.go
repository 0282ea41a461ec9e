package authsetup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// The deadlines of the servers ListenAndServe runs; a server of another
// framework run through Serve should use them too (Fiber: fiber.Config's
// ReadTimeout, WriteTimeout and IdleTimeout).
const (
	// ReadTimeout and WriteTimeout bound reading a request and writing its
	// response. They are no longer than DefaultShutdownTimeout, so that a
	// client that sends or reads too slowly is dropped by the server's own
	// deadline within the default grace period.
	ReadTimeout  = DefaultShutdownTimeout
	WriteTimeout = DefaultShutdownTimeout
	// IdleTimeout bounds a kept-alive connection between requests.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers (the contract requires
	// 16 KiB to be accepted).
	MaxHeaderBytes = 32 << 10
)

// CutOffWait bounds how long Serve waits, once the grace period has run
// out and the connections are cut off, for the handlers still running to
// return.
const CutOffWait = 5 * time.Second

// ErrCutOff is wrapped by the error of Serve and ListenAndServe when
// requests were still in flight at the end of the grace period and were
// cut off.
var ErrCutOff = errors.New("authsetup: requests still in flight were cut off")

// Runner is a server as Serve drives it.
type Runner struct {
	// Serve serves on ln until Shutdown or Close is called, or fails. It
	// may return nil or http.ErrServerClosed once told to stop.
	Serve func(ln net.Listener) error
	// Shutdown stops accepting connections and waits, until ctx is done,
	// for the requests in flight.
	Shutdown func(ctx context.Context) error
	// Close cuts off the connections still open once the grace period has
	// run out; nil for a server that has no such call.
	Close func() error
	// Handlers counts the handlers running; nil counts none.
	Handlers *Inflight
}

// ListenAndServe serves h on Listen's listener with an http.Server
// bounded by ReadTimeout, WriteTimeout, IdleTimeout and MaxHeaderBytes, as
// Serve does: until ctx is done or the process receives SIGINT or SIGTERM,
// then a graceful stop, then Close.
func (a *Auth) ListenAndServe(ctx context.Context, h http.Handler) error {
	logger := a.Settings.withDefaults().Logger
	handlers := new(Inflight)
	srv := &http.Server{
		Handler:           handlers.Wrap(h),
		ReadHeaderTimeout: ReadTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return a.Serve(ctx, Runner{Serve: srv.Serve, Shutdown: srv.Shutdown, Close: srv.Close, Handlers: handlers})
}

// Serve runs r on a listener from Listen until ctx is done or the process
// receives SIGINT or SIGTERM, then stops it:
//
//  1. it stops catching the signals, so a second one has its default
//     effect (a second Ctrl-C kills the program);
//  2. r.Shutdown waits up to Settings.ShutdownTimeout for the requests in
//     flight;
//  3. if they outlast it, r.Close cuts off their connections;
//  4. it waits for r.Serve to return and for r.Handlers to drop to zero (at
//     most CutOffWait);
//  5. it closes the store (Close), the last handler being done with it,
//     and logs "stopped" if all went well.
//
// It returns nil after a clean stop, and an error wrapping ErrCutOff when
// requests were cut off: a client lost its request, so a supervisor or a
// script should see that the stop was not clean. The store is closed
// whatever happened, a failed Listen included.
func (a *Auth) Serve(ctx context.Context, r Runner) error {
	logger := a.Settings.withDefaults().Logger
	// Catch the signals before Listen logs the line that tells a client
	// (or a test) the server is up.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := a.serve(ctx, stop, r)
	if cerr := a.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

// serve listens, runs r until ctx is done and stops it (steps 1 to 4 of
// Serve).
func (a *Auth) serve(ctx context.Context, stop func(), r Runner) error {
	if r.Serve == nil || r.Shutdown == nil {
		return errors.New("authsetup: the Runner has no Serve or no Shutdown")
	}
	s := a.Settings.withDefaults()
	ln, err := a.Listen(ctx)
	if err != nil {
		return err
	}
	defer ln.Close() // in case r.Serve failed before taking it over
	serveErr := make(chan error, 1)
	go func() { serveErr <- r.Serve(ln) }()

	select {
	case err = <-serveErr: // failed before any signal
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			err = errors.New("authsetup: the server stopped on its own")
		} else {
			err = fmt.Errorf("authsetup: serving: %w", err)
		}
		if r.Close != nil {
			_ = r.Close() // the error above says it all
		}
	case <-ctx.Done():
		stop()
		err = shutdown(s.Logger, s.ShutdownTimeout, r)
		select {
		case serr := <-serveErr:
			if serr != nil && !errors.Is(serr, http.ErrServerClosed) {
				err = errors.Join(err, fmt.Errorf("authsetup: serving: %w", serr))
			}
		case <-time.After(CutOffWait):
			// A server without Close whose Shutdown failed may never
			// return from Serve; the store is closed all the same.
			err = errors.Join(err, fmt.Errorf("authsetup: the server's Serve did not return %v after its shutdown", CutOffWait))
		}
	}
	if n := r.Handlers.wait(CutOffWait); n > 0 {
		// The store closes under them: database/sql lets a query already
		// running finish and fails the next ones, so the file stays sound.
		err = errors.Join(err, fmt.Errorf("authsetup: %d handlers still running %v after the cut-off", n, CutOffWait))
	}
	return err
}

// shutdown gives the requests in flight the grace period, and cuts them
// off after it.
func shutdown(logger *slog.Logger, grace time.Duration, r Runner) error {
	logger.Info("shutting down", "grace_period", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := r.Shutdown(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("authsetup: shutdown: the %v grace period ran out: %w", grace, ErrCutOff)
	} else {
		err = fmt.Errorf("authsetup: shutdown: %w; %w", err, ErrCutOff)
	}
	if r.Close != nil {
		err = errors.Join(err, r.Close())
	}
	return err
}

// Inflight counts the handlers running, so that Serve closes the store
// only after the last one: a server's own Serve returns as soon as it is
// told to stop, and cutting its connections off does not wait for its
// handlers. The zero value is ready to use.
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
