package config_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/examples/internal/config"
)

// serveHTTP runs config.ServeHTTP on a loopback port with handler and the
// grace period, sends the headers of a POST with half its body, waits for
// the handler to start, then stops the server as SIGTERM would. rest is
// sent after the stop unless nil. It returns ServeHTTP's result.
func serveHTTP(t *testing.T, handler http.HandlerFunc, grace time.Duration, rest []byte) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		handler(w, r)
	})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { result <- config.ServeHTTP(ctx, cancel, logger, grace, srv, ln) }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab"); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	if rest != nil {
		time.Sleep(50 * time.Millisecond) // the shutdown has begun
		if _, err := conn.Write(rest); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-result:
		return err
	case <-time.After(grace + config.CutOffWait + 5*time.Second):
		t.Fatal("ServeHTTP did not return")
		return nil
	}
}

// TestServeHTTPDrain: a request that completes within the grace period is
// served and the stop is clean.
func TestServeHTTPDrain(t *testing.T) {
	var served atomic.Bool
	err := serveHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		if b, err := io.ReadAll(r.Body); err == nil && string(b) == "abcd" {
			served.Store(true)
		}
	}, 5*time.Second, []byte("cd"))
	if err != nil {
		t.Fatalf("ServeHTTP = %v, want nil", err)
	}
	if !served.Load() {
		t.Error("the request in flight was not served")
	}
}

// TestServeHTTPCutOff: a request that outlasts the grace period is cut off,
// and ServeHTTP returns ErrCutOff only after its handler has returned, so
// the caller closes the store after the handler's last use of it.
func TestServeHTTPCutOff(t *testing.T) {
	var finished atomic.Bool
	start := time.Now()
	grace := 200 * time.Millisecond
	err := serveHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)          // the rest never comes: fails once cut off
		time.Sleep(300 * time.Millisecond) // stands for a last database write
		finished.Store(true)
	}, grace, nil)
	if !errors.Is(err, config.ErrCutOff) {
		t.Fatalf("ServeHTTP = %v, want ErrCutOff", err)
	}
	if !finished.Load() {
		t.Error("ServeHTTP returned while the handler was still running")
	}
	if took := time.Since(start); took < grace {
		t.Errorf("ServeHTTP returned after %v, before the %v grace period ran out", took, grace)
	}
}
