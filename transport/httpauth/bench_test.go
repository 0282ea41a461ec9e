package httpauth_test

import (
	"net/http"
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// BenchmarkRequireLogin serves the same tiny JSON handler bare and behind
// RequireLogin (default mode: user-status check and revocation on) through
// one ServeMux, with the same token on every request: the difference is what
// the middleware costs a request.
func BenchmarkRequireLogin(b *testing.B) {
	fx := contracttest.NewBenchFixture(b)
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, httpauth.Config{Service: fx.Service})
	if err != nil {
		b.Fatal(err)
	}
	ok := []byte(`{"status":"ok"}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(ok)
	})
	mux.Handle("GET /bare", handler)
	mux.Handle("GET /protected", auth.RequireLogin(handler))
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
				w.Status = 0
				mux.ServeHTTP(w, req)
				if w.Status != 0 && w.Status != http.StatusOK {
					b.Fatalf("GET %s: status %d", path, w.Status)
				}
			}
		})
	}
}
