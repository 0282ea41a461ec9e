package httpapi

import (
	"log/slog"
	"net/netip"

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
	// routes to it, or a Servers entry when the auth routes are mounted
	// under a framework group.
	OpenAPI func(*openapi.Document)
	// SwaggerUI serves a Swagger UI page at Prefix+"/docs" (off by
	// default). Its Authorize dialog logs in with the OAuth2 password
	// flow, and every operation with security then carries the token.
	SwaggerUI bool
	// SwaggerUIAssets is the URL of the folder that holds swagger-ui-dist's
	// swagger-ui.css and swagger-ui-bundle.js (default
	// DefaultSwaggerUIAssets). Serve the files yourself to avoid the CDN.
	SwaggerUIAssets string
	// Logger receives the causes of 500 responses (default slog.Default()).
	Logger *slog.Logger
}
