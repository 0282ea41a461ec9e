// Package echoauthtest starts Echo servers for the HTTP contract suite
// (transport/contracttest): echoauth runs the suite with Start, and so can
// any module that checks the contract, or its OpenAPI document, over Echo.
package echoauthtest

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/transport/echoauth"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// Start is the contracttest.Start of the Echo transport: it serves cfg's
// auth routes and the suite's probe routes on 127.0.0.1:0 until the test
// ends, and returns the base URL.
func Start(t *testing.T, cfg httpapi.Config) string {
	t.Helper()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	auth, err := echoauth.Setup(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/probe/login", func(c echo.Context) error {
		claims, ok := echoauth.ClaimsFrom(c)
		if !ok {
			return c.String(http.StatusInternalServerError, "no claims in the context")
		}
		companyID, _ := claims.Claim("company_id")
		return c.JSON(http.StatusOK, map[string]any{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	}, auth.RequireLogin())
	e.GET("/probe/admin", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"ok": true})
	}, auth.RequireAdmin())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
