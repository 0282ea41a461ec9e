package fiberauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// newExampleService wires a Service the way an application does, with a low
// bcrypt cost so the example runs fast (use the default in production) and a
// fixed key (load yours from configuration).
func newExampleService() *usecase.Service {
	quiet := slog.New(slog.DiscardHandler)
	hasher, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(quiet))
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := jwtcodec.New(jwtcodec.Config{Secret: []byte("Xk7pQ2vN9sL4wT8mR1cB6yH3fJ0dZ5gA"), Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := usecase.New(usecase.Config{
		Users:         memstore.New(),
		Hasher:        hasher,
		Tokens:        tokens,
		AdminEmail:    "boss@example.com",
		AdminPassword: "boss-password-1",
		Logger:        quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.EnsureAdmin(context.Background()); err != nil {
		log.Fatal(err)
	}
	return svc
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
	auth, err := fiberauth.Setup(app, httpapi.Config{Service: newExampleService()})
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
	form := url.Values{"username": {"boss@example.com"}, "password": {"boss-password-1"}}
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
	auth, err := fiberauth.New(httpapi.Config{Service: newExampleService(), Prefix: "/v1/auth"})
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
	svc := newExampleService()
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, httpapi.Config{Service: svc})
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

	tok, err := svc.Login(context.Background(), usecase.LoginRequest{Email: "boss@example.com", Password: "boss-password-1"})
	if err != nil {
		log.Fatal(err)
	}
	// A client that asks for the report and hangs up before the answer.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /report HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer %s\r\n\r\n", tok.AccessToken)
	_ = conn.Close()

	fmt.Println(errors.Is(<-gone, fiberauth.ErrClientGone))
	// Output:
	// true
}
