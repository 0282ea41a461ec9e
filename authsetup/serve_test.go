package authsetup_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/usecase"
)

var listeningRE = regexp.MustCompile(`listening on http://([^\s"]+)`)

// waitListening waits for the "listening on" line in log and returns the
// address it names.
func waitListening(t *testing.T, log *testLog, result <-chan error) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-result:
			t.Fatalf("the server returned before listening: %v", err)
		default:
		}
	}
	t.Fatalf("no listening line in the log:\n%s", log.String())
	return ""
}

// serveInFlight runs a.ListenAndServe with handler, sends the headers of
// a POST with half its body, waits for the handler to start, then cancels
// the context as SIGTERM would. rest is sent after the stop unless nil. It
// returns ListenAndServe's result.
func serveInFlight(t *testing.T, a *authsetup.Auth, log *testLog, handler http.HandlerFunc, rest []byte) error {
	t.Helper()
	started := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		result <- a.ListenAndServe(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started <- struct{}{}
			handler(w, r)
		}))
	}()
	addr := waitListening(t, log, result)
	conn, err := net.Dial("tcp", addr)
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
		for !strings.Contains(log.String(), "shutting down") {
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := conn.Write(rest); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-result:
		return err
	case <-time.After(a.Settings.ShutdownTimeout + authsetup.CutOffWait + 5*time.Second):
		t.Fatal("ListenAndServe did not return")
		return nil
	}
}

// quickServer is an Auth on a SQLite file whose server binds a free
// loopback port and waits grace for requests in flight.
func quickServer(t *testing.T, grace time.Duration, log *testLog) *authsetup.Auth {
	t.Helper()
	a, err := authsetup.New(context.Background(), authsetup.Settings{
		Addr: "127.0.0.1:0", DBURL: "sqlite://" + filepath.Join(t.TempDir(), "users.db"),
		BcryptCost: 4, SecretKey: []byte(key32), AdminPassword: "boss-password",
		ShutdownTimeout: grace, Logger: log.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// storeClosed reports whether a's store refuses calls.
func storeClosed(a *authsetup.Auth) bool {
	_, err := a.Service.Login(context.Background(), usecase.LoginRequest{Email: usecase.DefaultAdminEmail, Password: "boss-password"})
	return err != nil
}

// TestListenAndServeDrain: a request that completes within the grace
// period is served, the stop is clean, the store is closed and "stopped"
// is logged.
func TestListenAndServeDrain(t *testing.T) {
	log := newTestLog(t)
	a := quickServer(t, 5*time.Second, log)
	if storeClosed(a) {
		t.Fatal("the admin cannot log in before the server runs")
	}
	var served atomic.Bool
	err := serveInFlight(t, a, log, func(w http.ResponseWriter, r *http.Request) {
		if b, err := io.ReadAll(r.Body); err == nil && string(b) == "abcd" {
			served.Store(true)
		}
	}, []byte("cd"))
	if err != nil {
		t.Fatalf("ListenAndServe = %v, want nil", err)
	}
	if !served.Load() {
		t.Error("the request in flight was not served")
	}
	if !storeClosed(a) {
		t.Error("the store is still open after ListenAndServe returned")
	}
	if !strings.Contains(log.String(), "msg=stopped") {
		t.Errorf("no %q in the log:\n%s", "stopped", log.String())
	}
}

// TestListenAndServeCutOff: a request that outlasts the grace period is
// cut off, and ListenAndServe returns ErrCutOff only after its handler has
// returned and then the store is closed, so the store outlives the
// handler's last use of it.
func TestListenAndServeCutOff(t *testing.T) {
	log := newTestLog(t)
	grace := 200 * time.Millisecond
	a := quickServer(t, grace, log)
	var finished, closedUnderHandler atomic.Bool
	start := time.Now()
	err := serveInFlight(t, a, log, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)          // the rest never comes: fails once cut off
		time.Sleep(300 * time.Millisecond) // stands for a last database write
		closedUnderHandler.Store(storeClosed(a))
		finished.Store(true)
	}, nil)
	if !errors.Is(err, authsetup.ErrCutOff) {
		t.Fatalf("ListenAndServe = %v, want ErrCutOff", err)
	}
	if !strings.HasPrefix(err.Error(), "authsetup: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
	if !finished.Load() {
		t.Error("ListenAndServe returned while the handler was still running")
	}
	if closedUnderHandler.Load() {
		t.Error("the store was closed while the handler still used it")
	}
	if !storeClosed(a) {
		t.Error("the store is still open after ListenAndServe returned")
	}
	if took := time.Since(start); took < grace {
		t.Errorf("ListenAndServe returned after %v, before the %v grace period ran out", took, grace)
	}
	if strings.Contains(log.String(), "msg=stopped") {
		t.Errorf("logged a clean stop after a cut-off:\n%s", log.String())
	}
}

// TestServeFailures: a server that fails on its own, or a Runner without
// Serve or Shutdown, is an error, not a panic, and the store is closed all
// the same.
func TestServeFailures(t *testing.T) {
	broken := errors.New("broken server")
	nop := func(context.Context) error { return nil }
	tests := []struct {
		name   string
		runner authsetup.Runner
		want   error // wrapped by the error, if set
	}{
		{"the server fails", authsetup.Runner{Serve: func(net.Listener) error { return broken }, Shutdown: nop}, broken},
		{"the server stops on its own", authsetup.Runner{Serve: func(net.Listener) error { return nil }, Shutdown: nop}, nil},
		{"no Serve", authsetup.Runner{Shutdown: nop}, nil},
		{"no Shutdown", authsetup.Runner{Serve: func(net.Listener) error { return nil }}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := newTestLog(t)
			a := quickServer(t, time.Second, log)
			err := a.Serve(context.Background(), tt.runner)
			if err == nil || !strings.HasPrefix(err.Error(), "authsetup: ") || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Serve = %v, want an authsetup: error (wrapping %v)", err, tt.want)
			}
			if !storeClosed(a) {
				t.Error("the store is still open after Serve failed")
			}
			if strings.Contains(log.String(), "msg=stopped") {
				t.Errorf("logged a clean stop after a failure:\n%s", log.String())
			}
		})
	}
}

// TestServeListenFailure: a busy port is an error naming ADDR, and the
// store is closed.
func TestServeListenFailure(t *testing.T) {
	log := newTestLog(t)
	a := quickServer(t, time.Second, log)
	a.Settings.Addr = busyAddr(t)
	err := a.ListenAndServe(context.Background(), http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "ADDR") {
		t.Errorf("ListenAndServe on a busy port = %v, want an error naming ADDR", err)
	}
	if !storeClosed(a) {
		t.Error("the store is still open after ListenAndServe failed")
	}
}

// TestListenAndServeLimits: the server accepts 16 KiB of headers and
// refuses far more with 431, as the contract requires.
func TestListenAndServeLimits(t *testing.T) {
	log := newTestLog(t)
	a := quickServer(t, time.Second, log)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- a.ListenAndServe(ctx, http.NotFoundHandler()) }()
	addr := waitListening(t, log, result)
	for _, tc := range []struct{ size, status int }{{16 << 10, http.StatusNotFound}, {256 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req.Header.Set("X-Filler", strings.Repeat("a", tc.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", tc.size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%d bytes of headers: status %d, want %d", tc.size, resp.StatusCode, tc.status)
		}
	}
	cancel()
	if err := <-result; err != nil {
		t.Errorf("ListenAndServe = %v, want nil", err)
	}
}
