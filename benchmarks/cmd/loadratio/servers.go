package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/transport/echoauth"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth"
	"github.com/authadmin/authadmin/usecase"
)

// benchSecret is the HS256 key of every server: authadmin's jwtcodec signs
// and verifies with it, and the peer middlewares verify with it.
const benchSecret = "AELOJahm2aGLiUCgfvRRu063W39ZXkrqwpPCiIFQ"

// The accounts every server is seeded with. The user is an approved,
// non-admin account: the one whose token is measured and who logs in.
const (
	adminEmail    = "admin@loadratio.test"
	adminPassword = "admin-password-loadratio"
	userEmail     = "user@loadratio.test"
	userPassword  = "user-password-loadratio"
)

// The measured routes of every server.
const (
	pathBare      = "/bare"
	pathAuthadmin = "/authadmin"
	pathPeer      = "/peer"
)

// Route names, as they appear in tables and JSON.
const (
	routeBare      = "bare"
	routeAuthadmin = "authadmin"
	routePeer      = "peer"
)

// okJSON is what every measured route answers.
const okJSON = `{"status":"ok"}`

// readyInfo is what a server child prints, as one JSON line, once it
// accepts connections.
type readyInfo struct {
	Framework  string `json:"framework"`
	PID        int    `json:"pid"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// HashConcurrency is the Service's cap on concurrent bcrypt work.
	HashConcurrency int    `json:"hash_concurrency"`
	BcryptCost      int    `json:"bcrypt_cost"`
	Bare            string `json:"bare"`
	Authadmin       string `json:"authadmin"`
	Peer            string `json:"peer"`
	Login           string `json:"login"`
	// Token is the approved user's access token, issued by authadmin's
	// login.
	Token string `json:"token"`
	// Hash is the approved user's stored bcrypt hash (for the bare
	// comparison of the login mode).
	Hash string `json:"hash"`
}

// URL returns the URL of the named route.
func (r readyInfo) URL(route string) string {
	switch route {
	case routeBare:
		return r.Bare
	case routeAuthadmin:
		return r.Authadmin
	default:
		return r.Peer
	}
}

// fixture is an authadmin Service on memstore with an approved user logged
// in.
type fixture struct {
	svc   *usecase.Service
	token string
	hash  string
}

// serviceSettings are the Service settings a server child is started with;
// zero values are the library's defaults.
type serviceSettings struct {
	bcryptCost      int
	tokenCacheSize  int // usecase.Config.TokenCacheSize
	hashConcurrency int // usecase.Config.HashConcurrency
}

// newFixture builds the Service (bcrypt at set.bcryptCost, jwtcodec HS256
// with benchSecret, memstore, set's TokenCacheSize and HashConcurrency, a
// MemoryLimiter that lets every guess through, usecase.Config defaults
// otherwise), seeds the
// admin, registers the user, has the admin approve it and logs the user in.
func newFixture(ctx context.Context, set serviceSettings, logger *slog.Logger) (*fixture, error) {
	cost := set.bcryptCost
	hashOpts := []bcrypthash.Option{bcrypthash.WithLogger(logger)}
	if cost < bcrypthash.MinProductionCost {
		hashOpts = append(hashOpts, bcrypthash.AllowLowCost())
	}
	hasher, err := bcrypthash.New(cost, hashOpts...)
	if err != nil {
		return nil, fmt.Errorf("bcrypt hasher: %w", err)
	}
	tokens, err := jwtcodec.New([]byte(benchSecret), jwtcodec.WithAlgorithm("HS256"), jwtcodec.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("token codec: %w", err)
	}
	store := memstore.New()
	svc, err := usecase.New(usecase.Config{
		Users:           store,
		Hasher:          hasher,
		Tokens:          tokens,
		AdminEmail:      adminEmail,
		AdminPassword:   adminPassword,
		TokenCacheSize:  set.tokenCacheSize,
		HashConcurrency: set.hashConcurrency,
		// The default limiter, with no limit: a login counts as a failed
		// guess while its password is compared, so more than 5 logins in
		// flight from the load client would be throttled (429) and the
		// login and flood modes would measure refusals. The bookkeeping
		// is the same; RequireLogin never consults the limiter.
		Limiter: usecase.NewMemoryLimiter(unlimitedGuesses()),
		Logger:  logger,
	})
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if _, err := svc.EnsureAdmin(ctx); err != nil {
		return nil, fmt.Errorf("seeding the admin: %w", err)
	}
	adminTok, err := svc.Login(ctx, usecase.LoginRequest{Email: adminEmail, Password: adminPassword})
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	admin, err := svc.Authenticate(ctx, adminTok.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	if _, err := svc.Register(ctx, userEmail, userPassword); err != nil {
		return nil, fmt.Errorf("registering the user: %w", err)
	}
	if _, err := svc.Approve(ctx, admin, userEmail); err != nil {
		return nil, fmt.Errorf("approving the user: %w", err)
	}
	tok, err := svc.Login(ctx, usecase.LoginRequest{Email: userEmail, Password: userPassword})
	if err != nil {
		return nil, fmt.Errorf("user login: %w", err)
	}
	u, err := store.FindByEmail(ctx, userEmail)
	if err != nil {
		return nil, fmt.Errorf("reading the user back: %w", err)
	}
	return &fixture{svc: svc, token: tok.AccessToken, hash: u.PasswordHash}, nil
}

// runningServer is a server started by startServer.
type runningServer struct {
	info     readyInfo
	shutdown func(context.Context) error
	// done receives the serve loop's result once it ends.
	done <-chan error
}

// Stop shuts the server down, waiting at most timeout for requests in
// flight, and returns the first error of the shutdown or the serve loop.
func (s *runningServer) Stop(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.shutdown(ctx)
	select {
	case serr := <-s.done:
		if serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("the server did not stop within %v", timeout))
	}
	if err != nil {
		return fmt.Errorf("stopping the %s server: %w", s.info.Framework, err)
	}
	return nil
}

// startServer builds the fixture and the framework's server with the three
// measured routes and authadmin's auth routes (at httpapi.DefaultPrefix),
// listening on an ephemeral port of 127.0.0.1.
func startServer(ctx context.Context, framework string, set serviceSettings, logger *slog.Logger) (*runningServer, error) {
	fx, err := newFixture(ctx, set, logger)
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", framework, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s server: listen: %w", framework, err)
	}
	cfg := httpapi.Config{Service: fx.svc, Logger: logger}
	done := make(chan error, 1)
	var shutdown func(context.Context) error
	switch framework {
	case fwNetHTTP, fwEcho:
		var h http.Handler
		if framework == fwNetHTTP {
			h, err = newNetHTTPHandler(cfg)
		} else {
			h, err = newEchoHandler(cfg)
		}
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("%s server: %w", framework, err)
		}
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		go func() { done <- srv.Serve(ln) }()
		shutdown = srv.Shutdown
	case fwFiber:
		app, err := newFiberApp(cfg)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("%s server: %w", framework, err)
		}
		go func() { done <- app.Listener(ln) }()
		shutdown = app.ShutdownWithContext
	default:
		ln.Close()
		return nil, fmt.Errorf("unknown framework %q", framework)
	}
	base := "http://" + ln.Addr().String()
	return &runningServer{
		info: readyInfo{
			Framework:       framework,
			PID:             os.Getpid(),
			GOMAXPROCS:      runtime.GOMAXPROCS(0),
			HashConcurrency: cmp.Or(set.hashConcurrency, usecase.DefaultHashConcurrency()),
			BcryptCost:      set.bcryptCost,
			Bare:            base + pathBare,
			Authadmin:       base + pathAuthadmin,
			Peer:            base + pathPeer,
			Login:           base + httpapi.DefaultPrefix + "/login",
			Token:           fx.token,
			Hash:            fx.hash,
		},
		shutdown: shutdown,
		done:     done,
	}, nil
}

// newNetHTTPHandler is the net/http server: a ServeMux with the auth routes,
// /bare, /authadmin behind httpauth's RequireLogin and /peer behind the
// golang-jwt middleware of peer.go.
func newNetHTTPHandler(cfg httpapi.Config) (http.Handler, error) {
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, cfg)
	if err != nil {
		return nil, fmt.Errorf("httpauth.Setup: %w", err)
	}
	body := []byte(okJSON)
	mux.HandleFunc("GET "+pathBare, func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, body)
	})
	mux.Handle("GET "+pathAuthadmin, auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		writeSubject(w, body, claims.Subject)
	})))
	mux.Handle("GET "+pathPeer, peerJWT([]byte(benchSecret))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeSubject(w, body, peerSubject(r.Context()))
	})))
	return mux, nil
}

// writeOK writes body (okJSON) with status 200.
func writeOK(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeSubject writes body if the middleware delivered a subject, and a
// 500 otherwise (which the route check and wrk's non-2xx count catch).
func writeSubject(w http.ResponseWriter, body []byte, subject string) {
	if subject == "" {
		http.Error(w, "no subject in the context", http.StatusInternalServerError)
		return
	}
	writeOK(w, body)
}

// newEchoHandler is the Echo server: the auth routes, /bare, /authadmin
// behind echoauth's RequireLogin and /peer behind echo-jwt.
func newEchoHandler(cfg httpapi.Config) (http.Handler, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	auth, err := echoauth.Setup(e, cfg)
	if err != nil {
		return nil, fmt.Errorf("echoauth.Setup: %w", err)
	}
	peer, err := echoPeer([]byte(benchSecret))
	if err != nil {
		return nil, err
	}
	body := []byte(okJSON)
	e.GET(pathBare, func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, body)
	})
	e.GET(pathAuthadmin, func(c echo.Context) error {
		claims, _ := echoauth.ClaimsFrom(c)
		return echoSubject(c, body, claims.Subject)
	}, auth.RequireLogin())
	e.GET(pathPeer, func(c echo.Context) error {
		return echoSubject(c, body, echoPeerSubject(c))
	}, peer)
	return e, nil
}

// echoSubject is writeSubject for Echo.
func echoSubject(c echo.Context, body []byte, subject string) error {
	if subject == "" {
		return echo.NewHTTPError(http.StatusInternalServerError, "no subject in the context")
	}
	return c.JSONBlob(http.StatusOK, body)
}

// newFiberApp is the Fiber app (configured with fiberauth.AppConfig): the
// auth routes, /bare, /authadmin behind fiberauth's RequireLogin and /peer
// behind gofiber/contrib/jwt.
func newFiberApp(cfg httpapi.Config) (*fiber.App, error) {
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	auth, err := fiberauth.Setup(app, cfg)
	if err != nil {
		return nil, fmt.Errorf("fiberauth.Setup: %w", err)
	}
	body := []byte(okJSON)
	app.Get(pathBare, func(c *fiber.Ctx) error {
		return fiberOK(c, body)
	})
	app.Get(pathAuthadmin, auth.RequireLogin(), func(c *fiber.Ctx) error {
		claims, _ := fiberauth.ClaimsFrom(c)
		return fiberSubject(c, body, claims.Subject)
	})
	app.Get(pathPeer, fiberPeer([]byte(benchSecret)), func(c *fiber.Ctx) error {
		return fiberSubject(c, body, fiberPeerSubject(c))
	})
	return app, nil
}

// fiberOK writes body (okJSON) with status 200.
func fiberOK(c *fiber.Ctx, body []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusOK).Send(body)
}

// fiberSubject is writeSubject for Fiber.
func fiberSubject(c *fiber.Ctx, body []byte, subject string) error {
	if subject == "" {
		return fiber.NewError(fiber.StatusInternalServerError, "no subject in the context")
	}
	return fiberOK(c, body)
}

// unlimitedGuesses is a throttling policy under which no guess ever waits.
func unlimitedGuesses() usecase.ThrottlePolicy {
	free := usecase.Backoff{Free: math.MaxInt32, Base: time.Second}
	return usecase.ThrottlePolicy{Pair: free, Account: free, Client: free}
}
