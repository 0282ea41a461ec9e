package fiberauth_test

import (
	"net"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// TestContract runs the HTTP contract suite against the Fiber transport.
func TestContract(t *testing.T) {
	contracttest.Run(t, "fiber", startServer)
}

// startServer serves cfg's auth routes and the suite's probe routes on a
// real listener.
func startServer(t *testing.T, cfg httpapi.Config) string {
	t.Helper()
	app := newApp()
	auth, err := fiberauth.Setup(app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	addProbes(app, auth)
	return serve(t, app)
}

// newApp returns a Fiber app configured as this package recommends.
func newApp() *fiber.App {
	return fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
}

// addProbes adds the contract suite's probe routes.
func addProbes(app *fiber.App, auth *fiberauth.Auth) {
	app.Get("/probe/login", auth.RequireLogin(), func(c *fiber.Ctx) error {
		claims, ok := fiberauth.ClaimsFrom(c)
		if !ok {
			return c.Status(fiber.StatusInternalServerError).SendString("no claims in the request's locals")
		}
		companyID, _ := claims.Claim("company_id")
		return c.JSON(fiber.Map{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	})
	app.Get("/probe/admin", auth.RequireAdmin(), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"ok": true})
	})
}

// serve serves app on 127.0.0.1:0 until the test ends and returns its base
// URL.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}
