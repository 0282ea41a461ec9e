package echoauth_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/echoauth"
)

// BenchmarkRequireLogin serves the same tiny JSON handler bare and behind
// RequireLogin (default mode: user-status check and revocation on) on one
// Echo router, with the same token on every request: the difference is what
// the middleware costs a request.
func BenchmarkRequireLogin(b *testing.B) {
	fx := contracttest.NewBenchFixture(b)
	e := echo.New()
	auth, err := echoauth.Setup(e, echoauth.Config{Service: fx.Service})
	if err != nil {
		b.Fatal(err)
	}
	ok := []byte(`{"status":"ok"}`)
	handler := func(c echo.Context) error { return c.JSONBlob(http.StatusOK, ok) }
	e.GET("/bare", handler)
	e.GET("/protected", handler, auth.RequireLogin())
	for _, path := range []string{"/bare", "/protected"} {
		b.Run(path[1:], func(b *testing.B) {
			req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+fx.Token)
			w := &contracttest.DiscardResponseWriter{}
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
				if w.Status != http.StatusOK {
					b.Fatalf("GET %s: status %d", path, w.Status)
				}
			}
		})
	}
}
