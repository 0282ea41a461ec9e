package echoauth_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/echoauth"
)

// Example mounts the auth routes (/auth/register, /auth/login, ...) on an
// Echo server and protects two application routes. It takes its Service
// from the test kit, and instead of starting the server (e.Start(":8000"))
// it sends one request without a token.
func Example() {
	e := echo.New()
	auth, err := echoauth.Setup(e, echoauth.Config{Service: authtest.New().Service})
	if err != nil {
		log.Fatal(err)
	}
	e.GET("/orders", func(c echo.Context) error {
		claims, _ := echoauth.ClaimsFrom(c)
		companyID, _ := claims.Claim("company_id")
		return c.JSON(http.StatusOK, map[string]any{"user": claims.Subject, "company_id": companyID})
	}, auth.RequireLogin())
	e.GET("/admin/stats", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"users": 1})
	}, auth.RequireAdmin())

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/orders", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output: 401 Bearer
}

// ExampleAuth_Mount mounts the auth routes under an Echo group, here at
// /api/auth/..., and protects another route of the group.
func ExampleAuth_Mount() {
	auth, err := echoauth.New(echoauth.Config{Service: authtest.New().Service})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	api := e.Group("/api")
	auth.Mount(api)
	api.GET("/orders", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, auth.RequireLogin())

	// POST /api/auth/login logs in; its other methods answer 405 with a
	// problem document.
	for _, r := range e.Routes() {
		if r.Path == "/api/auth/login" || r.Path == "/api/orders" {
			fmt.Println(r.Method, r.Path)
		}
	}
	// Unordered output:
	// POST /api/auth/login
	// GET /api/auth/login
	// PUT /api/auth/login
	// PATCH /api/auth/login
	// DELETE /api/auth/login
	// GET /api/orders
}
