package fiberauth_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/fiberauth"
)

// BenchmarkRequireLogin serves the same tiny JSON handler bare and behind
// RequireLogin (default mode: user-status check and revocation on) on one
// Fiber app, calling the app's fasthttp handler directly with the same token
// on every request: the difference is what the middleware costs a request.
func BenchmarkRequireLogin(b *testing.B) {
	fx, app, _, _ := newBenchApp(b)
	serve := app.Handler()
	authorization := "Bearer " + fx.Token
	for _, path := range []string{"/bare", "/protected"} {
		b.Run(path[1:], func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fiber.MethodGet)
				ctx.Request.SetRequestURI(path)
				ctx.Request.Header.Set(fiber.HeaderAuthorization, authorization)
				serve(&ctx)
				if status := ctx.Response.StatusCode(); status != fiber.StatusOK {
					b.Fatalf("GET %s: status %d", path, status)
				}
			}
		})
	}
}

// BenchmarkRequestContext serves requests over a real loopback keep-alive
// connection, one at a time: a bare route, one behind RequireLogin whose
// handler never waits on its context (most handlers), and one whose
// handler calls c.UserContext().Done(), which starts the watch of the
// client's connection (a duplicate of the socket, registered with Go's
// network poller, and two goroutines) and stops it when the handler
// returns. The client's time is in every figure.
func BenchmarkRequestContext(b *testing.B) {
	fx, app, auth, handler := newBenchApp(b)
	app.Get("/protected-done", auth.RequireLogin(), func(c *fiber.Ctx) error {
		_ = c.UserContext().Done()
		return handler(c)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()
	for _, path := range []string{"/bare", "/protected", "/protected-done"} {
		b.Run(path[1:], func(b *testing.B) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			req := []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + fx.Token + "\r\n\r\n")
			r := bufio.NewReader(conn)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := conn.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: status %d", path, resp.StatusCode)
				}
			}
		})
	}
}

// newBenchApp returns the benchmarks' fixture and an app serving a tiny
// JSON handler at /bare and, behind RequireLogin, at /protected, with its
// Auth and the handler.
func newBenchApp(b *testing.B) (contracttest.BenchFixture, *fiber.App, *fiberauth.Auth, fiber.Handler) {
	b.Helper()
	fx := contracttest.NewBenchFixture(b)
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, fiberauth.Config{Service: fx.Service})
	if err != nil {
		b.Fatal(err)
	}
	ok := []byte(`{"status":"ok"}`)
	handler := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(ok)
	}
	app.Get("/bare", handler)
	app.Get("/protected", auth.RequireLogin(), handler)
	return fx, app, auth, handler
}
