// Package contracttest is the conformance suite for authadmin's HTTP
// transports: it checks that a transport serves the HTTP contract (the
// problem documents, status codes, user object, token response, bearer
// authentication and every endpoint) over a real TCP listener, so that the
// net/http, Echo and Fiber adapters behave identically.
//
// An adapter runs it from its own tests by supplying a Start function that
// mounts the auth routes and two probe routes on a new server:
//
//	func TestContract(t *testing.T) {
//		contracttest.Run(t, "nethttp", func(t *testing.T, cfg httpapi.Config) string {
//			mux := http.NewServeMux()
//			auth, err := httpauth.Setup(mux, cfg)
//			if err != nil {
//				t.Fatal(err)
//			}
//			mux.Handle("GET /probe/login", auth.RequireLogin(probeLogin)) // writes sub, company_id, is_admin
//			mux.Handle("GET /probe/admin", auth.RequireAdmin(probeAdmin)) // writes {"ok": true}
//			srv := httptest.NewServer(mux) // listens on 127.0.0.1:0
//			t.Cleanup(srv.Close)
//			return srv.URL
//		})
//	}
//
// The suite builds a fresh usecase.Service (memory store unless WithStore
// says otherwise, low-cost bcrypt, fixed HS256 key) for every server it
// starts, so subtests run in parallel without sharing users.
package contracttest

import (
	"net/http"
	"testing"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// Start mounts the auth routes for cfg on a new server of the transport
// under test, listening on 127.0.0.1:0, plus two probe routes outside the
// prefix:
//
//	GET /probe/login  behind the transport's RequireLogin: 200 JSON {"sub": <claims subject>, "company_id": <the company_id claim or null>, "is_admin": <bool>}
//	GET /probe/admin  behind the transport's RequireAdmin: 200 JSON {"ok": true}
//
// It stops the server in t.Cleanup and returns the base URL
// ("http://127.0.0.1:PORT", no trailing slash).
type Start func(t *testing.T, cfg httpapi.Config) string

// Option configures Run.
type Option func(*suite)

// WithStore makes the suite keep users in the stores newStore returns (one
// per server it starts, so it must return a fresh, empty store each call)
// instead of memstore, so that the contract is checked on that store too.
func WithStore(newStore func(t *testing.T) ports.UserRepository) Option {
	return func(s *suite) { s.newStore = newStore }
}

// Exchange is one request the suite sent and the response it got, for
// WithExchangeCheck.
type Exchange struct {
	// Request is the request as sent; its Body is spent (see RequestBody).
	Request *http.Request
	// RequestBody is the request's body (nil: none).
	RequestBody []byte
	// Response is the response; its Body is spent (see ResponseBody).
	Response *http.Response
	// ResponseBody is the response's body.
	ResponseBody []byte
}

// WithExchangeCheck makes the suite pass every exchange it has with the
// server (except the deliberately malformed ones it writes on a bare
// connection) to check, which reports problems with t.Errorf. check may be
// called from several goroutines at once. An OpenAPI validator plugged in
// here proves that the document describes what the transport does.
func WithExchangeCheck(check func(t *testing.T, ex Exchange)) Option {
	return func(s *suite) { s.check = check }
}

// Run runs the contract suite against a transport; name (e.g. "nethttp")
// appears in every failure message.
func Run(t *testing.T, name string, start Start, opts ...Option) {
	s := suite{name: name, start: start, newStore: func(*testing.T) ports.UserRepository { return memstore.New() }}
	for _, opt := range opts {
		opt(&s)
	}
	t.Run("conventions", s.conventions)
	t.Run("custom prefix", s.customPrefix)
	t.Run("user object", s.userObject)
	t.Run("register", s.register)
	t.Run("login", s.login)
	t.Run("me", s.me)
	t.Run("change-password", s.changePassword)
	t.Run("pending", s.pending)
	t.Run("approve and reject", s.approveReject)
	t.Run("default admin", s.defaultAdmin)
	t.Run("probes", s.probes)
	t.Run("documentation", s.docs)
	t.Run("adversarial tokens", s.adversarialTokens)
	t.Run("adversarial input", s.adversarialInput)
	t.Run("adversarial login", s.adversarialLogin)
	t.Run("availability", s.availability)
}

// suite is what every group of subtests needs: the transport's name and how
// to start a server of it.
type suite struct {
	name     string
	start    Start
	newStore func(t *testing.T) ports.UserRepository
	check    func(t *testing.T, ex Exchange)
}

// cases runs each function as a parallel subtest with its own server,
// started with the default settings.
func (s suite) cases(t *testing.T, cases []testCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, s.server(t, options{}))
		})
	}
}

// testCase is one row of the contract, checked against a fresh server.
type testCase struct {
	name string
	run  func(t *testing.T, c *client)
}
