// Command nethttp is an example server: authadmin's auth routes on a
// net/http ServeMux, with a protected application route, an admin-only route
// and a public health check.
//
//	go run ./examples/nethttp
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), keeps its users in SQLite
// (users.db by default), logs "listening on http://HOST:PORT" once it
// accepts connections, and stops cleanly on SIGINT or SIGTERM.
//
// exampleapp.Serve builds the auth with authsetup.New from the environment
// (with these routes in the OpenAPI document) and hands it to serve;
// examples/echominimal shows the same start without the shared helpers.
package main

import (
	"context"
	"net/http"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/examples/internal/exampleapp"
	"github.com/authadmin/authadmin/transport/httpauth"
)

func main() { exampleapp.Serve("nethttp", serve) }

// serve mounts the auth routes and the application's on a ServeMux and
// serves them until SIGINT or SIGTERM.
func serve(ctx context.Context, app *authsetup.Auth) error {
	mux := http.NewServeMux()
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := httpauth.Setup(mux, app.HTTPConfig())
	if err != nil {
		return err
	}
	// Any logged-in user.
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(orders)))
	// Administrators only.
	mux.Handle("GET /admin/stats", auth.RequireAdmin(http.HandlerFunc(stats)))
	// Public.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		exampleapp.WriteJSON(w, exampleapp.Health())
	})
	// Requests in flight at the stop get the grace period; the store is
	// closed after the last one.
	return app.ListenAndServe(ctx, mux)
}

// orders stands for an application route: it reads who is calling from the
// verified token.
func orders(w http.ResponseWriter, r *http.Request) {
	claims, _ := httpauth.ClaimsFrom(r.Context()) // always set behind RequireLogin
	exampleapp.WriteJSON(w, exampleapp.Orders(claims.Subject))
}

// stats stands for an admin-only route.
func stats(w http.ResponseWriter, r *http.Request) {
	claims, _ := httpauth.ClaimsFrom(r.Context())
	exampleapp.WriteJSON(w, exampleapp.Stats(claims.Subject))
}
