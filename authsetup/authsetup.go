package authsetup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// Auth is a ready authentication service: the use cases on their store,
// hasher and token codec, with the settings it was built from. Mount it
// with a transport's Setup and HTTPConfig; serve it with ListenAndServe
// (or Serve), which closes the store when the server stops.
//
// New builds an Auth. An Auth written as a literal, on a Service wired by
// hand, serves as well: its Settings' zero fields take their defaults and
// its Close does nothing.
type Auth struct {
	// Service is the use-case layer: Register, Login, Approve, ...
	Service *usecase.Service
	// Settings are the settings New was given, with every zero field but
	// SecretKey (empty: a random key), ClaimsHook and OpenAPI set to its
	// default.
	Settings Settings
	// closeStore closes the store New opened; nil when the caller owns it.
	closeStore func() error
}

// New builds an Auth from s: it checks s (every bad field is a
// *SettingError, all joined), opens the bunstore database at s.DBURL
// unless s.Users is set, builds the bcrypt hasher and the token codec, the
// use cases on them, and seeds the administrator (EnsureAdmin: only when
// the store has none, so a restart never resets it).
//
// It logs a warning for a random key (no SecretKey) and for a bcrypt cost
// below bcrypthash.MinProductionCost. On error nothing stays open.
func New(ctx context.Context, s Settings) (*Auth, error) {
	s = s.withDefaults()
	if errs := validate(s); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, err := range errs {
			err.Name = "Settings." + err.Name
			joined[i] = err
		}
		return nil, errors.Join(joined...)
	}
	a := &Auth{Settings: s}
	users := s.Users
	if users == nil {
		store, err := bunstore.Open(ctx, s.DBURL, bunstore.WithLogger(s.Logger))
		if err != nil {
			return nil, fmt.Errorf("authsetup: opening the user store at DBURL (%s): %w", EnvDBURL, err)
		}
		users, a.closeStore = store, sync.OnceValue(store.Close)
	}
	svc, err := newService(ctx, s, users)
	if err != nil {
		return nil, errors.Join(err, a.Close())
	}
	a.Service = svc
	return a, nil
}

// FromEnv is New on the settings SettingsFromEnv reads from the process's
// environment: the one call an application that follows the original
// package's conventions needs.
func FromEnv(ctx context.Context) (*Auth, error) {
	s, err := SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(ctx, s)
}

// newService builds the hasher, the codec and the use cases on users, and
// seeds the administrator.
func newService(ctx context.Context, s Settings, users ports.UserRepository) (*usecase.Service, error) {
	hashOpts := []bcrypthash.Option{bcrypthash.WithLogger(s.Logger)}
	if s.BcryptCost < bcrypthash.MinProductionCost {
		s.Logger.Warn("INSECURE: the bcrypt cost ("+EnvBcryptCost+") is below the production minimum; passwords hashed now are quick to brute-force. Use this only for tests.",
			"cost", s.BcryptCost, "min_production_cost", bcrypthash.MinProductionCost)
		hashOpts = append(hashOpts, bcrypthash.AllowLowCost())
	}
	hasher, err := bcrypthash.New(s.BcryptCost, hashOpts...)
	if err != nil {
		return nil, fmt.Errorf("authsetup: password hasher: %w", err)
	}
	// jwtcodec logs the warning for a random key.
	tokens, err := jwtcodec.New(s.SecretKey, jwtcodec.WithAlgorithm(s.Algorithm), jwtcodec.WithLogger(s.Logger))
	if err != nil {
		return nil, fmt.Errorf("authsetup: token codec: %w", err)
	}
	svc, err := usecase.New(usecase.Config{
		Users:                   users,
		Hasher:                  hasher,
		Tokens:                  tokens,
		TokenTTL:                s.TokenTTL,
		AdminEmail:              s.AdminEmail,
		AdminPassword:           s.AdminPassword,
		ClaimsHook:              s.ClaimsHook,
		StoreTimeout:            s.StoreTimeout,
		AllowRemoteDefaultAdmin: s.AllowRemoteDefaultAdmin,
		Logger:                  s.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("authsetup: %w", err)
	}
	// The use cases log the seeding, and warn while the admin keeps the
	// built-in default password.
	if _, err := svc.EnsureAdmin(ctx); err != nil {
		return nil, fmt.Errorf("authsetup: seeding the admin: %w", err)
	}
	return svc, nil
}

// HTTPConfig returns the configuration a transport's Setup takes
// (httpauth.Setup, echoauth.Setup, fiberauth.Setup): the Service, the
// logger, the trusted proxies, the Swagger UI page and the OpenAPI hook of
// the settings. Change its other fields (Prefix, limits) before Setup if
// the defaults do not suit.
func (a *Auth) HTTPConfig() httpapi.Config {
	s := a.Settings.withDefaults()
	return httpapi.Config{
		Service:         a.Service,
		Logger:          s.Logger,
		TrustedProxies:  s.TrustedProxies,
		SwaggerUI:       !s.DisableDocs,
		SwaggerUIAssets: s.SwaggerUIAssets,
		OpenAPI:         s.OpenAPI,
	}
}

// Close closes the store New opened; a store given as Settings.Users is
// the caller's to close. Call it once the server has stopped (Serve and
// ListenAndServe do). Calls after the first return the first one's result.
func (a *Auth) Close() error {
	if a.closeStore == nil {
		return nil
	}
	if err := a.closeStore(); err != nil {
		return fmt.Errorf("authsetup: closing the user store: %w", err)
	}
	return nil
}
