// Command customstore is an example server whose users live in a store
// written in the example itself (store.go) instead of bunstore: any type
// with the five methods of ports.UserRepository will do, as the original
// package's "Custom user repository" allowed. Its test runs the conformance
// suite ports/storetest against that store.
//
//	go run ./examples/customstore
//
// The store is in memory, so AUTH_DB_URL is ignored and every restart begins
// afresh with the default admin. Besides the routes of the other examples it
// serves GET /admin/audit, the store's audit trail, to administrators.
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
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/transport/httpauth"
)

func main() {
	logger := config.NewLogger()
	if err := run(logger); err != nil {
		logger.Error("customstore example: " + err.Error())
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	settings, err := config.Parse(os.Getenv)
	if err != nil {
		return err
	}
	if os.Getenv(config.EnvDBURL) != "" {
		logger.Warn(config.EnvDBURL + " is ignored: this example keeps its users in memory")
	}
	store := newAuditStore()
	app, err := config.New(ctx, settings, store, logger)
	if err != nil {
		return err
	}

	// Document this example's own admin route next to the shared ones.
	app.Auth.OpenAPI = func(doc *openapi.Document) {
		config.DocumentAppRoutes(doc)
		doc.AddOperation("GET", "/admin/audit", &openapi.Operation{
			OperationID: "auditTrail", Summary: "The store's audit trail (administrators only)", Tags: []string{"app"},
			Security: openapi.Bearer(),
			Responses: map[string]*openapi.Response{
				"200": {Description: "The trail, oldest first", Content: openapi.JSON(map[string]any{"type": "array"})},
				"401": {Description: "Not logged in", Content: openapi.Problem()},
				"403": {Description: "Not an administrator, or one who must change the default password first", Content: openapi.Problem()},
			},
		})
	}
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, app.Auth)
	if err != nil {
		return err
	}
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		writeJSON(w, map[string]any{
			"user":   claims.Subject,
			"orders": []map[string]any{{"id": 1001, "item": "coffee beans", "quantity": 2}},
		})
	})))
	mux.Handle("GET /admin/stats", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		writeJSON(w, map[string]any{"admin": claims.Subject, "orders_today": 42})
	})))
	mux.Handle("GET /admin/audit", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, store.Trail())
	})))
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
	// the last handler has.
	if err := config.ServeHTTP(ctx, stop, logger, app.Settings.ShutdownTimeout, srv, ln); err != nil {
		return err
	}
	logger.Info("stopped", "audit_events", len(store.Trail()))
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
