// Command echo is an example server: authadmin's auth routes on Echo v4,
// with a protected application route, an admin-only route and a public
// health check.
//
//	go run ./examples/echo
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), logs "listening on
// http://HOST:PORT" once it accepts connections, and stops cleanly on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/examples/internal/config"
	"github.com/authadmin/authadmin/transport/echoauth"
)

func main() {
	logger := config.NewLogger()
	if err := run(logger); err != nil {
		logger.Error("echo example: " + err.Error())
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

	e := echo.New()
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := echoauth.Setup(e, app.Auth)
	if err != nil {
		return err
	}
	// Any logged-in user.
	e.GET("/orders", orders, auth.RequireLogin())
	// Administrators only.
	e.GET("/admin/stats", stats, auth.RequireAdmin())
	// Public.
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})

	// Echo is an http.Handler: serve it with the examples' http.Server.
	srv := config.NewHTTPServer(e, logger)
	ln, err := config.Listen(ctx, app.Settings, logger)
	if err != nil {
		return err
	}
	// Serve until SIGINT or SIGTERM, then give the requests in flight the
	// grace period; past it they are cut off (exit status 1). It returns once
	// the last handler has, so the store below is closed after its last use.
	if err := config.ServeHTTP(ctx, stop, logger, app.Settings.ShutdownTimeout, srv, ln); err != nil {
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
func orders(c echo.Context) error {
	claims, _ := echoauth.ClaimsFrom(c) // always set behind RequireLogin
	return c.JSON(http.StatusOK, map[string]any{
		"user":   claims.Subject,
		"orders": []map[string]any{{"id": 1001, "item": "coffee beans", "quantity": 2}},
	})
}

// stats stands for an admin-only route.
func stats(c echo.Context) error {
	claims, _ := echoauth.ClaimsFrom(c)
	return c.JSON(http.StatusOK, map[string]any{"admin": claims.Subject, "orders_today": 42})
}
