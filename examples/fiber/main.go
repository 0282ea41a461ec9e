// Command fiber is an example server: authadmin's auth routes on Fiber v2,
// with a protected application route, an admin-only route and a public
// health check.
//
//	go run ./examples/fiber
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), keeps its users in SQLite
// (users.db by default), logs "listening on http://HOST:PORT" once it
// accepts connections, and stops cleanly on SIGINT or SIGTERM.
//
// exampleapp.Serve builds the auth with authsetup.New from the environment
// (with these routes in the OpenAPI document) and hands it to serve.
package main

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/examples/internal/exampleapp"
	"github.com/authadmin/authadmin/transport/fiberauth"
)

func main() { exampleapp.Serve("fiber", serve) }

// serve mounts the auth routes and the application's on a Fiber app and
// serves it until SIGINT or SIGTERM.
func serve(ctx context.Context, app *authsetup.Auth) error {
	// AppConfig sets what the contract needs from Fiber: a header buffer
	// of 32 KiB (the default 4 KiB is below the 16 KiB required), strict,
	// case-sensitive routing, and problem documents for Fiber's own errors.
	f := fiber.New(fiberauth.AppConfig(fiber.Config{
		ReadTimeout:           authsetup.ReadTimeout,
		WriteTimeout:          authsetup.WriteTimeout,
		IdleTimeout:           authsetup.IdleTimeout,
		DisableStartupMessage: true, // authsetup logs the address
	}))
	// Count the handlers running, so that the store is closed after the
	// last one. First, so that it wraps every route.
	handlers := new(authsetup.Inflight)
	f.Use(func(c *fiber.Ctx) error {
		defer handlers.Begin()()
		return c.Next()
	})
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := fiberauth.Setup(f, app.HTTPConfig())
	if err != nil {
		return err
	}
	// Any logged-in user.
	f.Get("/orders", auth.RequireLogin(), orders)
	// Administrators only.
	f.Get("/admin/stats", auth.RequireAdmin(), stats)
	// Public.
	f.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(exampleapp.Health())
	})
	// Fiber runs its own server: authsetup drives it through a Runner.
	// fasthttp has no call that cuts off a connection in flight (no
	// Runner.Close): a connection still open past the grace period ends
	// with the program, once the handlers are done and the store is closed.
	return app.Serve(ctx, authsetup.Runner{
		Serve:    f.Listener,
		Shutdown: f.ShutdownWithContext,
		Handlers: handlers,
	})
}

// orders stands for an application route: it reads who is calling from the
// verified token.
func orders(c *fiber.Ctx) error {
	claims, _ := fiberauth.ClaimsFrom(c) // always set behind RequireLogin
	return c.JSON(exampleapp.Orders(claims.Subject))
}

// stats stands for an admin-only route.
func stats(c *fiber.Ctx) error {
	claims, _ := fiberauth.ClaimsFrom(c)
	return c.JSON(exampleapp.Stats(claims.Subject))
}
