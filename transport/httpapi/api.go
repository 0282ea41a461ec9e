package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// API serves the auth routes of one Config. It is safe for concurrent use.
type API struct {
	svc     *usecase.Service
	prefix  string
	maxBody int64
	maxAuth int
	timeout time.Duration // <= 0: none
	hold    time.Duration // <= 0: none
	clients clientResolver
	log     *slog.Logger
	routes  []Route
}

// Request is what the auth routes read of an HTTP request. Adapters fill it
// from their framework's request.
type Request struct {
	// ContentType is the Content-Type header ("" if absent).
	ContentType string
	// Authorization is the Authorization header ("" if absent).
	Authorization string
	// RawQuery is the query string of the request's URL, without the '?'
	// and still encoded, as net/http's URL.RawQuery ("" if none). The
	// auth routes parse it themselves (url.ParseQuery) and answer 400 to
	// one that does not parse; parameters they do not know are ignored.
	RawQuery string
	// Body is the request body (nil: empty). Handlers read at most
	// Config.MaxBodyBytes+1 bytes of it.
	Body io.Reader
	// RemoteAddr is the address of the connection's peer, "IP:port" (as
	// net/http's Request.RemoteAddr), never taken from a header.
	RemoteAddr string
	// Header returns every value of a request header, in order, each
	// occurrence of the header one value (nil: none). It is read for
	// Content-Type (a request with two is refused), for
	// Config.ClientIPHeader when the peer is a trusted proxy, and for the
	// proxy headers that tell whether a loopback peer relays another
	// client.
	Header func(name string) []string
}

// Route is one endpoint of the contract.
type Route struct {
	// Method is the HTTP method ("GET", "POST").
	Method string
	// Path is the full path, prefix included ("/auth/register").
	Path string
	// Handle serves a request. It never panics on any input and returns
	// a complete response.
	Handle func(ctx context.Context, req Request) Response

	// operation documents the route in the OpenAPI document; nil for the
	// routes that serve the documentation itself.
	operation func() *openapi.Operation
}

// New returns the API for cfg. It fails if cfg.Service is nil or the prefix
// is malformed.
func New(cfg Config) (*API, error) {
	if cfg.Service == nil {
		return nil, errors.New("httpapi: Config.Service is nil")
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") ||
		strings.ContainsAny(prefix, " {}?#%*\t\r\n") || strings.Contains(prefix, "//") {
		return nil, errors.New("httpapi: Config.Prefix must start with '/', not end with one, and hold only plain path characters")
	}
	a := &API{svc: cfg.Service, prefix: prefix, maxBody: cfg.MaxBodyBytes, maxAuth: cfg.MaxAuthorizationBytes, log: cfg.Logger}
	a.timeout = cfg.RequestTimeout
	if a.timeout == 0 {
		a.timeout = DefaultRequestTimeout
	}
	a.hold = cfg.RefusalHold
	if a.hold == 0 {
		a.hold = DefaultRefusalHold
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxAuth <= 0 {
		a.maxAuth = DefaultMaxAuthorizationBytes
	}
	clients, err := newClientResolver(cfg.TrustedProxies, cfg.ClientIPHeader)
	if err != nil {
		return nil, err
	}
	a.clients = clients
	if a.log == nil {
		a.log = slog.Default()
	}
	a.routes = []Route{
		{"POST", prefix + "/register", a.register, a.registerOp},
		{"POST", prefix + "/login", a.login, a.loginOp},
		{"GET", prefix + "/me", a.me, a.meOp},
		{"POST", prefix + "/change-password", a.changePassword, a.changePasswordOp},
		{"GET", prefix + "/pending", a.pending, a.pendingOp},
		{"POST", prefix + "/approve", a.approve, func() *openapi.Operation {
			return a.decideOp("approve", "Approve an account (administrators only); approving an approved one changes nothing")
		}},
		{"POST", prefix + "/reject", a.reject, func() *openapi.Operation {
			return a.decideOp("reject", "Reject an account (administrators only); its tokens stop working", http.StatusConflict)
		}},
	}
	if err := a.addDocs(cfg); err != nil {
		return nil, err
	}
	for i := range a.routes {
		a.routes[i].Handle = a.guard(a.routes[i].Handle, a.routes[i].Method == http.MethodPost)
	}
	return a, nil
}

// guard wraps a route's handler with what every route does first: the
// request's deadline (Config.RequestTimeout), and, on a route that reads a
// body, the refusal of a request with more than one Content-Type header,
// which frameworks read differently (Fiber the last, net/http and Echo the
// first).
func (a *API) guard(h func(context.Context, Request) Response, readsBody bool) func(context.Context, Request) Response {
	return func(ctx context.Context, req Request) Response {
		if readsBody && req.Header != nil && len(req.Header("Content-Type")) > 1 {
			return problem(http.StatusBadRequest, "the request has more than one Content-Type header")
		}
		if a.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, a.timeout)
			defer cancel()
		}
		resp := h(ctx, req)
		if resp.Header.RetryAfter != "" && a.hold > 0 {
			holdRefusal(ctx, a.hold, resp.Header.RetryAfter)
		}
		return resp
	}
}

// holdRefusal waits hold, but no longer than the response's Retry-After
// (whole seconds), or until ctx ends, before a refusal that asks the
// client to retry later is sent (see Config.RefusalHold).
func holdRefusal(ctx context.Context, hold time.Duration, retryAfter string) {
	d := hold
	if secs, err := strconv.Atoi(retryAfter); err == nil && secs >= 0 {
		d = min(d, time.Duration(secs)*time.Second)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Routes returns the contract's routes, to be mounted by an adapter.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }

// Paths returns the distinct paths of the routes, in route order.
func (a *API) Paths() []string {
	var paths []string
	for _, r := range a.routes {
		if !slices.Contains(paths, r.Path) {
			paths = append(paths, r.Path)
		}
	}
	return paths
}

// MethodNotAllowed returns the 405 for a request to path, one of Paths,
// with a method none of its routes serves: a problem document with an
// Allow header listing the methods that are served. Adapters mount it for
// the other methods, so that this error is a problem document on every
// transport too.
func (a *API) MethodNotAllowed(path string) Response {
	var allow []string
	for _, r := range a.routes {
		if r.Path == path {
			allow = append(allow, r.Method)
		}
	}
	resp := problem(http.StatusMethodNotAllowed, "method not allowed; use "+strings.Join(allow, ", "))
	resp.Header.Allow = strings.Join(allow, ", ")
	return resp
}

// Prefix returns the path prefix of the routes.
func (a *API) Prefix() string { return a.prefix }

// Authenticate checks the bearer token of an Authorization header value,
// as RequireLogin does: on success it returns the principal; otherwise ok
// is false and resp is the 401 to send. A value longer than
// Config.MaxAuthorizationBytes is refused before it is parsed. Nothing
// keeps a reference to authorization once Authenticate returns
// (usecase.Service.Authenticate copies the token it caches), so it may be
// backed by a buffer the transport reuses.
func (a *API) Authenticate(ctx context.Context, authorization string) (p usecase.Principal, resp Response, ok bool) {
	if len(authorization) > a.maxAuth {
		return usecase.Principal{}, unauthorized(true), false
	}
	token, isBearer := bearerToken(authorization)
	if token == "" {
		return usecase.Principal{}, unauthorized(isBearer), false
	}
	p, err := a.svc.Authenticate(ctx, token)
	if err != nil {
		return usecase.Principal{}, a.fail(ctx, err), false
	}
	return p, Response{}, true
}

// RequireAdmin checks that p, from Authenticate, is an administrator who
// has replaced the built-in default password (usecase.Principal.CheckAdmin),
// as RequireAdmin middleware does: otherwise ok is false and resp is the 403
// to send.
func (a *API) RequireAdmin(p usecase.Principal) (resp Response, ok bool) {
	if err := p.CheckAdmin(); err != nil {
		// Only 403s come out of CheckAdmin: nothing to log, no context.
		return a.fail(context.Background(), err), false
	}
	return Response{}, true
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header value, the scheme matched in any letter case (RFC 9110).
// isBearer reports whether the header uses the Bearer scheme at all (a
// "Bearer" header with no token is an invalid token; no header, or another
// scheme, is no token).
func bearerToken(header string) (token string, isBearer bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(rest, " "), true
}
