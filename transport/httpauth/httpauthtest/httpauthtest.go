// Package httpauthtest serves the net/http transport (package httpauth) on
// a loopback listener for tests. Start is the contracttest.Start of
// net/http: httpauth runs the HTTP contract suite (transport/contracttest)
// with it, and so can any module that checks the contract, its OpenAPI
// document or a store of its own over net/http. AddProbes and Serve are
// the two halves of Start, for a test that builds its own server.
package httpauthtest

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/authadmin/authadmin/transport/httpauth"
)

// Start serves cfg's auth routes and the contract suite's probe routes
// (AddProbes) on a new http.ServeMux, listening on 127.0.0.1:0 until the
// test ends, and returns the base URL. It fails the test if cfg is invalid.
func Start(t *testing.T, cfg httpauth.Config) string {
	t.Helper()
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, cfg)
	if err != nil {
		t.Fatalf("httpauthtest: %v", err)
	}
	AddProbes(mux, auth)
	return Serve(t, mux)
}

// AddProbes adds the contract suite's probe routes to mux: GET
// /probe/login behind auth's RequireLogin, answering the token's sub,
// company_id and is_admin in JSON, and GET /probe/admin behind its
// RequireAdmin, answering {"ok": true}.
func AddProbes(mux *http.ServeMux, auth *httpauth.Auth) {
	mux.Handle("GET /probe/login", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, ok := httpauth.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims in the request's context", http.StatusInternalServerError)
			return
		}
		companyID, _ := claims.Claim("company_id")
		writeJSON(w, map[string]any{"sub": claims.Subject, "company_id": companyID, "is_admin": claims.IsAdmin})
	})))
	mux.Handle("GET /probe/admin", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"ok": true})
	})))
}

// Serve serves h on 127.0.0.1:0 until the test ends and returns its base
// URL ("http://127.0.0.1:PORT").
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("httpauthtest: %v", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// writeJSON answers v as JSON with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
