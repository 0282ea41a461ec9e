// Package config is the start-up code shared by the example servers: it reads
// the environment variables of the HTTP contract's "Example servers" section,
// opens the user store, builds the use cases, seeds the default admin and
// binds the listener; Serve (serve.go) runs the server and stops it on a
// signal.
//
// Every bad value is reported as an error naming the variable; nothing here
// panics on input.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// The environment variables the example servers read.
const (
	EnvAddr          = "ADDR"
	EnvSecretKey     = "AUTH_SECRET_KEY"
	EnvDBURL         = "AUTH_DB_URL"
	EnvExpireMinutes = "AUTH_EXPIRE_MINUTES"
	EnvAlgorithm     = "AUTH_ALGORITHM"
	EnvAdminEmail    = "AUTH_ADMIN_EMAIL"
	EnvAdminPassword = "AUTH_ADMIN_PASSWORD"
	EnvBcryptCost    = "AUTH_BCRYPT_COST"
	// EnvTrustedProxies lists the reverse proxies (IP addresses or CIDR
	// networks, comma-separated) whose X-Forwarded-For names the client
	// for login throttling; unset, the connection's address is used.
	EnvTrustedProxies = "AUTH_TRUSTED_PROXIES"
	// EnvDocs turns the Swagger UI page at /auth/docs off ("off") or on
	// ("on", the default).
	EnvDocs = "AUTH_DOCS"
	// EnvSwaggerUIAssets is where the page loads swagger-ui-dist from
	// (default httpapi.DefaultSwaggerUIAssets, a public CDN).
	EnvSwaggerUIAssets = "AUTH_SWAGGER_UI_ASSETS"
	// EnvShutdownTimeout shortens the shutdown grace period; the tests set
	// it so as not to wait ShutdownTimeout for a request that never ends.
	EnvShutdownTimeout = "SHUTDOWN_TIMEOUT"
	// EnvStoreTimeout is the deadline of one store call (a Go duration,
	// default usecase.DefaultStoreTimeout): a database that stops
	// answering makes requests fail with 503 after it.
	EnvStoreTimeout = "AUTH_STORE_TIMEOUT"
	// EnvAllowRemoteDefaultAdmin ("true") accepts the built-in default
	// admin password from any client; by default it is accepted only
	// from the server's own machine until it is changed.
	EnvAllowRemoteDefaultAdmin = "AUTH_ALLOW_REMOTE_DEFAULT_ADMIN"
	// EnvMaxConnections caps the connections served at once (default
	// DefaultMaxConnections); more wait in the kernel's accept queue. One
	// client address may hold a quarter of them (PerClientConnections).
	EnvMaxConnections = "AUTH_MAX_CONNECTIONS"
)

// Defaults for unset variables.
const (
	DefaultAddr          = "127.0.0.1:8000"
	DefaultExpireMinutes = 30
	DefaultAlgorithm     = jwtcodec.DefaultAlgorithm
	DefaultBcryptCost    = bcrypthash.DefaultCost
	// MaxExpireMinutes bounds AUTH_EXPIRE_MINUTES (one year): a longer-lived
	// access token is a configuration mistake.
	MaxExpireMinutes = 365 * 24 * 60
	// MaxShutdownTimeout bounds SHUTDOWN_TIMEOUT.
	MaxShutdownTimeout = 10 * time.Minute
	// MaxStoreTimeout bounds AUTH_STORE_TIMEOUT: it must stay under the
	// request's own deadline (httpapi.DefaultRequestTimeout) for the 503
	// to say why.
	MaxStoreTimeout = httpapi.DefaultRequestTimeout
	// DefaultMaxConnections is AUTH_MAX_CONNECTIONS's default. A
	// connection that has sent 30 KiB of headers and stops (the 32 KiB
	// header limit allows that much) holds about 62 KB of the server's
	// memory: measured on the net/http example, 8000 of them took 485 MB,
	// and with this cap 64 MB (the rest wait in the kernel's accept
	// queue). Put a reverse proxy in front for more.
	DefaultMaxConnections = 1024
	// MaxMaxConnections bounds AUTH_MAX_CONNECTIONS.
	MaxMaxConnections = 1 << 20
)

// keySizes is the minimum secret length, in bytes, of each algorithm.
var keySizes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// Settings are the values read from the environment.
type Settings struct {
	// Addr is the host:port to listen on (ADDR).
	Addr string
	// SecretKey is the HMAC key (AUTH_SECRET_KEY); empty means a random key
	// per process.
	SecretKey []byte
	// DBURL is the database URL for bunstore.Open (AUTH_DB_URL).
	DBURL string
	// TokenTTL is the access tokens' lifetime (AUTH_EXPIRE_MINUTES).
	TokenTTL time.Duration
	// Algorithm is HS256, HS384 or HS512 (AUTH_ALGORITHM).
	Algorithm string
	// AdminEmail and AdminPassword are the seeded admin (AUTH_ADMIN_EMAIL,
	// AUTH_ADMIN_PASSWORD); empty means usecase's defaults.
	AdminEmail    string
	AdminPassword string
	// BcryptCost is the bcrypt cost (AUTH_BCRYPT_COST), 4..31; below 10 only
	// for test setups.
	BcryptCost int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (AUTH_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// Docs serves Swagger UI at /auth/docs (AUTH_DOCS, default on).
	Docs bool
	// SwaggerUIAssets is the swagger-ui-dist folder URL
	// (AUTH_SWAGGER_UI_ASSETS; empty: httpapi's default CDN).
	SwaggerUIAssets string
	// ShutdownTimeout is the grace period for requests in flight once the
	// server is told to stop (SHUTDOWN_TIMEOUT, test-only; default
	// ShutdownTimeout).
	ShutdownTimeout time.Duration
	// StoreTimeout is the deadline of one store call (AUTH_STORE_TIMEOUT).
	StoreTimeout time.Duration
	// AllowRemoteDefaultAdmin accepts the built-in default admin password
	// from any client (AUTH_ALLOW_REMOTE_DEFAULT_ADMIN).
	AllowRemoteDefaultAdmin bool
	// MaxConnections caps the connections served at once
	// (AUTH_MAX_CONNECTIONS).
	MaxConnections int
}

// Parse reads the settings through getenv (os.Getenv in the servers, a map
// in tests). An unset or empty variable takes its default; every bad value
// gives an error naming the variable, all of them joined.
func Parse(getenv func(string) string) (Settings, error) {
	s := Settings{
		Addr:            DefaultAddr,
		DBURL:           bunstore.DefaultURL,
		TokenTTL:        DefaultExpireMinutes * time.Minute,
		Algorithm:       DefaultAlgorithm,
		AdminEmail:      strings.TrimSpace(getenv(EnvAdminEmail)),
		AdminPassword:   getenv(EnvAdminPassword),
		BcryptCost:      DefaultBcryptCost,
		SecretKey:       []byte(getenv(EnvSecretKey)),
		ShutdownTimeout: ShutdownTimeout,
		Docs:            true,
		SwaggerUIAssets: strings.TrimSpace(getenv(EnvSwaggerUIAssets)),
		StoreTimeout:    usecase.DefaultStoreTimeout,
		MaxConnections:  DefaultMaxConnections,
	}
	var errs []error
	bad := func(name, value, why string) {
		errs = append(errs, fmt.Errorf("config: %s=%q: %s", name, value, why))
	}

	if v := strings.TrimSpace(getenv(EnvAddr)); v != "" {
		host, port, err := net.SplitHostPort(v)
		switch {
		case err != nil:
			bad(EnvAddr, v, "want HOST:PORT, such as 127.0.0.1:8000 (port 0 picks a free one)")
		case strings.ContainsAny(host, " /"):
			bad(EnvAddr, v, "the host is not a host name or IP address")
		default:
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				bad(EnvAddr, v, "the port must be a number from 0 to 65535")
			}
		}
		s.Addr = v
	}
	if v := strings.TrimSpace(getenv(EnvDBURL)); v != "" {
		s.DBURL = v // bunstore.Open checks it and names the accepted forms
	}
	if v := strings.TrimSpace(getenv(EnvExpireMinutes)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxExpireMinutes {
			bad(EnvExpireMinutes, v, fmt.Sprintf("want a whole number of minutes from 1 to %d", MaxExpireMinutes))
		} else {
			s.TokenTTL = time.Duration(n) * time.Minute
		}
	}
	if v := strings.TrimSpace(getenv(EnvAlgorithm)); v != "" {
		if _, ok := keySizes[v]; !ok {
			bad(EnvAlgorithm, v, "want HS256, HS384 or HS512")
		} else {
			s.Algorithm = v
		}
	}
	if n := len(s.SecretKey); n > 0 && n < keySizes[s.Algorithm] {
		// The value is a secret: never echo it.
		errs = append(errs, fmt.Errorf("config: %s is %d bytes; %s needs at least %d (or leave it unset for a random key per process)",
			EnvSecretKey, n, s.Algorithm, keySizes[s.Algorithm]))
	}
	if s.AdminEmail != "" {
		if _, err := domain.NormalizeEmail(s.AdminEmail); err != nil {
			bad(EnvAdminEmail, s.AdminEmail, "not a plain email address")
		}
	}
	if s.AdminPassword != "" {
		if err := (domain.PasswordPolicy{}).Check(s.AdminPassword); err != nil {
			// A password is a secret too.
			errs = append(errs, fmt.Errorf("config: %s: %w", EnvAdminPassword, err))
		}
	}
	if v := strings.TrimSpace(getenv(EnvBcryptCost)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < bcrypthash.MinCost || n > bcrypthash.MaxCost {
			bad(EnvBcryptCost, v, fmt.Sprintf("want a number from %d to %d (%d and up outside tests)",
				bcrypthash.MinCost, bcrypthash.MaxCost, bcrypthash.MinProductionCost))
		} else {
			s.BcryptCost = n
		}
	}
	if v := strings.TrimSpace(getenv(EnvTrustedProxies)); v != "" {
		for _, item := range strings.Split(v, ",") {
			p, err := parsePrefix(strings.TrimSpace(item))
			if err != nil {
				bad(EnvTrustedProxies, v, "want IP addresses or CIDR networks separated by commas, such as 10.0.0.0/8,192.0.2.7")
				break
			}
			s.TrustedProxies = append(s.TrustedProxies, p)
		}
	}
	switch v := strings.TrimSpace(getenv(EnvDocs)); v {
	case "", "on":
	case "off":
		s.Docs = false
	default:
		bad(EnvDocs, v, "want on or off")
	}
	if v := strings.TrimSpace(getenv(EnvShutdownTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxShutdownTimeout {
			bad(EnvShutdownTimeout, v, fmt.Sprintf("want a duration such as 1s or 500ms, above 0 and at most %v", MaxShutdownTimeout))
		} else {
			s.ShutdownTimeout = d
		}
	}
	if v := strings.TrimSpace(getenv(EnvStoreTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d >= MaxStoreTimeout {
			bad(EnvStoreTimeout, v, fmt.Sprintf("want a duration such as 5s or 500ms, above 0 and under %v", MaxStoreTimeout))
		} else {
			s.StoreTimeout = d
		}
	}
	switch v := strings.TrimSpace(getenv(EnvAllowRemoteDefaultAdmin)); v {
	case "", "false":
	case "true":
		s.AllowRemoteDefaultAdmin = true
	default:
		bad(EnvAllowRemoteDefaultAdmin, v, "want true or false")
	}
	if v := strings.TrimSpace(getenv(EnvMaxConnections)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMaxConnections {
			bad(EnvMaxConnections, v, fmt.Sprintf("want a whole number from 1 to %d", MaxMaxConnections))
		} else {
			s.MaxConnections = n
		}
	}
	if len(errs) > 0 {
		return Settings{}, errors.Join(errs...)
	}
	return s, nil
}

// parsePrefix parses a CIDR network or a single IP address (as a /32 or
// /128 network).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// NewService builds the use cases on users from s: the bcrypt hasher, the
// token codec and the Service, then seeds the admin (EnsureAdmin). It is
// what a server with its own store calls; Open calls it with bunstore.
func NewService(ctx context.Context, s Settings, users ports.UserRepository, logger *slog.Logger) (*usecase.Service, error) {
	var hashOpts []bcrypthash.Option
	hashOpts = append(hashOpts, bcrypthash.WithLogger(logger))
	if s.BcryptCost < bcrypthash.MinProductionCost {
		logger.Warn("INSECURE: "+EnvBcryptCost+" is below the production minimum; passwords hashed now are quick to brute-force. Use this only for tests.",
			"cost", s.BcryptCost, "min_production_cost", bcrypthash.MinProductionCost)
		hashOpts = append(hashOpts, bcrypthash.AllowLowCost())
	}
	hasher, err := bcrypthash.New(s.BcryptCost, hashOpts...)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", EnvBcryptCost, err)
	}
	tokens, err := jwtcodec.New(jwtcodec.Config{
		Secret:    s.SecretKey,
		Algorithm: s.Algorithm,
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("config: %s/%s: %w", EnvSecretKey, EnvAlgorithm, err)
	}
	svc, err := usecase.New(usecase.Config{
		Users:                   users,
		Hasher:                  hasher,
		Tokens:                  tokens,
		TokenTTL:                s.TokenTTL,
		AdminEmail:              s.AdminEmail,
		AdminPassword:           s.AdminPassword,
		StoreTimeout:            s.StoreTimeout,
		AllowRemoteDefaultAdmin: s.AllowRemoteDefaultAdmin,
		Logger:                  logger,
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// The use cases log the seeding, and warn while the admin keeps the
	// built-in default password.
	if _, err := svc.EnsureAdmin(ctx); err != nil {
		return nil, fmt.Errorf("config: seeding the admin: %w", err)
	}
	return svc, nil
}

// Server is what an example server needs to run.
type Server struct {
	// Settings are the values read from the environment.
	Settings Settings
	// Auth configures the transport (httpauth.Setup, echoauth.Setup, ...).
	Auth httpapi.Config
	// Addr is where to listen (see Listen).
	Addr string
	// Logger is the logger every part was given.
	Logger *slog.Logger
	// Close releases the store. Call it after the HTTP server has stopped;
	// calls after the first return the first one's result.
	Close func() error
}

// Load reads the environment through getenv and prepares a server whose
// users live in bunstore at AUTH_DB_URL.
func Load(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Server, error) {
	s, err := Parse(getenv)
	if err != nil {
		return nil, err
	}
	store, err := bunstore.Open(ctx, s.DBURL, bunstore.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", EnvDBURL, err)
	}
	srv, err := New(ctx, s, store, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	srv.Close = sync.OnceValue(store.Close)
	return srv, nil
}

// New prepares a server from settings already parsed, on any user store.
// Its Close does nothing: the caller owns users.
func New(ctx context.Context, s Settings, users ports.UserRepository, logger *slog.Logger) (*Server, error) {
	svc, err := NewService(ctx, s, users, logger)
	if err != nil {
		return nil, err
	}
	return &Server{
		Settings: s,
		Auth: httpapi.Config{
			Service:         svc,
			Logger:          logger,
			TrustedProxies:  s.TrustedProxies,
			SwaggerUI:       s.Docs,
			SwaggerUIAssets: s.SwaggerUIAssets,
			OpenAPI:         DocumentAppRoutes,
		},
		Addr:   s.Addr,
		Logger: logger,
		Close:  func() error { return nil },
	}, nil
}

// DocumentAppRoutes adds the example servers' own routes to the OpenAPI
// document of the auth routes: GET /orders (any logged-in user),
// GET /admin/stats (administrators) and GET /healthz (public). The first two
// carry the bearer security, so Swagger UI sends the token it got at
// Authorize.
func DocumentAppRoutes(doc *openapi.Document) {
	object := map[string]any{"type": "object"}
	// RequireLogin and RequireAdmin refuse with RFC 9457 problem documents.
	problem := openapi.Problem()
	doc.AddOperation("GET", "/orders", &openapi.Operation{
		OperationID: "listOrders", Summary: "The caller's orders (any logged-in user)", Tags: []string{"app"},
		Security: openapi.Bearer(),
		Responses: map[string]*openapi.Response{
			"200": {Description: "The orders and who asked", Content: openapi.JSON(object)},
			"401": {Description: "Not logged in", Content: problem},
		},
	})
	doc.AddOperation("GET", "/admin/stats", &openapi.Operation{
		OperationID: "adminStats", Summary: "Today's figures (administrators only)", Tags: []string{"app"},
		Security: openapi.Bearer(),
		Responses: map[string]*openapi.Response{
			"200": {Description: "The figures", Content: openapi.JSON(object)},
			"401": {Description: "Not logged in", Content: problem},
			"403": {Description: "Not an administrator, or one who must change the default password first", Content: problem},
		},
	})
	doc.AddOperation("GET", "/healthz", &openapi.Operation{
		OperationID: "health", Summary: "Liveness (public)", Tags: []string{"app"},
		Responses: map[string]*openapi.Response{"200": {Description: `{"status":"ok"}`, Content: openapi.JSON(object)}},
	})
}

// Listen binds addr and only then logs "listening on http://HOST:PORT" with
// the bound address, so ADDR=127.0.0.1:0 reports the port the kernel picked
// and a client that reads the line can connect at once.
//
// The listener serves at most s.MaxConnections connections at once
// (AUTH_MAX_CONNECTIONS; <= 0: no cap): past that, new ones wait in the
// kernel's accept queue until one closes, so a flood of idle or half-sent
// connections cannot take the server's memory. And one client address (an
// IPv6 /64) may hold at most a quarter of them (PerClientConnections); a
// further one is closed at once, so that one client cannot take them all
// and lock everybody else out. The trusted proxies (AUTH_TRUSTED_PROXIES),
// which carry many clients, are exempt.
func Listen(ctx context.Context, s Settings, logger *slog.Logger) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("config: %s=%q: %w", EnvAddr, s.Addr, err)
	}
	if s.MaxConnections > 0 {
		ln = &clientCapListener{
			Listener:  netutil.LimitListener(ln, s.MaxConnections),
			perClient: PerClientConnections(s.MaxConnections),
			trusted:   s.TrustedProxies,
			open:      make(map[netip.Addr]int),
		}
	}
	logger.Info("listening on http://" + ln.Addr().String())
	return ln, nil
}

// PerClientConnections is how many of maxConns connections one client
// address may hold: a quarter, at least one.
func PerClientConnections(maxConns int) int { return max(1, maxConns/4) }

// clientCapListener closes, as soon as it is accepted, a connection from a
// client that already holds perClient of them.
type clientCapListener struct {
	net.Listener
	perClient int
	trusted   []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int // connections open per client (IPv6: its /64)
}

// Accept returns the next connection whose client holds fewer than
// perClient.
func (l *clientCapListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, ok := l.key(c.RemoteAddr())
		if !ok {
			return c, nil
		}
		l.mu.Lock()
		full := l.open[key] >= l.perClient
		if !full {
			l.open[key]++
		}
		l.mu.Unlock()
		if full {
			_ = c.Close()
			continue
		}
		return &clientConn{Conn: c, release: sync.OnceFunc(func() { l.release(key) })}, nil
	}
}

// key returns the client key of addr (an IPv4 address, an IPv6 /64), and
// false for an address the cap does not apply to (a trusted proxy, or one
// that is not an IP address).
func (l *clientCapListener) key(addr net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range l.trusted {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, true
}

func (l *clientCapListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.open[key] - 1; n > 0 {
		l.open[key] = n
	} else {
		delete(l.open, key)
	}
}

// clientConn gives its client's place back when it is closed.
type clientConn struct {
	net.Conn
	release func()
}

// Close closes the connection and gives its place back (once).
func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// NewLogger returns the text logger the example servers write to stderr, and
// makes it slog's default.
func NewLogger() *slog.Logger {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	return logger
}
