package httpauth_test

import (
	"net/http"
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/httpapi"
	httpauth "github.com/authadmin/authadmin/transport/nethttp"
)

// discardWriter is a ResponseWriter that keeps nothing, reused across
// iterations so the benchmark measures the handlers, not a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkRequireLogin serves the same tiny JSON handler bare and behind
// RequireLogin (default mode: user-status check and revocation on) through
// one ServeMux, with the same token on every request: the difference is what
// the middleware costs a request.
func BenchmarkRequireLogin(b *testing.B) {
	fx := contracttest.NewBenchFixture(b)
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, httpapi.Config{Service: fx.Service})
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
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.status = 0
				mux.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("GET %s: status %d", path, w.status)
				}
			}
		})
	}
}
