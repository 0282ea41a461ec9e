// Command fiber is an example server: authadmin's auth routes on Fiber v2,
// with a protected application route, an admin-only route and a public
// health check.
//
//	go run ./examples/fiber
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), logs "listening on
// http://HOST:PORT" once it accepts connections, and stops cleanly on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/examples/internal/config"
	"github.com/authadmin/authadmin/transport/fiberauth"
)

func main() {
	logger := config.NewLogger()
	if err := run(logger); err != nil {
		logger.Error("fiber example: " + err.Error())
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app, err := config.Load(ctx, os.Getenv, logger)
	if err != nil {
		return err
	}
	defer app.Close()

	// AppConfig sets what the contract needs from Fiber: a header buffer
	// of 32 KiB (the default 4 KiB is below the 16 KiB required), strict,
	// case-sensitive routing, and problem documents for Fiber's own errors.
	f := fiber.New(fiberauth.AppConfig(fiber.Config{
		ReadTimeout:           config.ReadTimeout,
		WriteTimeout:          config.WriteTimeout,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true, // config.Listen logs the address
	}))
	// Count the handlers running, so the store is closed after the last one
	// (see config.Serve). First, so that it wraps every route.
	handlers := new(config.Inflight)
	f.Use(func(c *fiber.Ctx) error {
		defer handlers.Begin()()
		return c.Next()
	})
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := fiberauth.Setup(f, app.Auth)
	if err != nil {
		return err
	}
	// Any logged-in user.
	f.Get("/orders", auth.RequireLogin(), orders)
	// Administrators only.
	f.Get("/admin/stats", auth.RequireAdmin(), stats)
	// Public.
	f.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})

	ln, err := config.Listen(ctx, app.Settings, logger)
	if err != nil {
		return err
	}
	// Serve until SIGINT or SIGTERM, then give the requests in flight the
	// grace period; past it they are cut off (exit status 1). It returns once
	// the last handler has, so the store below is closed after its last use.
	err = config.Serve(ctx, stop, logger, app.Settings.ShutdownTimeout, config.Runner{
		Serve:    func() error { return f.Listener(ln) },
		Shutdown: f.ShutdownWithContext,
		// fasthttp has no call that cuts off a connection in flight: a
		// connection still open past the grace period ends with the program,
		// once the handlers are done and the store is closed.
		Close:    nil,
		Handlers: handlers,
	})
	if err != nil {
		return err
	}
	if err := app.Close(); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// orders stands for an application route: it reads who is calling from the
// verified token.
func orders(c *fiber.Ctx) error {
	claims, _ := fiberauth.ClaimsFrom(c) // always set behind RequireLogin
	return c.JSON(fiber.Map{
		"user":   claims.Subject,
		"orders": []fiber.Map{{"id": 1001, "item": "coffee beans", "quantity": 2}},
	})
}

// stats stands for an admin-only route.
func stats(c *fiber.Ctx) error {
	claims, _ := fiberauth.ClaimsFrom(c)
	return c.JSON(fiber.Map{"admin": claims.Subject, "orders_today": 42})
}
