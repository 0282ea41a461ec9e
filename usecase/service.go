// Package usecase implements authadmin's application rules on top of the
// ports: registration that waits for an administrator's approval, login that
// issues access tokens, token authentication, password changes and the admin
// operations. It depends only on the domain and ports packages, so it can be
// tested with memstore or fakes and driven by any transport.
//
// Authorization is enforced here, not in transports: every admin operation
// takes the acting principal (the Claims returned by Authenticate) and
// refuses a caller who is not, at that moment, an approved administrator.
package usecase

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Defaults for Config's zero values and the paging bounds of ListPending.
const (
	DefaultTokenTTL      = 30 * time.Minute
	DefaultAdminEmail    = "admin@admin.com"
	DefaultAdminPassword = "changeme"
	DefaultPageLimit     = 100
	MaxPageLimit         = 1000
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
	if s.dummyHash, err = s.hasher.Hash(context.Background(), rand.Text()); err != nil {
		return nil, fmt.Errorf("usecase: hash the stand-in password: %w", err)
	}
	return s, nil
}

// audit logs an audit event. Callers pass only non-secret attributes.
func (s *Service) audit(ctx context.Context, event string, attrs ...any) {
	s.log.InfoContext(ctx, "authadmin: "+event, append([]any{"event", event}, attrs...)...)
}

// timestamp is the time stored in CreatedAt and UpdatedAt: UTC, truncated to
// the microsecond that every store keeps.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }
