package contracttest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// The fixed settings of every server the suite starts.
const (
	// hashCost is the bcrypt cost of every server (low, for speed).
	hashCost      = 4
	adminEmail    = "boss@example.com"
	adminPassword = "boss-password-1"
	// companyID is 2^53+1, which a float64 cannot hold: it proves that
	// integer claims are kept exact end to end.
	companyID = int64(9007199254740993)
	// userPassword is the password the suite registers users with.
	userPassword = "correct horse"
)

// secret is the HS256 key of every server; the suite signs its own expired
// tokens with it.
var secret = []byte("i23Qi8muDaswHG6V1LxrL9SVMyktw7JdbBiPrVwg")

var discard = slog.New(slog.DiscardHandler)

// options tweak the server a subtest starts.
type options struct {
	prefix       string
	maxBodyBytes int64
	// defaultAdmin leaves the admin's email and password unset, so the
	// admin is admin@admin.com with the built-in default password.
	defaultAdmin bool
	// failingStore makes every store call for failEmail fail with an
	// error that names an internal detail, as a broken database would.
	failingStore bool
	// trustLoopback makes the server trust the suite's connections as a
	// reverse proxy's, so that X-Forwarded-For names the client.
	trustLoopback bool
	// hashSlots, hashWait and hashPerClient set the Service's cap on
	// concurrent hashing and its fair queue (0: the defaults).
	hashSlots     int
	hashWait      time.Duration
	hashPerClient int
	// storeTimeout and requestTimeout set the deadlines of one store call
	// and of one auth route (0: the defaults).
	storeTimeout   time.Duration
	requestTimeout time.Duration
	// stuckStore makes every store call about stuckEmail hang until its
	// context ends, as a database connection that stopped answering
	// would; stuck receives a value as each such call starts.
	stuckStore bool
	// allowRemoteDefaultAdmin accepts the built-in default admin
	// password from any client.
	allowRemoteDefaultAdmin bool
	// refusalHold holds refusals with Retry-After that long (0: none, so
	// that the suite's throttling tests run at full speed).
	refusalHold time.Duration
	// swaggerUI serves the Swagger UI page, with its assets at
	// swaggerUIAssets.
	swaggerUI bool
}

// failEmail is the address a failingStore fails on.
const failEmail = "fail@example.com"

// failCause is the cause of a failingStore's errors: it must reach the
// log, never a response.
const failCause = "dial tcp 10.1.2.3:5432: connection refused"

// stuckEmail is the address a stuckStore hangs on.
const stuckEmail = "stuck@example.com"

// stuckStore wraps a store and makes every call about stuckEmail (every
// call, once all is set) hang until its context ends, then fail with the
// context's error, as a call on a database connection that stopped
// answering does once its deadline passes.
type stuckStore struct {
	ports.UserRepository
	all     *atomic.Bool
	entered chan<- struct{} // a value as each hung call starts
	left    chan<- error    // the context's error as each hung call ends
}

func (s stuckStore) hang(ctx context.Context, email string) error {
	if domain.EmailKey(email) != stuckEmail && !s.all.Load() {
		return nil
	}
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	select {
	case s.left <- ctx.Err():
	default:
	}
	return fmt.Errorf("store: read from 10.1.2.3:5432: %w", ctx.Err())
}

func (s stuckStore) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if err := s.hang(ctx, email); err != nil {
		return domain.User{}, err
	}
	return s.UserRepository.FindByEmail(ctx, email)
}

func (s stuckStore) Create(ctx context.Context, u domain.User) error {
	if err := s.hang(ctx, u.Email); err != nil {
		return err
	}
	return s.UserRepository.Create(ctx, u)
}

// failingStore wraps a store and fails every call about failEmail.
type failingStore struct {
	ports.UserRepository
}

func (f failingStore) fail(email string) error {
	if domain.EmailKey(email) == failEmail {
		return errors.New("store: " + failCause)
	}
	return nil
}

func (f failingStore) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if err := f.fail(email); err != nil {
		return domain.User{}, err
	}
	return f.UserRepository.FindByEmail(ctx, email)
}

func (f failingStore) Create(ctx context.Context, u domain.User) error {
	if err := f.fail(u.Email); err != nil {
		return err
	}
	return f.UserRepository.Create(ctx, u)
}

// server builds a fresh Service, starts the transport on it and returns a
// client for it.
func (s suite) server(t *testing.T, o options) *client {
	t.Helper()
	store := s.newStore(t)
	if o.failingStore {
		store = failingStore{store}
	}
	stuck, unstuck, stuckAll := make(chan struct{}, 16), make(chan error, 16), new(atomic.Bool)
	if o.stuckStore {
		store = stuckStore{UserRepository: store, all: stuckAll, entered: stuck, left: unstuck}
	}
	bcryptHasher, err := bcrypthash.New(hashCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(discard))
	if err != nil {
		t.Fatalf("%s: setup: bcrypthash.New: %v", s.name, err)
	}
	hasher := newCountingHasher(bcryptHasher)
	clock := &offsetClock{}
	logs := &syncBuffer{}
	tokens, err := jwtcodec.New(secret, jwtcodec.WithLogger(discard))
	if err != nil {
		t.Fatalf("%s: setup: jwtcodec.New: %v", s.name, err)
	}
	cfg := usecase.Config{
		Users:                   store,
		Hasher:                  hasher,
		Tokens:                  tokens,
		ClaimsHook:              companyHook,
		Logger:                  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:                     clock.now,
		HashConcurrency:         o.hashSlots,
		HashWait:                o.hashWait,
		HashQueuePerClient:      o.hashPerClient,
		StoreTimeout:            o.storeTimeout,
		AllowRemoteDefaultAdmin: o.allowRemoteDefaultAdmin,
	}
	if !o.defaultAdmin {
		cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	}
	svc, err := usecase.New(cfg)
	if err != nil {
		t.Fatalf("%s: setup: usecase.New: %v", s.name, err)
	}
	if _, err := svc.EnsureAdmin(context.Background()); err != nil {
		t.Fatalf("%s: setup: usecase.Service.EnsureAdmin: %v", s.name, err)
	}
	hasher.reset() // New and EnsureAdmin hashed
	hcfg := httpapi.Config{
		Service:        svc,
		Prefix:         o.prefix,
		MaxBodyBytes:   o.maxBodyBytes,
		RequestTimeout: o.requestTimeout,
		RefusalHold:    cmp.Or(o.refusalHold, -1), // answer at once unless a test checks the hold
		Logger:         cfg.Logger,
	}
	if o.swaggerUI {
		hcfg.SwaggerUI, hcfg.SwaggerUIAssets = true, swaggerUIAssets
	}
	if o.trustLoopback {
		hcfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	base := s.start(t, hcfg)
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, "/") {
		t.Fatalf("%s: Start returned %q, want http://127.0.0.1:PORT", s.name, base)
	}
	// A transport of the client's own, whose idle connections are closed
	// before the server shuts down: fasthttp's Shutdown waits for every
	// connection, including one the client dialled but never used.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	c := &client{
		t:        t,
		name:     s.name,
		base:     base,
		prefix:   cmp.Or(o.prefix, httpapi.DefaultPrefix),
		http:     &http.Client{Timeout: 10 * time.Second, Transport: transport},
		tokens:   tokens,
		hasher:   hasher,
		clock:    clock,
		logs:     logs,
		secrets:  newSecrets(userPassword, adminPassword, usecase.DefaultAdminPassword, string(secret)),
		check:    s.check,
		stuck:    stuck,
		unstuck:  unstuck,
		stuckAll: stuckAll,
	}
	t.Cleanup(transport.CloseIdleConnections)
	t.Cleanup(c.checkLogs)
	return c
}

// companyHook gives approved non-admin users the tenant claim company_id 42.
func companyHook(_ context.Context, u domain.User) (map[string]any, error) {
	if u.IsAdmin || !u.IsApproved() {
		return nil, nil
	}
	return map[string]any{"company_id": companyID}, nil
}
