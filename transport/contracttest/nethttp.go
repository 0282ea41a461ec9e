package contracttest

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// NetHTTP is the Start of the net/http transport (package httpauth): the
// auth routes and the probe routes on a ServeMux served by an http.Server.
// transport/httpauth runs the suite with it, and so do stores that check the
// contract on themselves (WithStore).
func NetHTTP(t *testing.T, cfg httpapi.Config) string {
	t.Helper()
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /probe/login", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, ok := httpauth.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims in the context", http.StatusInternalServerError)
			return
		}
		companyID, _ := claims.Claim("company_id")
		writeJSON(w, map[string]any{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	})))
	mux.Handle("GET /probe/admin", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"ok": true})
	})))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
