package authsetup

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// Defaults of the zero Settings fields.
const (
	DefaultAddr            = "127.0.0.1:8000"
	DefaultDBURL           = bunstore.DefaultURL
	DefaultTokenTTL        = usecase.DefaultTokenTTL
	DefaultAlgorithm       = jwtcodec.DefaultAlgorithm
	DefaultBcryptCost      = bcrypthash.DefaultCost
	DefaultShutdownTimeout = 10 * time.Second
	DefaultStoreTimeout    = usecase.DefaultStoreTimeout
	// DefaultMaxConnections is the default cap on the connections served at
	// once: enough for a small service, few enough that connections which
	// stop half-way through their headers cannot take the server's memory.
	// Put a reverse proxy in front for more.
	DefaultMaxConnections = 1024
)

// Bounds of the settings.
const (
	// MaxTokenTTL bounds TokenTTL (one year): a longer-lived access token is
	// a configuration mistake.
	MaxTokenTTL = 365 * 24 * time.Hour
	// MaxShutdownTimeout bounds ShutdownTimeout.
	MaxShutdownTimeout = 10 * time.Minute
	// MaxStoreTimeout bounds StoreTimeout from above (exclusive): a store
	// call must end before the route's own deadline
	// (httpapi.DefaultRequestTimeout) for the 503 to say why.
	MaxStoreTimeout = httpapi.DefaultRequestTimeout
	// MaxMaxConnections bounds MaxConnections.
	MaxMaxConnections = 1 << 20
)

// keySizes is the shortest HMAC key, in bytes, of each algorithm.
var keySizes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// Settings configure New. Every zero field means its default, so
// Settings{} is the original package's setup: users in the SQLite file
// users.db, a random key per process (with a warning), HS256, tokens of 30
// minutes, the admin admin@admin.com / changeme seeded on the first start.
type Settings struct {
	// Addr is the host:port Listen binds (default DefaultAddr); port 0
	// picks a free one.
	Addr string
	// SecretKey is the HMAC key that signs the tokens: at least 32 bytes
	// for HS256 (48 for HS384, 64 for HS512), and random (jwtcodec refuses
	// a guessable one). Empty means a random key per process: a warning is
	// logged, and every restart invalidates the tokens issued.
	SecretKey []byte
	// DBURL is the database bunstore.Open opens (default DefaultDBURL, the
	// file users.db in the working directory). Leave it empty when Users
	// is set.
	DBURL string
	// Users, if set, is the application's own user store, used instead of
	// opening DBURL. The caller owns it: Auth.Close does not close it.
	Users ports.UserRepository
	// TokenTTL is the access tokens' lifetime, from a minute to
	// MaxTokenTTL (default DefaultTokenTTL).
	TokenTTL time.Duration
	// Algorithm is HS256, HS384 or HS512 (default DefaultAlgorithm).
	Algorithm string
	// AdminEmail and AdminPassword are the administrator EnsureAdmin seeds
	// when the store has none (default usecase.DefaultAdminEmail and
	// usecase.DefaultAdminPassword, which must be changed before the admin
	// may act, and by default logs in only from the server's own machine).
	AdminEmail    string
	AdminPassword string
	// BcryptCost is the bcrypt cost, 4 to 31 (default DefaultBcryptCost).
	// Below bcrypthash.MinProductionCost it is accepted with a loud
	// warning: such hashes are quick to brute-force, so use it only in
	// tests.
	BcryptCost int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; they are also exempt from the per-client connection cap.
	TrustedProxies []netip.Prefix
	// DisableDocs turns off the Swagger UI page at /auth/docs (on by
	// default). The OpenAPI document is served either way.
	DisableDocs bool
	// SwaggerUIAssets is the URL of the folder the Swagger UI page loads
	// swagger-ui-dist from (default httpapi.DefaultSwaggerUIAssets).
	SwaggerUIAssets string
	// ShutdownTimeout is how long a stopping server waits for the requests
	// in flight before it cuts them off (default DefaultShutdownTimeout,
	// at most MaxShutdownTimeout).
	ShutdownTimeout time.Duration
	// StoreTimeout is the deadline of one store call (default
	// DefaultStoreTimeout, under MaxStoreTimeout): a database that stops
	// answering makes the request fail with 503 after it.
	StoreTimeout time.Duration
	// AllowRemoteDefaultAdmin accepts the built-in default admin password
	// from any client; by default it is accepted only from the server's
	// own machine until it is changed.
	AllowRemoteDefaultAdmin bool
	// MaxConnections caps the connections Listen serves at once (default
	// DefaultMaxConnections, at most MaxMaxConnections; negative: no cap).
	// See Auth.Listen.
	MaxConnections int
	// ClaimsHook, if set, adds claims of the application's own (a tenant,
	// a role) to every token at login.
	ClaimsHook usecase.ClaimsFunc
	// OpenAPI, if set, edits the OpenAPI document served at
	// /auth/openapi.json: an application documents its own routes there.
	OpenAPI func(*openapi.Document)
	// Logger receives the warnings, the server's life cycle and the causes
	// of 500 responses (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns s with every zero field but SecretKey, Users,
// ClaimsHook and OpenAPI set to its default. DBURL stays empty when Users
// is set.
func (s Settings) withDefaults() Settings {
	setDefault(&s.Addr, DefaultAddr)
	if s.Users == nil {
		setDefault(&s.DBURL, DefaultDBURL)
	}
	setDefault(&s.TokenTTL, DefaultTokenTTL)
	setDefault(&s.Algorithm, DefaultAlgorithm)
	setDefault(&s.AdminEmail, usecase.DefaultAdminEmail)
	setDefault(&s.AdminPassword, usecase.DefaultAdminPassword)
	setDefault(&s.BcryptCost, DefaultBcryptCost)
	setDefault(&s.SwaggerUIAssets, httpapi.DefaultSwaggerUIAssets)
	setDefault(&s.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&s.StoreTimeout, DefaultStoreTimeout)
	setDefault(&s.MaxConnections, DefaultMaxConnections)
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	return s
}

// setDefault sets *v to def if it is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// A SettingError reports one bad setting. New returns them (joined) for
// bad Settings fields, SettingsFromEnv for bad environment variables; each
// names the setting, and none repeats a secret.
type SettingError struct {
	// Name is the setting: a Settings field such as "Settings.TokenTTL",
	// or, from SettingsFromEnv, a variable such as "AUTH_EXPIRE_MINUTES".
	Name string
	// Value is the value as given; empty for a secret (the key, the admin
	// password).
	Value string
	// Reason says what is wrong and what is accepted.
	Reason string
	// Err is the cause when another package found the fault
	// (jwtcodec.ErrWeakSecret, a domain password error), else nil.
	Err error
}

// Error returns "authsetup: NAME=VALUE: REASON" (without the value for a
// secret).
func (e *SettingError) Error() string {
	if e.Value == "" {
		return "authsetup: " + e.Name + ": " + e.Reason
	}
	return fmt.Sprintf("authsetup: %s=%q: %s", e.Name, e.Value, e.Reason)
}

// Unwrap returns Err.
func (e *SettingError) Unwrap() error { return e.Err }

// validate checks s, whose zero fields have their defaults already, and
// returns one error per bad field, named by the field alone ("TokenTTL").
func validate(s Settings) []*SettingError {
	checks := []func(Settings) *SettingError{
		checkAddr, checkStore, checkTokenTTL, checkAlgorithm, checkSecretKey,
		checkAdminEmail, checkAdminPassword, checkBcryptCost, checkTrustedProxies,
		checkShutdownTimeout, checkStoreTimeout, checkMaxConnections,
	}
	var errs []*SettingError
	for _, check := range checks {
		if err := check(s); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func checkAddr(s Settings) *SettingError {
	bad := func(why string) *SettingError { return &SettingError{Name: "Addr", Value: s.Addr, Reason: why} }
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return bad("want HOST:PORT, such as 127.0.0.1:8000 (port 0 picks a free one)")
	}
	if strings.ContainsAny(host, " /") {
		return bad("the host is not a host name or IP address")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad("the port must be a number from 0 to 65535")
	}
	return nil
}

func checkStore(s Settings) *SettingError {
	if s.Users != nil && s.DBURL != "" {
		// The URL may hold a password: never echo it.
		return &SettingError{Name: "DBURL", Reason: "Users is set too: give a database URL or a store, not both"}
	}
	return nil
}

func checkTokenTTL(s Settings) *SettingError {
	if s.TokenTTL < time.Minute || s.TokenTTL > MaxTokenTTL {
		return &SettingError{Name: "TokenTTL", Value: s.TokenTTL.String(),
			Reason: fmt.Sprintf("want a duration from 1m to %v (0: %v)", MaxTokenTTL, DefaultTokenTTL)}
	}
	return nil
}

func checkAlgorithm(s Settings) *SettingError {
	if _, ok := keySizes[s.Algorithm]; !ok {
		return &SettingError{Name: "Algorithm", Value: s.Algorithm, Reason: "want HS256, HS384 or HS512"}
	}
	return nil
}

// checkSecretKey checks the key's length for the algorithm, then has
// jwtcodec judge its strength. The key never appears in the error.
func checkSecretKey(s Settings) *SettingError {
	size, ok := keySizes[s.Algorithm]
	if len(s.SecretKey) == 0 || !ok {
		return nil // a random key; or the algorithm's own error says it
	}
	if len(s.SecretKey) < size {
		return &SettingError{Name: "SecretKey", Reason: fmt.Sprintf(
			"%d bytes; %s needs at least %d (or leave it unset for a random key per process)",
			len(s.SecretKey), s.Algorithm, size)}
	}
	_, err := jwtcodec.New(s.SecretKey, jwtcodec.WithAlgorithm(s.Algorithm), jwtcodec.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return &SettingError{Name: "SecretKey", Reason: err.Error(), Err: err}
	}
	return nil
}

func checkAdminEmail(s Settings) *SettingError {
	if _, err := domain.NormalizeEmail(s.AdminEmail); err != nil {
		return &SettingError{Name: "AdminEmail", Value: s.AdminEmail, Reason: "not a plain email address", Err: err}
	}
	return nil
}

func checkAdminPassword(s Settings) *SettingError {
	if err := (domain.PasswordPolicy{}).Check(s.AdminPassword); err != nil {
		return &SettingError{Name: "AdminPassword", Reason: err.Error(), Err: err}
	}
	return nil
}

func checkBcryptCost(s Settings) *SettingError {
	if s.BcryptCost < bcrypthash.MinCost || s.BcryptCost > bcrypthash.MaxCost {
		return &SettingError{Name: "BcryptCost", Value: strconv.Itoa(s.BcryptCost), Reason: bcryptCostRange}
	}
	return nil
}

// bcryptCostRange is the accepted bcrypt costs, in words.
var bcryptCostRange = fmt.Sprintf("want a number from %d to %d (%d and up outside tests)",
	bcrypthash.MinCost, bcrypthash.MaxCost, bcrypthash.MinProductionCost)

func checkTrustedProxies(s Settings) *SettingError {
	for i, p := range s.TrustedProxies {
		if !p.IsValid() {
			return &SettingError{Name: "TrustedProxies", Value: p.String(), Reason: fmt.Sprintf("entry %d is not a valid network", i)}
		}
	}
	return nil
}

func checkShutdownTimeout(s Settings) *SettingError {
	if s.ShutdownTimeout < 0 || s.ShutdownTimeout > MaxShutdownTimeout {
		return &SettingError{Name: "ShutdownTimeout", Value: s.ShutdownTimeout.String(),
			Reason: fmt.Sprintf("want a duration above 0 and at most %v", MaxShutdownTimeout)}
	}
	return nil
}

func checkStoreTimeout(s Settings) *SettingError {
	if s.StoreTimeout < 0 || s.StoreTimeout >= MaxStoreTimeout {
		return &SettingError{Name: "StoreTimeout", Value: s.StoreTimeout.String(),
			Reason: fmt.Sprintf("want a duration above 0 and under %v", MaxStoreTimeout)}
	}
	return nil
}

func checkMaxConnections(s Settings) *SettingError {
	if s.MaxConnections > MaxMaxConnections {
		return &SettingError{Name: "MaxConnections", Value: strconv.Itoa(s.MaxConnections),
			Reason: fmt.Sprintf("want at most %d (negative: no cap)", MaxMaxConnections)}
	}
	return nil
}
