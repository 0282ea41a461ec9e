// Command nethttp is an example server: authadmin's auth routes on a
// net/http ServeMux, with a protected application route, an admin-only route
// and a public health check.
//
//	go run ./examples/nethttp
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), logs "listening on
// http://HOST:PORT" once it accepts connections, and stops cleanly on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/authadmin/authadmin/examples/internal/config"
	"github.com/authadmin/authadmin/transport/httpauth"
)

func main() {
	logger := config.NewLogger()
	if err := run(logger); err != nil {
		logger.Error("nethttp example: " + err.Error())
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

	mux := http.NewServeMux()
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := httpauth.Setup(mux, app.Auth)
	if err != nil {
		return err
	}
	// Any logged-in user.
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(orders)))
	// Administrators only.
	mux.Handle("GET /admin/stats", auth.RequireAdmin(http.HandlerFunc(stats)))
	// Public.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"status": "ok"})
	})

	srv := config.NewHTTPServer(mux, logger)

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
func orders(w http.ResponseWriter, r *http.Request) {
	claims, _ := httpauth.ClaimsFrom(r.Context()) // always set behind RequireLogin
	writeJSON(w, map[string]any{
		"user":   claims.Subject,
		"orders": []map[string]any{{"id": 1001, "item": "coffee beans", "quantity": 2}},
	})
}

// stats stands for an admin-only route.
func stats(w http.ResponseWriter, r *http.Request) {
	claims, _ := httpauth.ClaimsFrom(r.Context())
	writeJSON(w, map[string]any{"admin": claims.Subject, "orders_today": 42})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
