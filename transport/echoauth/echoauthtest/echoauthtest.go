// Package echoauthtest serves the Echo transport (package echoauth) on a
// loopback listener for tests. Start is the contracttest.Start of Echo:
// echoauth runs the HTTP contract suite (transport/contracttest) with it,
// and so can any module that checks the contract, its OpenAPI document or
// a store of its own over Echo. AddProbes and Serve are the two halves of
// Start, for a test that builds its own server.
package echoauthtest

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/transport/echoauth"
)

// Start serves cfg's auth routes and the contract suite's probe routes
// (AddProbes) on a new *echo.Echo, listening on 127.0.0.1:0 until the test
// ends, and returns the base URL. It fails the test if cfg is invalid.
func Start(t *testing.T, cfg echoauth.Config) string {
	t.Helper()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	auth, err := echoauth.Setup(e, cfg)
	if err != nil {
		t.Fatalf("echoauthtest: %v", err)
	}
	AddProbes(e, auth)
	return Serve(t, e)
}

// AddProbes adds the contract suite's probe routes to r: GET /probe/login
// behind auth's RequireLogin, answering the token's sub, company_id and
// is_admin in JSON, and GET /probe/admin behind its RequireAdmin,
// answering {"ok": true}.
func AddProbes(r echoauth.Router, auth *echoauth.Auth) {
	r.Add(http.MethodGet, "/probe/login", func(c echo.Context) error {
		claims, ok := echoauth.ClaimsFrom(c)
		if !ok {
			return c.String(http.StatusInternalServerError, "no claims in the echo.Context")
		}
		companyID, _ := claims.Claim("company_id")
		return c.JSON(http.StatusOK, map[string]any{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	}, auth.RequireLogin())
	r.Add(http.MethodGet, "/probe/admin", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"ok": true})
	}, auth.RequireAdmin())
}

// Serve serves e on 127.0.0.1:0 until the test ends and returns its base
// URL ("http://127.0.0.1:PORT").
func Serve(tb testing.TB, e *echo.Echo) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("echoauthtest: %v", err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}
