// Package fiberauthtest starts Fiber servers for the HTTP contract suite
// (transport/contracttest): fiberauth runs the suite with Start, and so can
// any module that checks the contract, or its OpenAPI document, over Fiber.
package fiberauthtest

import (
	"net"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// Start is the contracttest.Start of the Fiber transport: on an app built
// with fiberauth.AppConfig, it serves cfg's auth routes and the suite's
// probe routes on 127.0.0.1:0 until the test ends, and returns the base
// URL.
func Start(t *testing.T, cfg httpapi.Config) string {
	t.Helper()
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	AddProbes(app, auth)
	return Serve(t, app)
}

// AddProbes adds the contract suite's probe routes, behind auth's
// RequireLogin and RequireAdmin.
func AddProbes(app fiber.Router, auth *fiberauth.Auth) {
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

// Serve serves app on 127.0.0.1:0 until the test ends and returns its base
// URL.
func Serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}
