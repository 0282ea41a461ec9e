package fiberauth_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
	"github.com/authadmin/authadmin/usecase"
)

// How long a request's context may take to end after the event that
// should end it.
const cancelWithin = 2 * time.Second

// appValue is the key of a value the application puts in the user context
// before the auth middleware runs.
type appValue struct{}

// hookStore is a user store whose FindByEmail first calls the hook, if
// one is set: a test uses it to see the context Authenticate and Login
// pass to the store, and to hold them there.
type hookStore struct {
	ports.UserRepository
	hook atomic.Pointer[func(context.Context)]
}

func (s *hookStore) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if h := s.hook.Load(); h != nil {
		(*h)(ctx)
	}
	return s.UserRepository.FindByEmail(ctx, email)
}

// probe records what a handler (or the store hook) saw: the context it
// ran under when it started, and why that context ended (nil: it did not
// end while the handler held on).
type probe struct {
	entered chan context.Context
	left    chan error
}

func newProbe() *probe {
	return &probe{entered: make(chan context.Context, 64), left: make(chan error, 64)}
}

// hold waits on ctx for at most d, recording what it sees.
func (p *probe) hold(ctx context.Context, d time.Duration) {
	done := ctx.Done() // before telling the test: this starts the watch
	select {
	case p.entered <- ctx:
	default:
	}
	var cause error
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		cause = context.Cause(ctx)
	case <-timer.C:
	}
	select {
	case p.left <- cause:
	default:
	}
}

// started waits for the probe's handler to start and returns its context.
func (p *probe) started(t *testing.T) context.Context {
	t.Helper()
	select {
	case ctx := <-p.entered:
		return ctx
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not start")
		return nil
	}
}

// ended waits for the probe's handler to stop holding and returns why.
func (p *probe) ended(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case cause := <-p.left:
		return cause
	case <-time.After(within):
		t.Fatalf("the handler's context did not end within %v", within)
		return nil
	}
}

// ctxFixture is a Fiber app with auth routes and probe routes that hold
// the request for ?hold= (a duration) while watching their context:
// GET /hold behind RequireLogin, GET /hold-admin behind RequireAdmin.
type ctxFixture struct {
	app        *fiber.App
	store      *hookStore
	handler    *probe // the handlers after the middleware
	token      string
	notRestore atomic.Int32 // requests after which the user context was not restored
}

func newCtxFixture(t *testing.T) *ctxFixture {
	t.Helper()
	f := &ctxFixture{store: &hookStore{UserRepository: memstore.New()}, handler: newProbe()}
	kit := authtest.New(authtest.WithStore(f.store), authtest.WithConfig(func(cfg *usecase.Config) {
		cfg.UserCacheTTL = -1 // every Authenticate reads the store
	}))
	kit.Admin(adminEmail)
	f.token = kit.Token(adminEmail, nil)

	f.app = newApp()
	// The application's own middleware: a value and a deadline in the
	// user context, which the auth middleware must keep, and a check that
	// the user context is the same again once the handlers after it
	// return.
	f.app.Use(func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.WithValue(c.UserContext(), appValue{}, "app"), 10*time.Minute)
		defer cancel()
		c.SetUserContext(ctx)
		err := c.Next()
		if c.UserContext() != ctx {
			f.notRestore.Add(1)
		}
		return err
	})
	auth, err := fiberauth.Setup(f.app, kit.HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	hold := func(c *fiber.Ctx) error {
		d, err := time.ParseDuration(c.Query("hold", "0s"))
		if err != nil {
			return fiber.ErrBadRequest
		}
		ctx := c.UserContext()
		if ctx.Value(appValue{}) != "app" {
			return c.Status(fiber.StatusInternalServerError).SendString("the application's value is lost")
		}
		if _, ok := ctx.Deadline(); !ok {
			return c.Status(fiber.StatusInternalServerError).SendString("the application's deadline is lost")
		}
		f.handler.hold(ctx, d)
		return c.SendString("held " + c.Query("id"))
	}
	f.app.Get("/hold", auth.RequireLogin(), hold)
	f.app.Get("/hold-admin", auth.RequireAdmin(), hold)
	return f
}

// holdStore makes the next FindByEmail calls hold for d, recording them
// in the returned probe.
func (f *ctxFixture) holdStore(t *testing.T, d time.Duration) *probe {
	p := newProbe()
	h := func(ctx context.Context) { p.hold(ctx, d) }
	f.store.hook.Store(&h)
	t.Cleanup(func() { f.store.hook.Store(nil) })
	return p
}

// get returns a GET request for path, with the admin's token.
func (f *ctxFixture) get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + f.token + "\r\n\r\n"
}

// login returns a POST /auth/login request of the admin.
func login() string {
	body := `{"email": "` + adminEmail + `", "password": "` + authtest.Password + `"}`
	return fmt.Sprintf("POST /auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// serve serves app on a new listener of the given kind ("tcp", "unix",
// "tls") until the test ends, and returns a function that dials it and
// the raw connection under the one to use (the same one but for TLS).
func serve(t *testing.T, app *fiber.App, kind string) func(t *testing.T) (conn, raw net.Conn) {
	t.Helper()
	network, address := "tcp", "127.0.0.1:0"
	if kind == "unix" {
		network, address = "unix", filepath.Join(t.TempDir(), "fiber.sock")
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	var clientTLS *tls.Config
	if kind == "tls" {
		cert := selfSigned(t)
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		clientTLS = &tls.Config{InsecureSkipVerify: true}
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return func(t *testing.T) (net.Conn, net.Conn) {
		t.Helper()
		raw, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = raw.Close() })
		if clientTLS == nil {
			return raw, raw
		}
		conn := tls.Client(raw, clientTLS)
		if err := conn.Handshake(); err != nil {
			t.Fatal(err)
		}
		return conn, raw
	}
}

// selfSigned returns a certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestContextClientGone checks that the context of the auth routes, of
// Authenticate in the middleware, and of the handlers after the middleware
// ends with ErrClientGone soon after the client closes its connection, on
// TCP, on a Unix socket and under TLS (a client that closes the socket
// without a close_notify alert).
func TestContextClientGone(t *testing.T) {
	for _, kind := range []string{"tcp", "unix", "tls"} {
		t.Run(kind, func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				request func(f *ctxFixture) string
				// probe returns the probe that sees the context.
				probe func(t *testing.T, f *ctxFixture) *probe
			}{
				{"auth route", func(*ctxFixture) string { return login() },
					func(t *testing.T, f *ctxFixture) *probe { return f.holdStore(t, time.Minute) }},
				{"Authenticate in RequireLogin", func(f *ctxFixture) string { return f.get("/hold") },
					func(t *testing.T, f *ctxFixture) *probe { return f.holdStore(t, time.Minute) }},
				{"Authenticate in RequireAdmin", func(f *ctxFixture) string { return f.get("/hold-admin") },
					func(t *testing.T, f *ctxFixture) *probe { return f.holdStore(t, time.Minute) }},
				{"handler after RequireLogin", func(f *ctxFixture) string { return f.get("/hold?hold=1m") },
					func(_ *testing.T, f *ctxFixture) *probe { return f.handler }},
				{"handler after RequireAdmin", func(f *ctxFixture) string { return f.get("/hold-admin?hold=1m") },
					func(_ *testing.T, f *ctxFixture) *probe { return f.handler }},
			} {
				t.Run(tt.name, func(t *testing.T) {
					f := newCtxFixture(t)
					dial := serve(t, f.app, kind)
					p := tt.probe(t, f)
					conn, raw := dial(t)
					if _, err := io.WriteString(conn, tt.request(f)); err != nil {
						t.Fatal(err)
					}
					ctx := p.started(t)
					if ctx.Value(appValue{}) != "app" {
						t.Fatal("the context lost the application's value")
					}
					_ = raw.Close()
					if cause := p.ended(t, cancelWithin); !errors.Is(cause, fiberauth.ErrClientGone) {
						t.Fatalf("the context ended with %v, want ErrClientGone", cause)
					}
					if !errors.Is(ctx.Err(), context.Canceled) {
						t.Fatalf("Err = %v, want context.Canceled", ctx.Err())
					}
				})
			}
		})
	}
}

// readResponse reads one response from r and returns its status and body.
func readResponse(t *testing.T, r *bufio.Reader) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestContextLivesWhileClientWaits checks that the context of a request
// whose client waits for the answer does not end before the handler
// returns, also when the client pipelines a next request on the same
// connection (at once, or while the first is served), that both get their
// answers, and that the context ends (context.Canceled) once the handler
// has returned, as net/http's does.
func TestContextLivesWhileClientWaits(t *testing.T) {
	for _, tt := range []struct {
		name string
		// send writes the requests; second is "" for a single request.
		first, second string
		together      bool
	}{
		{name: "one request", first: "/hold?hold=300ms&id=1"},
		{name: "two pipelined in one write", first: "/hold?hold=300ms&id=1", second: "/hold?hold=0s&id=2", together: true},
		{name: "second sent while the first runs", first: "/hold?hold=300ms&id=1", second: "/hold?hold=0s&id=2"},
		{name: "after RequireAdmin, pipelined", first: "/hold-admin?hold=300ms&id=1", second: "/hold-admin?hold=0s&id=2", together: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newCtxFixture(t)
			conn, _ := serve(t, f.app, "tcp")(t)
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			req := f.get(tt.first)
			if tt.together {
				req += f.get(tt.second)
			}
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			ctx := f.handler.started(t)
			if tt.second != "" && !tt.together {
				// Once the connection is watched, so that the watch sees
				// the second request arrive.
				time.Sleep(2 * fiberauth.WatchDelay)
				if _, err := io.WriteString(conn, f.get(tt.second)); err != nil {
					t.Fatal(err)
				}
			}
			if cause := f.handler.ended(t, 10*time.Second); cause != nil {
				t.Fatalf("the first request's context ended while its client waited: %v", cause)
			}
			r := bufio.NewReader(conn)
			if status, body := readResponse(t, r); status != http.StatusOK || body != "held 1" {
				t.Fatalf("first response: %d %q", status, body)
			}
			if tt.second != "" {
				if status, body := readResponse(t, r); status != http.StatusOK || body != "held 2" {
					t.Fatalf("second response: %d %q", status, body)
				}
				if cause := f.handler.ended(t, 10*time.Second); cause != nil {
					t.Fatalf("the second request's context ended while its client waited: %v", cause)
				}
			}
			if ctx.Err() != context.Canceled || context.Cause(ctx) != context.Canceled {
				t.Fatalf("after the handler returned: Err %v, Cause %v; want context.Canceled", ctx.Err(), context.Cause(ctx))
			}
			if n := f.notRestore.Load(); n != 0 {
				t.Fatalf("the user context was not restored after %d requests", n)
			}
		})
	}
}

// TestContextLivesOnAuthRoute checks that a login whose client waits gets
// its answer, its context alive until the route returns.
func TestContextLivesOnAuthRoute(t *testing.T) {
	f := newCtxFixture(t)
	p := f.holdStore(t, 300*time.Millisecond)
	conn, _ := serve(t, f.app, "tcp")(t)
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, login()+login()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for i := range 2 {
		ctx := p.started(t)
		if cause := p.ended(t, 10*time.Second); cause != nil {
			t.Fatalf("login %d: the context ended while its client waited: %v", i+1, cause)
		}
		if status, body := readResponse(t, r); status != http.StatusOK || !strings.Contains(body, "access_token") {
			t.Fatalf("login %d: %d %s", i+1, status, body)
		}
		if ctx.Err() == nil {
			t.Fatalf("login %d: the context is still alive after the route returned", i+1)
		}
	}
}

// TestContextShutdown checks that the context of a request in flight ends
// with ErrServerShutdown when the app shuts down, and that the shutdown
// then completes.
func TestContextShutdown(t *testing.T) {
	for _, tt := range []struct {
		name  string
		path  string
		probe func(t *testing.T, f *ctxFixture) *probe
	}{
		{"handler after RequireLogin", "/hold?hold=1m", func(_ *testing.T, f *ctxFixture) *probe { return f.handler }},
		{"Authenticate", "/hold", func(t *testing.T, f *ctxFixture) *probe { return f.holdStore(t, time.Minute) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newCtxFixture(t)
			conn, _ := serve(t, f.app, "tcp")(t)
			p := tt.probe(t, f)
			if _, err := io.WriteString(conn, f.get(tt.path)); err != nil {
				t.Fatal(err)
			}
			p.started(t)
			done := make(chan error, 1)
			go func() { done <- f.app.Shutdown() }()
			if cause := p.ended(t, cancelWithin); !errors.Is(cause, fiberauth.ErrServerShutdown) {
				t.Fatalf("the context ended with %v, want ErrServerShutdown", cause)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Shutdown did not return")
			}
		})
	}
}

// openFiles returns the number of open descriptors of the process, or -1
// where /proc/self/fd does not tell.
func openFiles() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// settle waits until f() is at most want, and returns its last value.
func settle(f func() int, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := f()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// steady returns f() once two readings 50 ms apart agree (after 2 s, the
// last reading).
func steady(f func() int) int {
	n := f()
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		m := f()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// TestContextNoLeak serves many requests on a few keep-alive connections,
// some of them long enough for their connection to be watched, and checks
// that the connections are kept alive and that no goroutine and no
// descriptor is left behind once the connections are closed.
func TestContextNoLeak(t *testing.T) {
	const workers, perWorker = 8, 40
	f := newCtxFixture(t)
	base := fiberauthtest.Serve(t, f.app)
	transport := &http.Transport{MaxConnsPerHost: workers, MaxIdleConnsPerHost: workers}
	client := &http.Client{Timeout: 10 * time.Second, Transport: transport}
	var conns atomic.Int32
	do := func(method, path, body string) {
		req, err := http.NewRequestWithContext(withConnCounter(t.Context(), &conns), method, base+path, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Authorization", "Bearer "+f.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: status %d", method, path, resp.StatusCode)
		}
	}
	// Warm up, so that the server's worker goroutines exist before counting.
	do(http.MethodGet, "/hold", "")
	transport.CloseIdleConnections()
	goroutines := steady(runtime.NumGoroutine)
	files := openFiles()

	watched := "?hold=" + (fiberauth.WatchDelay + 20*time.Millisecond).String()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				path := "/hold"
				if w%2 == 1 {
					path = "/hold-admin"
				}
				switch {
				case i%10 == 0 && w < 2: // more logins at once from one client would be refused (503)
					do(http.MethodPost, "/auth/login", `{"email": "`+adminEmail+`", "password": "`+authtest.Password+`"}`)
				case i%4 == 1:
					do(http.MethodGet, path+watched, "")
				default:
					do(http.MethodGet, path, "")
				}
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > workers+1 { // and the warm-up's
		t.Errorf("%d requests used %d connections, want the keep-alive connections reused", workers*perWorker, n)
	}
	transport.CloseIdleConnections()
	// fasthttp keeps a worker goroutine per connection served at once
	// for a while (fasthttp.Server.MaxIdleWorkerDuration, 10 s); a leak
	// would be one or two goroutines per watched request (80 of them).
	const tolerance = workers + 5
	n := settle(runtime.NumGoroutine, goroutines+tolerance)
	if n > goroutines+tolerance {
		t.Errorf("goroutines: %d before, %d after", goroutines, n)
	}
	m := -1
	if files >= 0 {
		if m = settle(openFiles, files); m > files {
			t.Errorf("open descriptors: %d before, %d after", files, m)
		}
	}
	t.Logf("goroutines: %d before, %d after; open descriptors: %d before, %d after", goroutines, n, files, m)
}
