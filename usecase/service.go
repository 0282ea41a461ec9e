// Package usecase implements authadmin's application rules on top of the
// ports: registration that waits for an administrator's approval, login that
// issues access tokens, token authentication, password changes and the admin
// operations. It depends only on the domain and ports packages, so it can be
// tested with memstore or fakes and driven by any transport.
//
// Authorization is enforced here, not in transports: every admin operation
// takes the acting principal (the Principal returned by Authenticate) and
// refuses a caller who is not, at that moment, an approved administrator.
//
// A transport tells the use cases where a request comes from with
// WithClient; invalid input is reported as a *domain.ValidationError.
package usecase

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Defaults for Config's zero values and the paging bounds of ListPending.
const (
	DefaultTokenTTL       = 30 * time.Minute
	DefaultAdminEmail     = "admin@admin.com"
	DefaultAdminPassword  = "changeme"
	DefaultPageLimit      = 100
	MaxPageLimit          = 1000
	DefaultUserCacheTTL   = 5 * time.Second
	DefaultUserCacheSize  = 100_000
	DefaultTokenCacheSize = 10_000
	DefaultHashWait       = 2 * time.Second
	DefaultStoreTimeout   = 5 * time.Second
)

// maxWriteAttempts bounds the read-modify-write retries on domain.ErrConflict.
const maxWriteAttempts = 16

// ClaimsFunc returns extra claims for a user who has just proved their
// password; Login adds them to the token. It is how an HTTP login can issue
// tenant claims such as company_id or role.
type ClaimsFunc func(ctx context.Context, u domain.User) (map[string]any, error)

// Config holds a Service's dependencies and settings. Users, Hasher and
// Tokens are required; every other zero value means the documented default.
type Config struct {
	// Users stores the accounts.
	Users ports.UserRepository
	// Hasher hashes and checks passwords.
	Hasher ports.PasswordHasher
	// Tokens signs and verifies access tokens.
	Tokens ports.TokenCodec

	// TokenTTL is how long an access token lives (default 30 minutes).
	TokenTTL time.Duration
	// PasswordPolicy is the rule for new passwords (default: at least 8
	// characters; never more than 72 bytes).
	PasswordPolicy domain.PasswordPolicy
	// AdminEmail and AdminPassword are the account EnsureAdmin seeds
	// (default admin@admin.com / changeme). A configured password must meet
	// PasswordPolicy.
	AdminEmail    string
	AdminPassword string
	// ClaimsHook, if set, runs on every successful login and adds its
	// claims to the token. Claims passed to Login directly win over it.
	ClaimsHook ClaimsFunc
	// Limiter throttles password guessing: logins and the current-password
	// check of ChangePassword (default NewMemoryLimiter(ThrottlePolicy{}),
	// which throttles within this process only).
	Limiter ports.LoginLimiter
	// Registrations bounds how fast clients register accounts (default
	// NewMemoryRegistrationLimiter(RegistrationPolicy{}): 10 per client at
	// once, then one every 10 s; 200 in total, then one a second). Only
	// registrations whose context carries a client (WithClient; the HTTP
	// transports set it on every request) are throttled: an application
	// registering users itself is not.
	Registrations ports.RegistrationLimiter
	// AllowRemoteDefaultAdmin lets an administrator who still has the
	// built-in default password log in from any client. By default that
	// password is accepted, until it is changed, only from the server's
	// own machine: a login whose context carries a Client with Local set
	// (WithClient; the HTTP transports set it for a loopback client). From
	// elsewhere, and from a context without a client, the right password
	// gets domain.ErrDefaultPasswordRemote.
	AllowRemoteDefaultAdmin bool

	// HashConcurrency caps the password hashes and comparisons that run at
	// once (default DefaultHashConcurrency(): GOMAXPROCS-1, at least 1 and
	// at most NumCPU), so that a flood of logins or registrations leaves
	// CPU to the rest of the application.
	HashConcurrency int
	// HashWait is how long a call waits for a hashing slot before it is
	// refused with domain.ErrOverloaded (default 2 s).
	HashWait time.Duration
	// HashQueue is how many calls may wait for a slot at once, beyond the
	// ones hashing (default 64 per slot). When it is full, a call from a
	// client with fewer calls than the client with the longest queue takes
	// the place of that client's newest waiter; otherwise it is refused at
	// once.
	HashQueue int
	// HashQueuePerClient is how many calls of one client, and how many for
	// one account, may be in the hashing gate at once, waiting or running
	// (default 4 per slot); more are refused at once. Slots go to the
	// clients in turn, clients that had nothing waiting first, so one
	// client's flood gets its share and no more.
	HashQueuePerClient int

	// StoreTimeout is the deadline of every call to Users and to the
	// limiters (default DefaultStoreTimeout, 5 s). A call that passes it
	// fails with a *domain.RetryError wrapping domain.ErrStoreUnavailable
	// (HTTP 503), so a database that stops answering holds a request for
	// at most this long. Negative: no deadline of the Service's own.
	StoreTimeout time.Duration

	// UserCacheTTL is how long Authenticate may rely on a user's state
	// (status, admin flag, token version) read earlier, instead of reading
	// the store (default DefaultUserCacheTTL). This process forgets a
	// user's entry when it changes that user, so there its rejections and
	// password changes take effect at once; a change made by another
	// instance takes effect here after at most UserCacheTTL. Negative:
	// no cache, the store is read on every Authenticate.
	UserCacheTTL time.Duration
	// UserCacheSize bounds the users cached (default DefaultUserCacheSize).
	UserCacheSize int
	// TokenCacheSize bounds the verified-token cache, in entries of a token
	// and its claims (a few hundred bytes for the tokens Login issues;
	// tokens over 2 KiB are never cached). Authenticate remembers each
	// token the codec accepted until the token's expiry, and takes the
	// claims of a token presented again from the cache instead of verifying
	// it again; the user's state is still checked on every call, so
	// rejection, password changes and revocation are unaffected. The key is
	// the exact token: the context is not part of it.
	//
	// Zero means DefaultTokenCacheSize when Tokens is a
	// ports.StableTokenCodec whose StableVerdicts reports true (jwtcodec's
	// Codec is), and no cache for other codecs, whose verdict may depend
	// on the context or change before the token expires (a deny-list, key
	// rotation). Positive turns the cache on for any codec: only do that
	// for a codec that keeps StableTokenCodec's promise. Negative: no
	// cache, every Authenticate calls Tokens.Decode.
	TokenCacheSize int
	// StatelessTokens makes Authenticate accept a valid non-admin token
	// without looking up its user: a rejection or password change then
	// takes effect in RequireLogin only when the token expires.
	// Administrators' tokens are still checked, and so are all tokens on
	// the HTTP contract's own endpoints.
	StatelessTokens bool

	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Logger receives audit events and warnings (default slog.Default()).
	// Passwords, hashes and tokens are never logged.
	Logger *slog.Logger
}

// Service runs the use cases. It is safe for concurrent use.
type Service struct {
	users     ports.UserRepository
	hasher    ports.PasswordHasher
	tokens    ports.TokenCodec
	ttl       time.Duration
	policy    domain.PasswordPolicy
	admin     string
	adminPass string
	hook      ClaimsFunc
	now       func() time.Time
	log       *slog.Logger
	limiter   ports.LoginLimiter
	signups   ports.RegistrationLimiter
	gate      *hashGate
	cache     *userCache  // nil: no cache
	verified  *tokenCache // nil: no cache
	stateless bool
	// remoteDefaultAdmin is Config.AllowRemoteDefaultAdmin.
	remoteDefaultAdmin bool

	// throttledLog rate-limits the login_throttled audit event, which an
	// attacker could otherwise make at no cost to fill the log.
	throttledLog struct {
		sync.Mutex
		last       time.Time
		suppressed int
	}

	// dummyHash is compared against when a login names an unknown email, so
	// that it costs the same as a wrong password.
	dummyHash string
}

// New checks cfg, fills in defaults and returns a Service. It hashes one
// random password with cfg.Hasher (the stand-in compared against for unknown
// emails), so it takes as long as one hash.
func New(cfg Config) (*Service, error) {
	if cfg.Users == nil || cfg.Hasher == nil || cfg.Tokens == nil {
		return nil, errors.New("usecase: Config needs Users, Hasher and Tokens")
	}
	if cfg.TokenTTL < 0 {
		return nil, fmt.Errorf("usecase: negative TokenTTL %v", cfg.TokenTTL)
	}
	if err := cfg.PasswordPolicy.Validate(); err != nil {
		return nil, fmt.Errorf("usecase: %w", err)
	}
	s := &Service{
		users:     cfg.Users,
		hasher:    cfg.Hasher,
		tokens:    cfg.Tokens,
		ttl:       cmp.Or(cfg.TokenTTL, DefaultTokenTTL),
		policy:    cfg.PasswordPolicy,
		adminPass: cmp.Or(cfg.AdminPassword, DefaultAdminPassword),
		hook:      cfg.ClaimsHook,
		now:       cfg.Now,
		log:       cfg.Logger,
	}
	if err := s.configureHardening(cfg); err != nil {
		return nil, err
	}
	if s.ttl < time.Second {
		return nil, fmt.Errorf("usecase: TokenTTL %v is under one second", s.ttl)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	admin, err := domain.NormalizeEmail(cmp.Or(cfg.AdminEmail, DefaultAdminEmail))
	if err != nil {
		return nil, fmt.Errorf("usecase: AdminEmail: %w", err)
	}
	s.admin = admin
	// The built-in default is allowed (the admin must change it before any
	// admin operation); a configured password must meet the policy.
	if s.adminPass != DefaultAdminPassword {
		if err := s.policy.Check(s.adminPass); err != nil {
			return nil, fmt.Errorf("usecase: AdminPassword: %w", err)
		}
	}
	if s.dummyHash, err = s.hash(context.Background(), gateKey{}, rand.Text()); err != nil {
		return nil, fmt.Errorf("usecase: hash the stand-in password: %w", err)
	}
	return s, nil
}

// configureHardening sets up the limiter, the hashing cap and the user
// cache from cfg.
func (s *Service) configureHardening(cfg Config) error {
	if cfg.HashConcurrency < 0 || cfg.HashWait < 0 || cfg.HashQueue < 0 || cfg.HashQueuePerClient < 0 || cfg.UserCacheSize < 0 {
		return errors.New("usecase: HashConcurrency, HashWait, HashQueue, HashQueuePerClient and UserCacheSize must not be negative")
	}
	switch stable, _ := cfg.Tokens.(ports.StableTokenCodec); {
	case cfg.TokenCacheSize > 0:
		s.verified = newTokenCache(cfg.TokenCacheSize)
	case cfg.TokenCacheSize == 0 && stable != nil && stable.StableVerdicts():
		s.verified = newTokenCache(DefaultTokenCacheSize)
	}
	limit := deadline(cmp.Or(cfg.StoreTimeout, DefaultStoreTimeout))
	if limit > 0 {
		s.users = timedStore{users: s.users, limit: limit}
	}
	s.limiter, s.signups = cfg.Limiter, cfg.Registrations
	if s.limiter == nil {
		s.limiter = NewMemoryLimiter(ThrottlePolicy{})
	}
	if s.signups == nil {
		s.signups = NewMemoryRegistrationLimiter(RegistrationPolicy{})
	}
	if limit > 0 {
		s.limiter = timedLimiter{limiter: s.limiter, limit: limit}
		s.signups = timedRegistrations{limiter: s.signups, limit: limit}
	}
	slots := cmp.Or(cfg.HashConcurrency, DefaultHashConcurrency())
	s.gate = newHashGate(slots, cmp.Or(cfg.HashWait, DefaultHashWait), cmp.Or(cfg.HashQueue, 64*slots),
		cmp.Or(cfg.HashQueuePerClient, 4*slots))
	if cfg.UserCacheTTL >= 0 {
		s.cache = newUserCache(cmp.Or(cfg.UserCacheTTL, DefaultUserCacheTTL), cmp.Or(cfg.UserCacheSize, DefaultUserCacheSize))
	}
	s.stateless = cfg.StatelessTokens
	s.remoteDefaultAdmin = cfg.AllowRemoteDefaultAdmin
	return nil
}

// hash hashes password in a hashing slot, on behalf of key.
func (s *Service) hash(ctx context.Context, key gateKey, password string) (string, error) {
	return s.hashAdmitted(ctx, key, password, func() error { return nil })
}

// hashAdmitted is hash with a check that runs once the hashing gate has
// admitted the call and before it waits for a slot (a registration's
// limiter), so that a call the gate refuses is never counted.
func (s *Service) hashAdmitted(ctx context.Context, key gateKey, password string, admitted func() error) (string, error) {
	pass, err := s.gate.admit(key)
	if err != nil {
		return "", err
	}
	defer pass.done()
	if err := admitted(); err != nil {
		return "", err
	}
	if err := pass.acquire(ctx); err != nil {
		return "", err
	}
	return s.hasher.Hash(ctx, password)
}

// auditThrottled logs a login_throttled event, at most one a second; the
// next one logged says how many were left out in between.
func (s *Service) auditThrottled(ctx context.Context, a ports.LoginAttempt, op string, wait time.Duration) {
	now := s.now()
	l := &s.throttledLog
	l.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < time.Second {
		l.suppressed++
		l.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.Unlock()
	s.audit(ctx, "login_throttled", withClient(a.Client, "email", a.Account, "operation", op,
		"retry_after", wait, "suppressed_before", suppressed)...)
}

// forget drops a user the Service has just written from the user cache.
func (s *Service) forget(email string) {
	if s.cache != nil {
		s.cache.forget(email)
	}
}

// audit logs an audit event. Callers pass only non-secret attributes.
func (s *Service) audit(ctx context.Context, event string, attrs ...any) {
	s.log.InfoContext(ctx, "authadmin: "+event, append([]any{"event", event}, attrs...)...)
}

// timestamp is the time stored in CreatedAt and UpdatedAt: UTC, truncated to
// the microsecond that every store keeps.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// DefaultHashConcurrency is Config.HashConcurrency's default: one less than
// runtime.GOMAXPROCS(0), at least one, and no more than runtime.NumCPU().
// The P left free of hashing keeps serving the other routes through a
// flood of logins; to hash on every core as well, run with
// GOMAXPROCS=NumCPU+1.
func DefaultHashConcurrency() int {
	return max(1, min(runtime.GOMAXPROCS(0)-1, runtime.NumCPU()))
}
