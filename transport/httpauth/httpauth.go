// Package httpauth is the net/http transport of authadmin: it mounts the
// auth routes of the HTTP contract on a *http.ServeMux (Go 1.22 method
// patterns) and provides RequireLogin and RequireAdmin middleware in the
// standard func(http.Handler) http.Handler shape.
//
//	mux := http.NewServeMux()
//	auth, err := httpauth.Setup(mux, httpauth.Config{Service: svc})
//	mux.Handle("GET /orders", auth.RequireLogin(ordersHandler))
//
// Inside a protected handler, ClaimsFrom(r.Context()) returns the verified
// token's claims (the original package's user.sub and
// user.extra.get("company_id")).
//
// The package declares the types an application handles (Config, Claims,
// Principal, Document) as aliases, so a net/http application imports no
// other package of authadmin's transport layer.
package httpauth

import (
	"context"
	"fmt"
	"net/http"
	"reflect"

	"github.com/authadmin/authadmin/transport/httpapi"
)

// Auth serves the auth routes and the middleware of one configuration.
type Auth struct {
	api *httpapi.API
}

// New returns an Auth for cfg, or an error if cfg is invalid.
func New(cfg Config) (*Auth, error) {
	api, err := httpapi.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("httpauth: %w", err)
	}
	return &Auth{api: api}, nil
}

// Setup is New followed by Mount: the one call that adds authentication to
// a mux.
func Setup(mux *http.ServeMux, cfg Config) (*Auth, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	a.Mount(mux)
	return a, nil
}

// Mount registers every auth route on mux, under the configured prefix
// ("POST /auth/register", ...), and for each of their paths a method-less
// pattern answering other methods with a 405 problem document.
func (a *Auth) Mount(mux *http.ServeMux) {
	for _, route := range a.api.Routes() {
		mux.HandleFunc(route.Method+" "+route.Path, func(w http.ResponseWriter, r *http.Request) {
			write(w, route.Handle(r.Context(), request(r)))
		})
	}
	for _, path := range a.api.Paths() {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			write(w, a.api.MethodNotAllowed(path))
		})
	}
}

// OpenAPI returns a new OpenAPI 3.1 document of the auth routes (see
// httpapi.API.OpenAPI), for an application that merges it into a document
// of its own.
func (a *Auth) OpenAPI() *Document { return a.api.OpenAPI() }

// RequireLogin lets through requests with a valid bearer token, putting the
// principal in the request's context (see ClaimsFrom), and answers others
// with 401 and WWW-Authenticate.
func (a *Auth) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, resp, ok := a.api.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if !ok {
			write(w, resp)
			return
		}
		next.ServeHTTP(w, r.WithContext(&principalContext{Context: r.Context(), principal: p}))
	})
}

// RequireAdmin is RequireLogin for administrators: a valid token of a user
// who is not an administrator gets 403.
func (a *Auth) RequireAdmin(next http.Handler) http.Handler {
	return a.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		if resp, ok := a.api.RequireAdmin(p); !ok {
			write(w, resp)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

type principalKey struct{}

// principalContext is the request context RequireLogin makes: its parent
// plus the principal, in one allocation (context.WithValue would make two:
// the context and the boxed principal). Value(principalKey{}) returns the
// *principalContext itself.
type principalContext struct {
	context.Context
	principal Principal
}

// Value returns c for principalKey{} and asks the parent otherwise.
func (c *principalContext) Value(key any) any {
	if key == (principalKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// String names the context without printing the principal's claims, as
// context.WithValue's contexts hide their values.
func (c *principalContext) String() string {
	return contextName(c.Context) + ".WithPrincipal"
}

// contextName is how the context package prints a parent context.
func contextName(ctx context.Context) string {
	if s, ok := ctx.(fmt.Stringer); ok {
		return s.String()
	}
	return reflect.TypeOf(ctx).String()
}

// PrincipalFrom returns the principal RequireLogin put in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	c, ok := ctx.Value(principalKey{}).(*principalContext)
	if !ok {
		return Principal{}, false
	}
	return c.principal, true
}

// ClaimsFrom returns the claims of the token RequireLogin verified for this
// request: Subject is the email, Extra the extra claims (company_id, ...).
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Claims{}, false
	}
	return p.Claims(), true
}

// request translates r for the shared HTTP core.
func request(r *http.Request) httpapi.Request {
	return httpapi.Request{
		ContentType:   r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"),
		RawQuery:      r.URL.RawQuery,
		Body:          r.Body,
		RemoteAddr:    r.RemoteAddr,
		Header:        r.Header.Values,
	}
}

// write sends resp.
func write(w http.ResponseWriter, resp httpapi.Response) {
	h := w.Header()
	resp.Header.Each(func(name, value string) { h[name] = []string{value} })
	w.WriteHeader(resp.Status)
	if len(resp.Body) > 0 {
		_, _ = w.Write(resp.Body)
	}
}
