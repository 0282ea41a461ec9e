// Package exampleapp holds what the example servers share, so that each
// example shows only its framework: the start of the program (Main, Serve,
// the text logger), the OpenAPI documentation of the application routes
// every example serves (DocumentRoutes) and the replies of those routes.
//
// An application of its own needs none of it: examples/echominimal is a
// whole server without this package.
package exampleapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
)

// Main runs an example program: it makes a text logger on stderr slog's
// default, calls run, and on an error logs it, prefixed with name, and
// exits with status 1.
func Main(name string, run func(ctx context.Context) error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	if err := run(context.Background()); err != nil {
		logger.Error(name + " example: " + err.Error())
		os.Exit(1)
	}
}

// Serve runs an example program on authsetup: Main, with run building the
// Auth from the environment (Settings, then authsetup.New) and handing it
// to serve, which mounts the routes and serves them (Auth.ListenAndServe
// or Auth.Serve). The store is closed when serve returns.
func Serve(name string, serve func(ctx context.Context, app *authsetup.Auth) error) {
	Main(name, func(ctx context.Context) error {
		s, err := Settings(os.Getenv)
		if err != nil {
			return err
		}
		app, err := authsetup.New(ctx, s)
		if err != nil {
			return err
		}
		err = serve(ctx, app)
		if cerr := app.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// Settings reads the example servers' settings through getenv
// (authsetup.SettingsFromEnv) and adds DocumentRoutes to the OpenAPI
// document.
func Settings(getenv func(string) string) (authsetup.Settings, error) {
	s, err := authsetup.SettingsFromEnv(getenv)
	if err != nil {
		return authsetup.Settings{}, err
	}
	s.OpenAPI = DocumentRoutes
	return s, nil
}

// DocumentRoutes adds the example servers' own routes to the OpenAPI
// document of the auth routes: GET /orders (any logged-in user),
// GET /admin/stats (administrators) and GET /healthz (public). The first
// two carry the bearer security, so Swagger UI sends the token it got at
// Authorize.
func DocumentRoutes(doc *openapi.Document) {
	object := map[string]any{"type": "object"}
	// RequireLogin and RequireAdmin refuse with RFC 9457 problem documents.
	problem := openapi.Problem()
	doc.AddOperation("GET", "/orders", &openapi.Operation{
		OperationID: "listOrders", Summary: "The caller's orders (any logged-in user)", Tags: []string{"app"},
		Security: openapi.Bearer(),
		Responses: map[string]*openapi.Response{
			"200": {Description: "The orders and who asked", Content: openapi.JSON(object)},
			"401": {Description: "Not logged in", Content: problem},
		},
	})
	doc.AddOperation("GET", "/admin/stats", &openapi.Operation{
		OperationID: "adminStats", Summary: "Today's figures (administrators only)", Tags: []string{"app"},
		Security:  openapi.Bearer(),
		Responses: AdminResponses("The figures", object),
	})
	doc.AddOperation("GET", "/healthz", &openapi.Operation{
		OperationID: "health", Summary: "Liveness (public)", Tags: []string{"app"},
		Responses: map[string]*openapi.Response{"200": {Description: `{"status":"ok"}`, Content: openapi.JSON(object)}},
	})
}

// AdminResponses are the documented responses of an admin-only route
// whose 200 reply is described by what and schema.
func AdminResponses(what string, schema map[string]any) map[string]*openapi.Response {
	return map[string]*openapi.Response{
		"200": {Description: what, Content: openapi.JSON(schema)},
		"401": {Description: "Not logged in", Content: openapi.Problem()},
		"403": {Description: "Not an administrator, or one who must change the default password first", Content: openapi.Problem()},
	}
}

// Orders is the reply of GET /orders to user: the caller's orders, which
// name the caller, as a route that reads the token's claims would.
func Orders(user string) map[string]any {
	return map[string]any{
		"user":   user,
		"orders": []map[string]any{{"id": 1001, "item": "coffee beans", "quantity": 2}},
	}
}

// Stats is the reply of GET /admin/stats to admin.
func Stats(admin string) map[string]any {
	return map[string]any{"admin": admin, "orders_today": 42}
}

// Health is the reply of GET /healthz.
func Health() map[string]string { return map[string]string{"status": "ok"} }

// WriteJSON writes v as a JSON reply with status 200.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
