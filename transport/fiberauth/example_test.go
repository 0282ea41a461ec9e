package fiberauth_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"

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
	tokens, err := jwtcodec.New(jwtcodec.Config{Secret: []byte("an-example-key-of-32-bytes-long!"), Logger: quiet})
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
