// Package authtest is a test kit for applications that use authadmin, in
// the spirit of net/http/httptest: a Service on memory storage with a fast
// hasher and a clock the test moves, users and administrators made in one
// call each, and valid tokens for them signed by the real codec.
//
//	kit := authtest.New()
//	kit.User("ann@example.com")
//	token := kit.Token("ann@example.com", map[string]any{"company_id": "acme"})
//	auth, _ := httpauth.New(kit.HTTPConfig())
//	// ... serve auth.RequireLogin(yourHandler) a request with
//	// "Authorization: Bearer " + token
//
// Like httptest.NewServer, the kit panics when it cannot do what it is
// asked (an email used twice, a claim the codec refuses): in a test that
// is a bug of the test, and the panic names it.
package authtest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// Password is the password of every user the kit makes.
const Password = "authtest-password"

// Kit is a Service ready for tests, with the parts a test reaches for.
type Kit struct {
	// Service runs the use cases on Users, with Hasher, Tokens and Clock.
	Service *usecase.Service
	// Users is the store: a fresh memstore unless WithStore gave another.
	Users ports.UserRepository
	// Tokens is the codec that signs and verifies the Service's tokens,
	// with a random key.
	Tokens *jwtcodec.Codec
	// Clock is the Service's time; tokens minted by Token are issued at
	// Clock.Now.
	Clock *Clock
	// Logger is what every part logs to (discarded unless WithLogger).
	Logger *slog.Logger

	ttl    time.Duration
	hook   usecase.ClaimsFunc
	hasher ports.PasswordHasher
}

// Option changes how New builds the kit.
type Option func(*options)

type options struct {
	users     ports.UserRepository
	logger    *slog.Logger
	configure []func(*usecase.Config)
}

// WithStore makes the kit keep its users in users instead of a fresh
// memstore (to test a store of your own, or bunstore, behind the Service).
func WithStore(users ports.UserRepository) Option {
	return func(o *options) { o.users = users }
}

// WithLogger makes the Service and the codec log to l instead of nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithConfig lets configure change the Service's usecase.Config before it
// is built: a ClaimsHook, a TokenTTL, the hashing limits, another Hasher
// (bcrypt, to measure it; the kit's users are then hashed with it). Users,
// Tokens and Now are the kit's own and must stay (New panics if configure
// replaces one): use WithStore for another store.
func WithConfig(configure func(*usecase.Config)) Option {
	return func(o *options) { o.configure = append(o.configure, configure) }
}

// New returns a kit whose clock starts at the current time, to the second.
// The Service's login and registration limiters are on, as in production;
// tokens from Token do not go through them.
func New(opts ...Option) *Kit {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.users == nil {
		o.users = memstore.New()
	}
	tokens, err := jwtcodec.New(nil, jwtcodec.WithLogger(o.logger)) // random key
	if err != nil {
		panic(fmt.Sprintf("authtest: token codec: %v", err))
	}
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	cfg := usecase.Config{
		Users:  o.users,
		Hasher: Hasher{},
		Tokens: tokens,
		Now:    clock.Now,
		Logger: o.logger,
	}
	for _, configure := range o.configure {
		configure(&cfg)
	}
	if cfg.Users != o.users || cfg.Tokens != ports.TokenCodec(tokens) || cfg.Hasher == nil || cfg.Now == nil {
		panic("authtest: WithConfig must not replace Users, Tokens or Now, nor clear Hasher (use WithStore for another store)")
	}
	svc, err := usecase.New(cfg)
	if err != nil {
		panic(fmt.Sprintf("authtest: %v", err))
	}
	return &Kit{
		Service: svc,
		Users:   o.users,
		Tokens:  tokens,
		Clock:   clock,
		Logger:  o.logger,
		ttl:     cmp.Or(cfg.TokenTTL, usecase.DefaultTokenTTL),
		hook:    cfg.ClaimsHook,
		hasher:  cfg.Hasher,
	}
}

// HTTPConfig returns the configuration a transport needs to serve the kit's
// Service (httpauth.New, echoauth.New, fiberauth.New, or their Setup).
func (k *Kit) HTTPConfig() httpapi.Config {
	return httpapi.Config{Service: k.Service, Logger: k.Logger}
}

// User stores an approved user with Password and returns it.
func (k *Kit) User(email string) domain.User {
	return k.add(email, domain.StatusApproved, false)
}

// Admin stores an approved administrator with Password (not the built-in
// default one, so the admin operations accept it) and returns it.
func (k *Kit) Admin(email string) domain.User {
	return k.add(email, domain.StatusApproved, true)
}

// Pending stores a user who awaits approval, with Password, and returns it.
func (k *Kit) Pending(email string) domain.User {
	return k.add(email, domain.StatusPending, false)
}

func (k *Kit) add(email string, status domain.Status, admin bool) domain.User {
	key, err := domain.NormalizeEmail(email)
	if err != nil {
		panic(fmt.Sprintf("authtest: %q: %v", email, err))
	}
	hash, err := k.hasher.Hash(context.Background(), Password)
	if err != nil {
		panic(err.Error())
	}
	now := k.Clock.Now().UTC().Truncate(time.Microsecond)
	u := domain.User{
		Email:        key,
		PasswordHash: hash,
		IsAdmin:      admin,
		Status:       status,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := k.Users.Create(context.Background(), u); err != nil {
		panic(fmt.Sprintf("authtest: storing %s: %v", key, err))
	}
	u, err = k.Users.FindByEmail(context.Background(), key)
	if err != nil {
		panic(fmt.Sprintf("authtest: reading %s back: %v", key, err))
	}
	return u
}

// Token returns an access token for the stored user email, issued at
// Clock.Now and valid for the Service's TokenTTL: the token Login would
// issue, signed by the same codec, without a password check. Its extra
// claims are those of the configured ClaimsHook, if any, then extra (nil
// for none), which wins, as in Login. Authenticate and RequireLogin accept it while
// the user stays approved and keeps its password.
func (k *Kit) Token(email string, extra map[string]any) string {
	key, err := domain.NormalizeEmail(email)
	if err != nil {
		panic(fmt.Sprintf("authtest: %q: %v", email, err))
	}
	u, err := k.Users.FindByEmail(context.Background(), key)
	if err != nil {
		panic(fmt.Sprintf("authtest: token for %s: %v (make the user first: User, Admin or Pending)", key, err))
	}
	claims, err := k.extraClaims(u, extra)
	if err != nil {
		panic(fmt.Sprintf("authtest: token for %s: %v", key, err))
	}
	issued := k.Clock.Now().UTC().Truncate(time.Second)
	token, err := k.Tokens.Encode(context.Background(), domain.Claims{
		Subject:      u.Email,
		IsAdmin:      u.IsAdmin,
		TokenVersion: u.TokenVersion,
		IssuedAt:     issued,
		ExpiresAt:    issued.Add(k.ttl),
		Extra:        claims,
	})
	if err != nil {
		panic(fmt.Sprintf("authtest: token for %s: %v", key, err))
	}
	return token
}

// extraClaims merges the ClaimsHook's claims for u with extra, extra
// winning.
func (k *Kit) extraClaims(u domain.User, extra map[string]any) (map[string]any, error) {
	if k.hook == nil {
		return extra, nil
	}
	claims, err := k.hook(context.Background(), u)
	if err != nil {
		return nil, fmt.Errorf("ClaimsHook: %w", err)
	}
	merged := make(map[string]any, len(claims)+len(extra))
	maps.Copy(merged, claims)
	maps.Copy(merged, extra)
	return merged, nil
}

// Principal returns the principal the Service makes of Token(email, extra),
// for calling the use cases directly as that user.
func (k *Kit) Principal(email string, extra map[string]any) usecase.Principal {
	p, err := k.Service.Authenticate(context.Background(), k.Token(email, extra))
	if err != nil {
		panic(fmt.Sprintf("authtest: principal for %s: %v", email, err))
	}
	return p
}
