package echoauth_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/transport/echoauth"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// exampleService builds a Service on a memory store. A real application
// reads jwtcodec.Config.Secret from its settings, uses a persistent store,
// keeps bcrypt at DefaultCost (New(0)) or above, and calls
// svc.EnsureAdmin(ctx) once at startup.
func exampleService() *usecase.Service {
	hasher, err := bcrypthash.New(bcrypthash.MinProductionCost) // fast enough for a test run
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := jwtcodec.New(jwtcodec.Config{Secret: []byte("RNoLikSTv68sfQSEOYPMhj9dzIGVMWP13L5L1yrB")})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := usecase.New(usecase.Config{Users: memstore.New(), Hasher: hasher, Tokens: tokens})
	if err != nil {
		log.Fatal(err)
	}
	return svc
}

// Example mounts the auth routes (/auth/register, /auth/login, ...) on an
// Echo server and protects two application routes. Instead of starting the
// server (e.Start(":8000")), it sends one request without a token.
func Example() {
	e := echo.New()
	auth, err := echoauth.Setup(e, httpapi.Config{Service: exampleService()})
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
	auth, err := echoauth.New(httpapi.Config{Service: exampleService()})
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
