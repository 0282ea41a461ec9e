package httpapi

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/authadmin/authadmin/transport/httpapi/openapi"

	"github.com/authadmin/authadmin/usecase"
)

// Defaults for Config's zero values.
const (
	// DefaultPrefix is the path under which the auth routes are mounted.
	DefaultPrefix = "/auth"
	// DefaultMaxBodyBytes is the largest request body accepted (64 KiB);
	// a larger one is refused with 413.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxAuthorizationBytes is the longest Authorization header
	// value looked at (10 KiB: jwtcodec's default 8 KiB token limit and
	// room for the scheme); a longer one is answered 401 without parsing.
	DefaultMaxAuthorizationBytes = 10 << 10
	// SwaggerUIVersion is the swagger-ui-dist release the page is made
	// for, and the one DefaultSwaggerUIAssets names.
	SwaggerUIVersion = "5.35.0"
	// DefaultSwaggerUIAssets is where the Swagger UI page loads
	// swagger-ui-dist from by default: a public CDN, as FastAPI does, but
	// pinned to one release, whose files the page checks with Subresource
	// Integrity (the page handles administrators' passwords).
	DefaultSwaggerUIAssets = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@" + SwaggerUIVersion
	// DefaultClientIPHeader is the header read for the client's address
	// when the connection comes from one of Config.TrustedProxies.
	DefaultClientIPHeader = "X-Forwarded-For"
	// DefaultRequestTimeout is how long an auth route may take before its
	// context is cancelled (8 s): under the example servers' 10 s write
	// timeout, so that the 503 it then answers still reaches the client.
	DefaultRequestTimeout = 8 * time.Second
	// DefaultRefusalHold is how long a 429 or 503 that asks the client to
	// retry later is held before it is sent (1 s).
	DefaultRefusalHold = time.Second
)

// Config configures the HTTP layer shared by the transports.
type Config struct {
	// Service is the use-case layer the routes call. Required.
	Service *usecase.Service
	// Prefix is the path prefix of the auth routes (default DefaultPrefix).
	// It starts with "/" and does not end with one; "" means DefaultPrefix.
	Prefix string
	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxAuthorizationBytes caps the Authorization header value that is
	// parsed at all (default DefaultMaxAuthorizationBytes); a longer one
	// gets 401 at once.
	MaxAuthorizationBytes int
	// TrustedProxies are the networks of the reverse proxies in front of
	// the server. Only when a request's connection comes from one of them
	// is ClientIPHeader believed for the client's address, which login
	// throttling counts failures against; otherwise, and by default, the
	// connection's own address is used and the header is ignored, since
	// any client can send it.
	TrustedProxies []netip.Prefix
	// ClientIPHeader is the header a trusted proxy puts the client's
	// address in (default DefaultClientIPHeader). For X-Forwarded-For, the
	// address taken is the rightmost one that is not itself a trusted
	// proxy; for any other header (X-Real-IP), its single value.
	ClientIPHeader string
	// OpenAPI, if set, edits the OpenAPI document (API.OpenAPI) once, before
	// it is served at Prefix+"/openapi.json": an application adds its own
	// routes to it, or a Servers entry for tools other than the Swagger UI
	// page when the auth routes are mounted under a framework group (the
	// page finds the mount point itself).
	OpenAPI func(*openapi.Document)
	// SwaggerUI serves a Swagger UI page at Prefix+"/docs" (off by
	// default). Its Authorize dialog logs in with the OAuth2 password
	// flow, and every operation with security then carries the token.
	// The page works out where it is mounted from its own URL, so under a
	// framework group or a sub-router (http.StripPrefix) it fetches the
	// document, logs in and sends requests there with no setting; a
	// document the OpenAPI hook gave Servers or another token URL keeps
	// them.
	SwaggerUI bool
	// SwaggerUIAssets is the URL of the folder that holds swagger-ui-dist's
	// swagger-ui.css and swagger-ui-bundle.js (default
	// DefaultSwaggerUIAssets). Serve the files yourself to avoid the CDN.
	SwaggerUIAssets string
	// RequestTimeout bounds each auth route (default DefaultRequestTimeout):
	// the context the route's use case gets is cancelled when it passes,
	// as well as when the client goes away (every transport gives the
	// routes a context that ends with the client's connection), and a
	// route that runs out of time answers 503 with Retry-After. Keep it
	// under the server's write timeout. Negative: no deadline of its own.
	RequestTimeout time.Duration
	// RefusalHold is how long an auth route holds a 429 or 503 with
	// Retry-After before sending it (default DefaultRefusalHold; never
	// longer than the Retry-After itself, which is at least a second, so a
	// client that honours it loses nothing). A client that floods without
	// waiting, as scripts do, then sends one request per hold per
	// connection instead of thousands a second, and the CPU it would take
	// answering them stays with the requests that get through. Negative:
	// answer at once.
	RefusalHold time.Duration
	// Logger receives the causes of 500 responses (default slog.Default()).
	Logger *slog.Logger
}
