package fiberauth

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// TestRequestHeader checks that request(c).Header returns one value per
// header line the client sent, also for the headers fasthttp keeps in one
// field (Content-Type, Host, User-Agent), and what a middleware set.
func TestRequestHeader(t *testing.T) {
	for _, tt := range []struct {
		name   string
		header http.Header
		// set, if not nil, changes the request in a middleware first.
		set  func(c *fiber.Ctx)
		ask  string
		want []string
	}{
		{"two Content-Type", http.Header{"Content-Type": {"application/json", "text/plain"}}, nil,
			"Content-Type", []string{"application/json", "text/plain"}},
		{"two Content-Type, asked in lower case", http.Header{"Content-Type": {"application/json", "text/plain"}}, nil,
			"content-type", []string{"application/json", "text/plain"}},
		{"three Content-Type, one empty", http.Header{"Content-Type": {"a/b", "", "c/d"}}, nil,
			"Content-Type", []string{"a/b", "", "c/d"}},
		{"one Content-Type", http.Header{"Content-Type": {"application/json"}}, nil,
			"Content-Type", []string{"application/json"}},
		{"no Content-Type", http.Header{}, nil, "Content-Type", nil},
		{"one Content-Type, changed by a middleware", http.Header{"Content-Type": {"text/plain"}},
			func(c *fiber.Ctx) { c.Request().Header.SetContentType("application/json") },
			"Content-Type", []string{"application/json"}},
		{"two User-Agent", http.Header{"User-Agent": {"a", "b"}}, nil, "User-Agent", []string{"a", "b"}},
		{"two X-Forwarded-For", http.Header{"X-Forwarded-For": {"192.0.2.1", "192.0.2.2, 192.0.2.3"}}, nil,
			"X-Forwarded-For", []string{"192.0.2.1", "192.0.2.2, 192.0.2.3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New(AppConfig(fiber.Config{DisableStartupMessage: true}))
			var got []string
			app.Post("/", func(c *fiber.Ctx) error {
				if tt.set != nil {
					tt.set(c)
				}
				got = request(c).Header(tt.ask)
				return nil
			})
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
			req.Header = tt.header
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Header(%q) = %q, want %q", tt.ask, got, tt.want)
			}
		})
	}
}

// TestRequestHeaderUnparsed checks request(c).Header on a request fasthttp
// did not parse (no raw headers), as in a benchmark.
func TestRequestHeaderUnparsed(t *testing.T) {
	app := fiber.New(AppConfig(fiber.Config{DisableStartupMessage: true}))
	var got []string
	app.Post("/", func(c *fiber.Ctx) error {
		got = request(c).Header("Content-Type")
		return nil
	})
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodPost)
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.SetContentType("application/json")
	app.Handler()(&ctx)
	if !slices.Equal(got, []string{"application/json"}) {
		t.Fatalf("Header(Content-Type) = %q", got)
	}
}

// BenchmarkRequestHeader measures Header on the headers the core asks for.
func BenchmarkRequestHeader(b *testing.B) {
	var h fasthttp.RequestHeader
	raw := "POST /auth/login HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nContent-Type: application/json\r\nContent-Length: 2\r\nAccept: */*\r\n\r\n"
	if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"Content-Type", "X-Forwarded-For"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = headerValues(&h, name)
			}
		})
	}
}
