// Command echo is an example server: authadmin's auth routes on Echo v4,
// with a protected application route, an admin-only route and a public
// health check.
//
//	go run ./examples/echo
//
// It reads its settings from the environment (ADDR, AUTH_SECRET_KEY,
// AUTH_DB_URL, ...; see examples/README.md), keeps its users in SQLite
// (users.db by default), logs "listening on http://HOST:PORT" once it
// accepts connections, and stops cleanly on SIGINT or SIGTERM.
//
// exampleapp.Serve builds the auth with authsetup.New from the environment
// (with these routes in the OpenAPI document) and hands it to serve;
// examples/echominimal is the same start without the shared helpers, in 15
// lines.
package main

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/examples/internal/exampleapp"
	"github.com/authadmin/authadmin/transport/echoauth"
)

func main() { exampleapp.Serve("echo", serve) }

// serve mounts the auth routes and the application's on Echo and serves
// them until SIGINT or SIGTERM.
func serve(ctx context.Context, app *authsetup.Auth) error {
	e := echo.New()
	// One call mounts POST /auth/register, /auth/login, GET /auth/me, ...
	auth, err := echoauth.Setup(e, app.HTTPConfig())
	if err != nil {
		return err
	}
	// Any logged-in user.
	e.GET("/orders", orders, auth.RequireLogin())
	// Administrators only.
	e.GET("/admin/stats", stats, auth.RequireAdmin())
	// Public.
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, exampleapp.Health())
	})
	// Echo is an http.Handler: it runs in authsetup's http.Server. Requests
	// in flight at the stop get the grace period; the store is closed after
	// the last one.
	return app.ListenAndServe(ctx, e)
}

// orders stands for an application route: it reads who is calling from the
// verified token.
func orders(c echo.Context) error {
	claims, _ := echoauth.ClaimsFrom(c) // always set behind RequireLogin
	return c.JSON(http.StatusOK, exampleapp.Orders(claims.Subject))
}

// stats stands for an admin-only route.
func stats(c echo.Context) error {
	claims, _ := echoauth.ClaimsFrom(c)
	return c.JSON(http.StatusOK, exampleapp.Stats(claims.Subject))
}
