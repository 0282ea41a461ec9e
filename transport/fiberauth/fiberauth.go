// Package fiberauth is the Fiber v2 transport of authadmin: it mounts the
// auth routes of the HTTP contract on a fiber.Router (an *fiber.App or a
// group) and provides RequireLogin and RequireAdmin middleware as
// fiber.Handler values.
//
//	app := fiber.New(fiberauth.AppConfig(fiber.Config{}))
//	auth, err := fiberauth.Setup(app, fiberauth.Config{Service: svc})
//	if err != nil {
//		log.Fatal(err)
//	}
//	app.Get("/orders", auth.RequireLogin(), func(c *fiber.Ctx) error {
//		claims, _ := fiberauth.ClaimsFrom(c)
//		companyID, _ := claims.Int64Claim("company_id")
//		return c.JSON(fiber.Map{"user": claims.Subject, "company_id": companyID})
//	})
//
// Inside a protected handler, ClaimsFrom(c) returns the verified token's
// claims (the original package's user.sub and user.extra.get("company_id")).
//
// The package declares the types an application handles (Config, Claims,
// Principal, Document) as aliases, so a Fiber application imports no other
// package of authadmin's transport layer.
//
// # Request header size
//
// fasthttp, under Fiber, reads the request line and all request headers into
// one buffer of fiber.Config.ReadBufferSize bytes. Fiber's default, 4096,
// limits request headers to about 4 KiB, while the HTTP contract requires at
// least 16 KiB to be accepted (a JWT carrying many extra claims can be large).
// Set fiber.Config{ReadBufferSize: RecommendedReadBufferSize} (32 KiB), or
// build the app's config with AppConfig, which also sets it.
// Larger headers are answered by Fiber itself with 431 Request Header Fields
// Too Large (through the app's ErrorHandler), as the contract asks.
//
// # Request bodies
//
// The auth routes read the raw request body (fasthttp's Request.Body), not
// fiber.Ctx.Body: the latter decompresses a body sent with Content-Encoding
// (gzip, deflate, br) without any size limit, which would defeat
// Config.MaxBodyBytes, and it differs from the net/http transport,
// which does not decode bodies either. Fiber's own fiber.Config.BodyLimit
// (default 4 MiB) still applies before the routes run; a body over it gets
// Fiber's 413, one under it but over MaxBodyBytes the contract's 413.
//
// # Request context
//
// fasthttp cancels nothing per request: c.UserContext() is
// context.Background() unless something set it, and fasthttp's
// RequestCtx.Done closes only when the server shuts down. So this package
// makes the context the auth routes and the token check run under, and
// that the handlers after RequireLogin and RequireAdmin get as
// c.UserContext(), the way net/http makes r.Context(): derived from
// c.UserContext() (its values and deadline are kept), it is cancelled
//
//   - when the client closes its connection (cause ErrClientGone),
//   - when the server shuts down (cause ErrServerShutdown),
//   - and when the middleware or route returns (context.Canceled), so a
//     goroutine must not keep using it after that, as with net/http.
//
// The client's connection is watched on Unix systems, for TCP and Unix
// socket connections, also under TLS (see ErrClientGone for the limits);
// elsewhere, and for other connections, only the last two apply. Nothing
// is watched until the context's Done is called (by the handler, or by
// context.WithTimeout and the like deriving a context from it, as the auth
// routes do), and the connection only from the next sweep of a goroutine
// that runs every 50 ms while such requests are in flight: a protected
// route that never waits on its context, or answers quickly, does not pay
// for the watch, and a client gone or a shutdown is seen within 50 ms.
// Until Done is called, Err does not report a client gone or a shutdown.
package fiberauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/authadmin/authadmin/transport/httpapi"
)

// RecommendedReadBufferSize is the fiber.Config.ReadBufferSize to use with
// this package (32 KiB). fasthttp must fit the request line and every
// request header in this buffer, and the HTTP contract requires at least
// 16 KiB of request headers to be accepted; Fiber's default (4096) accepts
// only about 4 KiB.
//
//	app := fiber.New(fiber.Config{ReadBufferSize: fiberauth.RecommendedReadBufferSize})
const RecommendedReadBufferSize = 32 << 10

// AppConfig returns cfg with what the HTTP contract needs from a Fiber app:
// a ReadBufferSize of at least RecommendedReadBufferSize; CaseSensitive and
// StrictRouting, so that /AUTH/ME and /auth/me/ are not /auth/me (as on
// net/http and Echo) and a rule keyed on a path, in a proxy or another
// middleware, cannot be sidestepped by spelling; and, unless cfg has one,
// ErrorHandler, so that Fiber's own errors (404, 405, 413 over BodyLimit,
// 431) are problem documents too.
//
//	app := fiber.New(fiberauth.AppConfig(fiber.Config{AppName: "shop"}))
func AppConfig(cfg fiber.Config) fiber.Config {
	cfg.ReadBufferSize = max(cfg.ReadBufferSize, RecommendedReadBufferSize)
	cfg.CaseSensitive = true
	cfg.StrictRouting = true
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = ErrorHandler
	}
	return cfg
}

// ErrorHandler answers an error that reaches Fiber with an RFC 9457 problem
// document: a *fiber.Error with its code and message, anything else with a
// 500 whose cause is not sent.
func ErrorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return write(c, httpapi.Problem(fe.Code, fe.Message))
	}
	return write(c, httpapi.Problem(fiber.StatusInternalServerError, "internal server error"))
}

// Auth serves the auth routes and the middleware of one configuration.
type Auth struct {
	api     *httpapi.API
	watches *watchQueue
}

// New returns an Auth for cfg, or an error if cfg is invalid.
func New(cfg Config) (*Auth, error) {
	api, err := httpapi.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("fiberauth: %w", err)
	}
	return &Auth{api: api, watches: new(watchQueue)}, nil
}

// Setup is New followed by Mount: the one call that adds authentication to
// a Fiber app or group.
func Setup(r fiber.Router, cfg Config) (*Auth, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	a.Mount(r)
	return a, nil
}

// Mount registers every auth route on r, under the configured prefix
// (POST /auth/register, ...). On a group, the group's prefix comes first:
// Mount(app.Group("/api")) serves POST /api/auth/register.
func (a *Auth) Mount(r fiber.Router) {
	for _, route := range a.api.Routes() {
		r.Add(route.Method, route.Path, func(c *fiber.Ctx) error {
			ctx := newRequestContext(c, a.watches)
			defer ctx.end()
			return write(c, route.Handle(ctx, request(c)))
		})
	}
	// Any other method on these paths: a 405 problem document. Fiber
	// tries routes in order, so this comes after the routes themselves.
	for _, path := range a.api.Paths() {
		r.All(path, func(c *fiber.Ctx) error { return write(c, a.api.MethodNotAllowed(path)) })
	}
}

// OpenAPI returns a new OpenAPI 3.1 document of the auth routes (see
// httpapi.API.OpenAPI), for an application that merges it into a document
// of its own.
func (a *Auth) OpenAPI() *Document { return a.api.OpenAPI() }

// RequireLogin returns middleware that lets through requests with a valid
// bearer token, storing the principal in the request's locals (see
// PrincipalFrom and ClaimsFrom), and answers others with 401 and
// WWW-Authenticate without calling the next handler.
//
// The next handlers see, as c.UserContext(), the request context described
// in the package documentation; the previous user context is restored
// when they return.
func (a *Auth) RequireLogin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := newRequestContext(c, a.watches)
		defer ctx.end()
		if _, ok := a.login(ctx, c); !ok {
			return nil
		}
		return next(c, ctx)
	}
}

// RequireAdmin returns middleware that is RequireLogin for administrators:
// it checks the token as RequireLogin does, and a valid token of a user who
// is not an administrator gets 403.
func (a *Auth) RequireAdmin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := newRequestContext(c, a.watches)
		defer ctx.end()
		p, ok := a.login(ctx, c)
		if !ok {
			return nil
		}
		if resp, ok := a.api.RequireAdmin(p); !ok {
			return write(c, resp)
		}
		return next(c, ctx)
	}
}

// next calls the next handlers of c with ctx as their user context, and
// restores c's user context (ctx's parent) when they return: ctx ends when
// the middleware returns, and the handlers before it (a logger, a
// recovery middleware) keep the context they had.
func next(c *fiber.Ctx, ctx *requestContext) error {
	c.SetUserContext(ctx)
	defer c.SetUserContext(ctx.parent)
	return c.Next()
}

// login authenticates c's bearer token under ctx. On success it stores the
// principal in c's locals; otherwise it writes the 401 and reports false.
func (a *Auth) login(ctx context.Context, c *fiber.Ctx) (Principal, bool) {
	// The header value is backed by fasthttp's request buffer, reused for
	// the next request: Authenticate copies what it keeps (the token, on
	// first sight), so the value is not copied on every request here.
	p, resp, ok := a.api.Authenticate(ctx, c.Get(fiber.HeaderAuthorization))
	if !ok {
		_ = write(c, resp)
		return Principal{}, false
	}
	// fasthttp resets the locals after every request, so a principal is
	// never seen by the next request on the same connection.
	c.Locals(principalKey{}, p)
	return p, true
}

// principalKey is the key of the principal in a request's locals.
type principalKey struct{}

// PrincipalFrom returns the principal RequireLogin or RequireAdmin stored for
// the request c.
func PrincipalFrom(c *fiber.Ctx) (Principal, bool) {
	p, ok := c.Locals(principalKey{}).(Principal)
	return p, ok
}

// ClaimsFrom returns the claims of the token RequireLogin or RequireAdmin
// verified for the request c: Subject is the email, Extra the extra claims
// (company_id, ...).
func ClaimsFrom(c *fiber.Ctx) (Claims, bool) {
	p, ok := PrincipalFrom(c)
	if !ok {
		return Claims{}, false
	}
	return p.Claims(), true
}

// request translates c for the shared HTTP core.
//
// fasthttp reuses the memory behind c.Get, the URI and the request body once
// the handler returns, so the header and query strings are copied: the core
// (or anything it calls, such as a token cache keyed by the header) may keep
// them. The body is not copied: Route.Handle reads it fully, and keeps only
// copies, before it returns, that is while the handler still runs.
func request(c *fiber.Ctx) httpapi.Request {
	return httpapi.Request{
		ContentType:   strings.Clone(c.Get(fiber.HeaderContentType)),
		Authorization: strings.Clone(c.Get(fiber.HeaderAuthorization)),
		RawQuery:      string(c.Request().URI().QueryString()),
		// The raw body, not c.Body(), which would decompress it without a
		// limit (see the package documentation).
		Body: bytes.NewReader(c.Request().Body()),
		// The connection's address, not c.IP(), which may come from
		// fiber.Config.ProxyHeader: httpapi.Config.TrustedProxies decides
		// when a proxy header counts.
		RemoteAddr: c.Context().RemoteAddr().String(),
		Header:     func(name string) []string { return headerValues(&c.Request().Header, name) },
	}
}

// headerValues returns every value of the request header name, one per
// header line the client sent, in order.
//
// fasthttp keeps Content-Type, Host and User-Agent in one field each, the
// last line sent winning, so PeekAll returns at most one value for them;
// a request with two Content-Type lines, which net/http and Echo hand on
// as two values (and the core refuses), would look like one. For these
// headers the raw header block fasthttp sets aside while parsing (empty
// for a request it did not parse) is scanned for more lines, which costs
// a scan of the headers only when one of them is asked for.
func headerValues(h *fasthttp.RequestHeader, name string) []string {
	if singleValued(name) {
		var raw []string
		h.VisitAllInOrder(func(k, v []byte) {
			if strings.EqualFold(string(k), name) {
				raw = append(raw, string(v))
			}
		})
		if len(raw) > 1 {
			return raw
		}
	}
	var values []string
	for _, v := range h.PeekAll(name) {
		values = append(values, string(v))
	}
	return values
}

// singleValued reports whether fasthttp keeps the request header name in a
// field of its own, holding one value (see fasthttp's RequestHeader.PeekAll).
func singleValued(name string) bool {
	return strings.EqualFold(name, fiber.HeaderContentType) ||
		strings.EqualFold(name, fiber.HeaderHost) ||
		strings.EqualFold(name, fiber.HeaderUserAgent)
}

// write sends resp.
func write(c *fiber.Ctx, resp httpapi.Response) error {
	resp.Header.Each(func(name, value string) { c.Set(name, value) })
	c.Status(resp.Status)
	if len(resp.Body) == 0 {
		return nil
	}
	return c.Send(resp.Body)
}
