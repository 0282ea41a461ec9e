package fiberauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/fiberauth"
)

// newExampleKit returns the test kit that stands for the application's
// Service here, with one administrator, boss@example.com, whose password is
// authtest.Password.
func newExampleKit() *authtest.Kit {
	kit := authtest.New()
	kit.Admin("boss@example.com")
	return kit
}

// An application mounts the auth routes and protects its own routes with
// RequireLogin and RequireAdmin. A real server then calls
// app.Listen("127.0.0.1:8000"); this example drives the app with app.Test
// instead.
func Example() {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadBufferSize:        fiberauth.RecommendedReadBufferSize, // accept 16 KiB+ of headers
	})
	auth, err := fiberauth.Setup(app, fiberauth.Config{Service: newExampleKit().Service})
	if err != nil {
		log.Fatal(err)
	}
	app.Get("/orders", auth.RequireLogin(), func(c *fiber.Ctx) error {
		claims, _ := fiberauth.ClaimsFrom(c)
		return c.JSON(fiber.Map{"orders_of": claims.Subject})
	})
	app.Get("/admin/stats", auth.RequireAdmin(), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"users": 1})
	})

	// Log in with the OAuth2 password form, as Swagger UI does.
	form := url.Values{"username": {"boss@example.com"}, "password": {authtest.Password}}
	req := httptest.NewRequest("POST", "/auth/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := app.Test(req)
	if err != nil {
		log.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := decodeJSON(resp.Body, &tok); err != nil {
		log.Fatal(err)
	}

	for _, path := range []string{"/orders", "/admin/stats"} {
		req = httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err = app.Test(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(body))
	}

	resp, err = app.Test(httptest.NewRequest("GET", "/orders", nil))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 200 {"orders_of":"boss@example.com"}
	// 200 {"users":1}
	// 401 Bearer
}

// Mount works on a group: the group's prefix comes before the auth prefix.
func ExampleAuth_Mount() {
	app := fiber.New(fiber.Config{ReadBufferSize: fiberauth.RecommendedReadBufferSize})
	auth, err := fiberauth.New(fiberauth.Config{Service: authtest.New().Service, Prefix: "/v1/auth"})
	if err != nil {
		log.Fatal(err)
	}
	api := app.Group("/api")
	auth.Mount(api) // POST /api/v1/auth/register, POST /api/v1/auth/login, ...
	api.Get("/profile", auth.RequireLogin(), func(c *fiber.Ctx) error {
		p, _ := fiberauth.PrincipalFrom(c)
		return c.JSON(fiber.Map{"email": p.Email()})
	})

	resp, err := app.Test(httptest.NewRequest("GET", "/api/v1/auth/me", nil))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode)
	// Output:
	// 401
}

// The handlers after RequireLogin get, as c.UserContext(), a context that
// is cancelled when the client goes away (with ErrClientGone as its cause),
// when the server shuts down, and when the handler returns, as net/http's
// r.Context() is: pass it on to whatever the handler waits for.
func ExampleAuth_RequireLogin_cancellation() {
	kit := newExampleKit()
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, fiberauth.Config{Service: kit.Service})
	if err != nil {
		log.Fatal(err)
	}
	gone := make(chan error, 1)
	app.Get("/report", auth.RequireLogin(), func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		select {
		case <-time.After(time.Minute): // a slow report
			return c.SendString("the report")
		case <-ctx.Done():
			gone <- context.Cause(ctx)
			return ctx.Err()
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()

	token := kit.Token("boss@example.com", nil)
	// A client that asks for the report and hangs up before the answer.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /report HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer %s\r\n\r\n", token)
	_ = conn.Close()

	fmt.Println(errors.Is(<-gone, fiberauth.ErrClientGone))
	// Output:
	// true
}
