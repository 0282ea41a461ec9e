// Command echominimal is a whole Echo application with authadmin's auth in
// 15 lines of code: the auth routes (/auth/register, /auth/login, ...,
// with Swagger UI at /auth/docs), users in the SQLite file users.db, the
// administrator admin@admin.com / changeme seeded on the first start,
// settings from the environment (ADDR, AUTH_SECRET_KEY, AUTH_DB_URL, ...;
// see examples/README.md), one protected route, and a graceful stop on
// SIGINT or SIGTERM.
//
//	go run ./examples/echominimal
//
// The two touch points are authsetup.FromEnv, which builds the auth, and
// echoauth.Setup, which mounts it; RequireLogin protects a route.
package main

import (
	"context"
	"log"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/transport/echoauth"
)

func main() {
	auth, err := authsetup.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	routes, err := echoauth.Setup(e, auth.HTTPConfig())
	if err != nil {
		log.Fatal(err)
	}
	e.GET("/hello", hello, routes.RequireLogin())
	if err := auth.ListenAndServe(context.Background(), e); err != nil {
		log.Fatal(err)
	}
}

// hello greets the caller named by the verified token.
func hello(c echo.Context) error {
	claims, _ := echoauth.ClaimsFrom(c)
	return c.String(http.StatusOK, "hello "+claims.Subject)
}
