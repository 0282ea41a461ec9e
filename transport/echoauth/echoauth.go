// Package echoauth is the Echo v4 transport of authadmin: it mounts the
// auth routes of the HTTP contract on an *echo.Echo or *echo.Group and
// provides RequireLogin and RequireAdmin as echo.MiddlewareFunc, for use on
// single routes or groups.
//
//	e := echo.New()
//	auth, err := echoauth.Setup(e, echoauth.Config{Service: svc})
//	if err != nil {
//		log.Fatal(err)
//	}
//	e.GET("/orders", ordersHandler, auth.RequireLogin())
//	e.GET("/admin/stats", statsHandler, auth.RequireAdmin())
//
// Inside a protected handler, ClaimsFrom(c) returns the verified token's
// claims (the original package's user.sub and user.extra.get("company_id")).
//
// The package declares the types an application handles (Config, Claims,
// Principal, Document) as aliases, so an Echo application imports no other
// package of authadmin's transport layer.
//
// Every response, errors included, is written by the shared HTTP core
// (transport/httpapi), so this transport serves exactly the same contract,
// problem documents and status codes as the net/http and Fiber ones; the
// middleware writes its 401 and 403 itself instead of returning an
// echo.HTTPError, so Echo's error handler never reshapes them.
package echoauth

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/transport/httpapi"
)

// Router is where Mount registers the auth routes: *echo.Echo and
// *echo.Group both satisfy it, so the routes can live under a group's
// prefix and behind its middleware.
type Router interface {
	Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

var (
	_ Router = (*echo.Echo)(nil)
	_ Router = (*echo.Group)(nil)
)

// Auth serves the auth routes and the middleware of one configuration.
type Auth struct {
	api *httpapi.API
}

// New returns an Auth for cfg, or an error if cfg is invalid.
func New(cfg Config) (*Auth, error) {
	api, err := httpapi.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("echoauth: %w", err)
	}
	return &Auth{api: api}, nil
}

// Setup is New followed by Mount: the one call that adds authentication to
// an Echo instance or group.
func Setup(r Router, cfg Config) (*Auth, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	a.Mount(r)
	return a, nil
}

// Mount registers every auth route on r, under the configured prefix
// ("POST /auth/register", ...), itself under the prefix of r if r is a
// group.
func (a *Auth) Mount(r Router) {
	routes := a.api.Routes()
	for _, route := range routes {
		r.Add(route.Method, route.Path, func(c echo.Context) error {
			return write(c, route.Handle(c.Request().Context(), request(c)))
		})
	}
	// The other common methods of each path get a 405 problem document
	// (Echo's own 405 is its JSON error, not the contract's). HEAD and
	// OPTIONS are left to Echo and to middleware such as CORS.
	for _, path := range a.api.Paths() {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if slices.ContainsFunc(routes, func(rt httpapi.Route) bool { return rt.Path == path && rt.Method == method }) {
				continue
			}
			r.Add(method, path, func(c echo.Context) error { return write(c, a.api.MethodNotAllowed(path)) })
		}
	}
}

// OpenAPI returns a new OpenAPI 3.1 document of the auth routes (see
// httpapi.API.OpenAPI), for an application that merges it into a document
// of its own.
func (a *Auth) OpenAPI() *Document { return a.api.OpenAPI() }

// RequireLogin returns middleware that lets through requests with a valid
// bearer token, storing the principal in the echo.Context (see
// PrincipalFrom and ClaimsFrom), and answers others with 401 and
// WWW-Authenticate.
func (a *Auth) RequireLogin() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if _, ok := a.authenticate(c); !ok {
				return nil
			}
			return next(c)
		}
	}
}

// RequireAdmin returns middleware that is RequireLogin for administrators:
// it performs the login check itself, and a valid token of a user who is
// not an administrator gets 403.
func (a *Auth) RequireAdmin() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, ok := a.authenticate(c)
			if !ok {
				return nil
			}
			if resp, ok := a.api.RequireAdmin(p); !ok {
				return write(c, resp)
			}
			return next(c)
		}
	}
}

// authenticate checks the request's bearer token and stores the principal
// in c. On failure it writes the 401 and reports false.
func (a *Auth) authenticate(c echo.Context) (Principal, bool) {
	req := c.Request()
	p, resp, ok := a.api.Authenticate(req.Context(), req.Header.Get(echo.HeaderAuthorization))
	if !ok {
		_ = write(c, resp)
		return Principal{}, false
	}
	c.Set(principalKey, p)
	return p, true
}

// principalKey is the echo.Context key of the principal. It is unexported
// and named after the package path, so no other code can read or overwrite
// it by accident.
const principalKey = "github.com/authadmin/authadmin/transport/echoauth.principal"

// PrincipalFrom returns the principal RequireLogin or RequireAdmin stored
// in c for this request.
func PrincipalFrom(c echo.Context) (Principal, bool) {
	p, ok := c.Get(principalKey).(Principal)
	return p, ok
}

// ClaimsFrom returns the claims of the token RequireLogin or RequireAdmin
// verified for this request: Subject is the email, Extra the extra claims
// (company_id, ...).
func ClaimsFrom(c echo.Context) (Claims, bool) {
	p, ok := PrincipalFrom(c)
	if !ok {
		return Claims{}, false
	}
	return p.Claims(), true
}

// request translates c's request for the shared HTTP core.
func request(c echo.Context) httpapi.Request {
	r := c.Request()
	return httpapi.Request{
		ContentType:   r.Header.Get(echo.HeaderContentType),
		Authorization: r.Header.Get(echo.HeaderAuthorization),
		RawQuery:      r.URL.RawQuery,
		Body:          r.Body,
		// The connection's address, not c.RealIP(), which believes
		// X-Forwarded-For from anyone: httpapi.Config.TrustedProxies
		// decides when a proxy header counts.
		RemoteAddr: r.RemoteAddr,
		Header:     r.Header.Values,
	}
}

// write sends resp. Write errors mean the client is gone; like net/http,
// they are not reported to Echo's error handler, which could not answer
// anyway.
func write(c echo.Context, resp httpapi.Response) error {
	w := c.Response()
	h := w.Header()
	resp.Header.Each(func(name, value string) { h[name] = []string{value} })
	w.WriteHeader(resp.Status)
	if len(resp.Body) > 0 {
		_, _ = w.Write(resp.Body)
	}
	return nil
}
