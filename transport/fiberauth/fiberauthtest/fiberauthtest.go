// Package fiberauthtest serves the Fiber transport (package fiberauth) on
// a loopback listener for tests. Start is the contracttest.Start of Fiber:
// fiberauth runs the HTTP contract suite (transport/contracttest) with it,
// and so can any module that checks the contract, its OpenAPI document or
// a store of its own over Fiber. AddProbes and Serve are the two halves of
// Start, for a test that builds its own server.
package fiberauthtest

import (
	"net"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/transport/fiberauth"
)

// Start serves cfg's auth routes and the contract suite's probe routes
// (AddProbes) on a new *fiber.App built with fiberauth.AppConfig,
// listening on 127.0.0.1:0 until the test ends, and returns the base URL.
// It fails the test if cfg is invalid.
func Start(t *testing.T, cfg fiberauth.Config) string {
	t.Helper()
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, cfg)
	if err != nil {
		t.Fatalf("fiberauthtest: %v", err)
	}
	AddProbes(app, auth)
	return Serve(t, app)
}

// AddProbes adds the contract suite's probe routes to r: GET /probe/login
// behind auth's RequireLogin, answering the token's sub, company_id and
// is_admin in JSON, and GET /probe/admin behind its RequireAdmin,
// answering {"ok": true}.
func AddProbes(r fiber.Router, auth *fiberauth.Auth) {
	r.Get("/probe/login", auth.RequireLogin(), func(c *fiber.Ctx) error {
		claims, ok := fiberauth.ClaimsFrom(c)
		if !ok {
			return c.Status(fiber.StatusInternalServerError).SendString("no claims in the request's locals")
		}
		companyID, _ := claims.Claim("company_id")
		return c.JSON(fiber.Map{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	})
	r.Get("/probe/admin", auth.RequireAdmin(), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"ok": true})
	})
}

// Serve serves app on 127.0.0.1:0 until the test ends and returns its base
// URL ("http://127.0.0.1:PORT").
func Serve(tb testing.TB, app *fiber.App) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("fiberauthtest: %v", err)
	}
	go func() { _ = app.Listener(ln) }()
	tb.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}
