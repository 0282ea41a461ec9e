package usecase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// LoginRequest is what Login needs: the credentials and, optionally, extra
// claims to put in the token. Where the attempt comes from is the client
// the context carries (WithClient).
type LoginRequest struct {
	// Email is the account's email, in any letter case.
	Email string
	// Password is the password to check.
	Password string
	// ExtraClaims are added to the token after those of Config.ClaimsHook,
	// overriding them key by key. Reserved names are refused
	// (domain.ErrReservedClaim).
	ExtraClaims map[string]any
}

// Token is an issued access token.
type Token struct {
	// AccessToken is the signed token to send as "Authorization: Bearer".
	AccessToken string
	// TokenType is always "bearer" (OAuth2's token_type).
	TokenType string
	// ExpiresIn is the token's lifetime from issue (OAuth2's expires_in).
	ExpiresIn time.Duration
	// Claims are the token's claims.
	Claims domain.Claims
}

// Login checks the credentials and issues a token.
//
// An unknown email and a wrong password give the same error,
// domain.ErrInvalidCredentials, after the same work: an unknown email still
// pays one hash comparison. Only once the password is verified does Login
// reveal that the account is pending (domain.ErrAccountPending) or rejected
// (domain.ErrAccountRejected), or that the built-in default admin password
// was sent from another machine (domain.ErrDefaultPasswordRemote).
//
// Before any of that, the Limiter may refuse the attempt with a
// *domain.RetryError wrapping domain.ErrTooManyAttempts, whatever the
// password, without reading the store or comparing it. A comparison that
// finds no free hashing slot in time fails with one wrapping
// domain.ErrOverloaded, and a store that does not answer within
// Config.StoreTimeout with one wrapping domain.ErrStoreUnavailable. The
// store is read outside the hashing slot, so a stuck database holds no
// slot.
//
// An email that is not a valid address, or a password that is empty or
// over domain.MaxPasswordBytes, is a *domain.ValidationError (wrapped),
// refused before any of that.
//
// The attempt is throttled and audited under the client the context
// carries (WithClient); a context without one is a remote client whose
// address is unknown.
func (s *Service) Login(ctx context.Context, req LoginRequest) (Token, error) {
	if err := domain.CheckExtraClaims(req.ExtraClaims); err != nil {
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	email, err := domain.NormalizeEmail(req.Email)
	if err != nil {
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	if err := domain.CheckPasswordInput(req.Password); err != nil {
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	client, _ := clientFrom(ctx)
	attempt := ports.LoginAttempt{Account: email, Client: client.Address}
	var u domain.User
	known := false
	err = s.guess(ctx, attempt, "login", req.Password, func() (string, error) {
		var err error
		u, err = s.users.FindByEmail(ctx, email)
		switch {
		case errors.Is(err, domain.ErrUserNotFound):
			// Pay for one comparison, as a wrong password would, then
			// fail the same way.
			return s.dummyHash, nil
		case err != nil:
			return "", err
		}
		known = true
		return u.PasswordHash, nil
	})
	switch {
	case errors.Is(err, domain.ErrPasswordMismatch), err == nil && !known:
		return Token{}, s.loginFailed(ctx, attempt)
	case err != nil:
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	s.passwordVerified(ctx, attempt)
	if s.hasher.NeedsRehash(u.PasswordHash) {
		// Pending and rejected accounts too: every account converges on
		// the configured cost, not only those that log in.
		u = s.rehash(ctx, attempt, u, req.Password)
	}
	if err := s.mayLogIn(ctx, u, client); err != nil {
		return Token{}, err
	}
	extra, err := s.extraClaims(ctx, u, req.ExtraClaims)
	if err != nil {
		return Token{}, err
	}
	issued := s.now().UTC().Truncate(time.Second)
	claims := domain.Claims{
		Subject:      u.Email,
		IsAdmin:      u.IsAdmin,
		TokenVersion: u.TokenVersion,
		IssuedAt:     issued,
		ExpiresAt:    issued.Add(s.ttl).Truncate(time.Second),
		Extra:        extra,
	}
	access, err := s.tokens.Encode(ctx, claims)
	if err != nil {
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	s.audit(ctx, "login_succeeded", withClient(client.Address, "email", email)...)
	return Token{
		AccessToken: access,
		TokenType:   "bearer",
		ExpiresIn:   claims.ExpiresAt.Sub(claims.IssuedAt),
		Claims:      claims,
	}, nil
}

// mayLogIn applies the rules a verified password must still pass: the
// account is approved, and an administrator with the built-in default
// password logs in from the server's own machine (unless
// Config.AllowRemoteDefaultAdmin).
func (s *Service) mayLogIn(ctx context.Context, u domain.User, client Client) error {
	switch {
	case u.Status == domain.StatusPending:
		s.audit(ctx, "login_refused", withClient(client.Address, "email", u.Email, "status", u.Status)...)
		return domain.ErrAccountPending
	case !u.IsApproved():
		s.audit(ctx, "login_refused", withClient(client.Address, "email", u.Email, "status", u.Status)...)
		return domain.ErrAccountRejected
	case u.IsAdmin && u.MustChangePassword && !client.Local && !s.remoteDefaultAdmin:
		s.audit(ctx, "login_refused", withClient(client.Address, "email", u.Email, "reason", "default admin password from a remote client")...)
		return domain.ErrDefaultPasswordRemote
	}
	return nil
}

// loginFailed records a failed login and returns the one error an unknown
// email and a wrong password share. (The limiter counted the failure right
// before the comparison.)
func (s *Service) loginFailed(ctx context.Context, a ports.LoginAttempt) error {
	s.audit(ctx, "login_failed", withClient(a.Client, "email", a.Account)...)
	return domain.ErrInvalidCredentials
}

// rehash replaces u's password hash by one made with the hasher's current
// parameters, so that accounts converge on the configured cost, and
// returns u as stored afterwards. It is best effort: on any failure (a
// concurrent change included) the login goes on with u as it was, and a
// later login tries again.
func (s *Service) rehash(ctx context.Context, a ports.LoginAttempt, u domain.User, password string) domain.User {
	hash, err := s.hash(ctx, gateKey{client: a.Client, account: a.Account}, password)
	if err == nil {
		next := u
		next.PasswordHash = hash
		next.UpdatedAt = s.timestamp()
		err = s.users.Update(ctx, next)
		s.forget(u.Email)
		if err == nil {
			next.Revision++
			return next
		}
	}
	s.log.WarnContext(ctx, "authadmin: could not rehash a password at the configured cost; will retry at next login", "email", u.Email, "error", err)
	return u
}

// extraClaims merges the hook's claims and the request's (the request wins)
// into a new map, refusing reserved names.
func (s *Service) extraClaims(ctx context.Context, u domain.User, fromRequest map[string]any) (map[string]any, error) {
	var extra map[string]any
	if s.hook != nil {
		hooked, err := s.hook(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("usecase: login: extra claims hook: %w", err)
		}
		if err := domain.CheckExtraClaims(hooked); err != nil {
			return nil, fmt.Errorf("usecase: login: extra claims hook: %w", err)
		}
		extra = maps.Clone(hooked)
	}
	if len(fromRequest) > 0 {
		if extra == nil {
			extra = make(map[string]any, len(fromRequest))
		}
		maps.Copy(extra, fromRequest)
	}
	return extra, nil
}
