package usecase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Register creates a pending, non-admin account. The email is normalised
// (domain.NormalizeEmail) and the password must meet the policy; an email
// already registered in any letter case gives domain.ErrEmailTaken.
//
// When the context comes from the network (WithClient; the HTTP
// transports set it on every request, with "" for a client whose address
// is unknown, which only the total bound then limits),
// Config.Registrations must let the registration through first: otherwise
// it fails at once, without hashing, with a *domain.RetryError wrapping
// domain.ErrTooManyRegistrations. A taken email counts too, so
// registration cannot be used to test addresses at speed. The
// application's own calls are not throttled.
func (s *Service) Register(ctx context.Context, email, password string) (domain.User, error) {
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return domain.User{}, err
	}
	if err := s.policy.Check(password); err != nil {
		return domain.User{}, err
	}
	client, fromNetwork := clientOf(ctx)
	hash, err := s.hashAdmitted(ctx, gateKey{client: client, account: email}, password, func() error {
		if !fromNetwork {
			return nil
		}
		wait, err := s.signups.Allow(ctx, client, s.now())
		switch {
		case err != nil:
			return fmt.Errorf("registration limiter: %w", err)
		case wait > 0:
			s.auditThrottled(ctx, ports.LoginAttempt{Account: email, Client: client}, "register", wait)
			return &domain.RetryError{Err: domain.ErrTooManyRegistrations, After: wait}
		}
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("usecase: register: %w", err)
	}
	now := s.timestamp()
	u := domain.User{
		Email:        email,
		PasswordHash: hash,
		Status:       domain.StatusPending,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := s.users.Create(ctx, u); err != nil {
		return domain.User{}, fmt.Errorf("usecase: register: %w", err)
	}
	u.Revision = 1
	s.audit(ctx, "registered", "email", email)
	return u, nil
}

// LoginRequest is what Login needs: the credentials and, optionally, extra
// claims to put in the token (as the original package's
// login(..., extra_claims={...})).
type LoginRequest struct {
	Email    string
	Password string
	// ExtraClaims are added to the token after those of Config.ClaimsHook,
	// overriding them key by key. Reserved names are refused
	// (domain.ErrReservedClaim).
	ExtraClaims map[string]any
	// Client identifies where the attempt comes from, for throttling and
	// the audit log (see ports.LoginAttempt.Client): an HTTP transport
	// passes the client's IP address. "" means the client the context
	// carries (WithClient); with neither, only the account is throttled.
	Client string
	// Local marks an attempt from the server's own machine: the HTTP
	// transports set it for a loopback peer that relays no other client.
	// An administrator who still has the built-in default password may
	// log in only from there (unless Config.AllowRemoteDefaultAdmin). The
	// zero value is remote, so that a caller that does not know (another
	// transport, a command line run by someone else) cannot open the
	// default password to the network by forgetting it; an application
	// that logs in its own administrator sets it.
	Local bool
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
// The client is req.Client or, if that is empty, the one the context
// carries (WithClient).
func (s *Service) Login(ctx context.Context, req LoginRequest) (Token, error) {
	if err := domain.CheckExtraClaims(req.ExtraClaims); err != nil {
		return Token{}, fmt.Errorf("usecase: login: %w", err)
	}
	email, err := domain.NormalizeEmail(req.Email)
	if err != nil {
		return Token{}, err
	}
	if err := domain.CheckPasswordInput(req.Password); err != nil {
		return Token{}, err
	}
	client := cmp.Or(req.Client, clientFrom(ctx))
	attempt := ports.LoginAttempt{Account: email, Client: client}
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
	if err := s.mayLogIn(ctx, u, req, client); err != nil {
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
	s.audit(ctx, "login_succeeded", withClient(client, "email", email)...)
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
func (s *Service) mayLogIn(ctx context.Context, u domain.User, req LoginRequest, client string) error {
	switch {
	case u.Status == domain.StatusPending:
		s.audit(ctx, "login_refused", withClient(client, "email", u.Email, "status", u.Status)...)
		return domain.ErrAccountPending
	case !u.IsApproved():
		s.audit(ctx, "login_refused", withClient(client, "email", u.Email, "status", u.Status)...)
		return domain.ErrAccountRejected
	case u.IsAdmin && u.MustChangePassword && !req.Local && !s.remoteDefaultAdmin:
		s.audit(ctx, "login_refused", withClient(client, "email", u.Email, "reason", "default admin password from a remote client")...)
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

// withClient returns attrs followed by the client attribute, if client is
// known.
func withClient(client string, attrs ...any) []any {
	if client == "" {
		return attrs
	}
	return append(attrs, "client", client)
}

// guess checks password against the hash load returns, as the password
// guess a:
//
//  1. the hashing gate admits the guess, or refuses it at once with a
//     *domain.RetryError wrapping ErrOverloaded when its client or account
//     already has its share of the gate;
//  2. the limiter is asked (Wait), and a guess it holds back is refused at
//     once with a *domain.RetryError wrapping ErrTooManyAttempts, so that a
//     throttled guess costs no store read and no hashing;
//  3. load reads the hash from the store, outside any hashing slot, so a
//     stuck database holds none;
//  4. the guess waits for a slot, in turn with other clients; in it, the
//     limiter counts the guess (Attempt, which may still refuse it: a
//     concurrent guess counted first) and the comparison runs.
//
// So every guess the limiter counts is also checked, and a client's own
// guesses still in the queue do not count against each other. guess
// returns nil for a match, an error wrapping domain.ErrPasswordMismatch
// for a mismatch, or the error that stopped it.
func (s *Service) guess(ctx context.Context, a ports.LoginAttempt, op, password string, load func() (string, error)) error {
	pass, err := s.gate.admit(gateKey{client: a.Client, account: a.Account})
	if err != nil {
		return err
	}
	defer pass.done()
	if err := s.throttle(ctx, a, op, s.limiter.Wait); err != nil {
		return err
	}
	hash, err := load()
	if err != nil {
		return err
	}
	if err := pass.acquire(ctx); err != nil {
		return err
	}
	if err := s.throttle(ctx, a, op, s.limiter.Attempt); err != nil {
		return err
	}
	return s.hasher.Compare(ctx, hash, password)
}

// throttle asks the limiter (Wait or Attempt) about a guess and refuses it
// with a *domain.RetryError if it must wait.
func (s *Service) throttle(ctx context.Context, a ports.LoginAttempt, op string, ask func(context.Context, ports.LoginAttempt, time.Time) (time.Duration, error)) error {
	wait, err := ask(ctx, a, s.now())
	if err != nil {
		return fmt.Errorf("usecase: %s: login limiter: %w", op, err)
	}
	if wait > 0 {
		s.auditThrottled(ctx, a, op, wait)
		return &domain.RetryError{Err: domain.ErrTooManyAttempts, After: wait}
	}
	return nil
}

// passwordVerified tells the limiter a guess was right. Its failure only
// leaves the counters as they were, so it is logged, not returned.
func (s *Service) passwordVerified(ctx context.Context, a ports.LoginAttempt) {
	if err := s.limiter.Succeeded(context.WithoutCancel(ctx), a, s.now()); err != nil {
		s.log.WarnContext(ctx, "authadmin: login limiter could not record a right password", "email", a.Account, "error", err)
	}
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

// Authenticate verifies an access token and checks that its user still
// exists, is approved, has the same admin flag, and has not changed password
// (or been rejected) since the token was issued. Every failure wraps
// domain.ErrInvalidToken, except a store failure, which is returned wrapped
// as it is. The Principal is what the other use cases take.
//
// The token's claims come from the verified-token cache when the token was
// accepted before (Config.TokenCacheSize), and the user's state from the
// user cache when it holds a fresh entry (Config.UserCacheTTL); with
// Config.StatelessTokens a non-admin token is accepted on its signature and
// claims alone.
//
// Authenticate keeps no reference to token once it returns, so a transport
// may pass a string backed by a buffer it reuses (as fasthttp's header
// values are): a token seen for the first time is copied before anything
// (the codec, the cache) can keep it.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	now := s.now()
	claims, cached := s.verifiedClaims(token, now)
	if !cached {
		token = strings.Clone(token)
		var err error
		if claims, err = s.tokens.Decode(ctx, token, now); err != nil {
			return Principal{}, err
		}
	}
	p := Principal{claims: claims}
	if !s.stateless || claims.IsAdmin {
		st, err := s.currentState(ctx, claims.Subject, now)
		if err != nil {
			return Principal{}, err
		}
		if err := checkPrincipal(st, p); err != nil {
			if cached {
				s.verified.forget(token)
			}
			return Principal{}, err
		}
		p.mustChangePassword = st.mustChangePassword
	}
	if !cached && s.verified != nil {
		s.verified.put(token, claims, now)
	}
	return p, nil
}

// verifiedClaims returns the claims of token from the verified-token cache.
func (s *Service) verifiedClaims(token string, now time.Time) (domain.Claims, bool) {
	if s.verified == nil {
		return domain.Claims{}, false
	}
	return s.verified.get(token, now)
}

// currentState returns the state of the user with the given (normalised)
// email as of now, from the user cache if it has a fresh entry.
func (s *Service) currentState(ctx context.Context, email string, now time.Time) (userState, error) {
	var gen uint64
	if s.cache != nil {
		if st, ok := s.cache.get(email, now); ok {
			return st, nil
		}
		gen = s.cache.generation()
	}
	u, err := s.tokenUser(ctx, email)
	if err != nil {
		return userState{}, err
	}
	st := stateOf(u)
	if s.cache != nil {
		s.cache.put(email, st, gen, now)
	}
	return st, nil
}

// principalUser loads the user a principal names and checks that the
// principal is still valid for it.
func (s *Service) principalUser(ctx context.Context, p Principal) (domain.User, error) {
	if p.IsZero() {
		return domain.User{}, fmt.Errorf("%w: no authenticated principal", domain.ErrInvalidToken)
	}
	u, err := s.tokenUser(ctx, p.Email())
	if err != nil {
		return domain.User{}, err
	}
	if err := checkPrincipal(stateOf(u), p); err != nil {
		return domain.User{}, err
	}
	return u, nil
}

// tokenUser reads the user a token names from the store; a user that no
// longer exists makes the token invalid.
func (s *Service) tokenUser(ctx context.Context, email string) (domain.User, error) {
	u, err := s.users.FindByEmail(ctx, email)
	switch {
	case errors.Is(err, domain.ErrUserNotFound):
		return domain.User{}, fmt.Errorf("%w: user no longer exists", domain.ErrInvalidToken)
	case err != nil:
		return domain.User{}, fmt.Errorf("usecase: load principal: %w", err)
	}
	return u, nil
}

// checkPrincipal reports, as an error wrapping domain.ErrInvalidToken, why a
// principal is no longer valid for its user's current state.
func checkPrincipal(u userState, p Principal) error {
	switch {
	case u.status != domain.StatusApproved:
		return fmt.Errorf("%w: user is no longer approved", domain.ErrInvalidToken)
	case u.tokenVersion != p.claims.TokenVersion:
		return fmt.Errorf("%w: token predates a password change or rejection", domain.ErrInvalidToken)
	case u.isAdmin != p.claims.IsAdmin:
		return fmt.Errorf("%w: the user's admin flag changed", domain.ErrInvalidToken)
	}
	return nil
}

// Me returns the principal's account as stored now.
func (s *Service) Me(ctx context.Context, p Principal) (domain.User, error) {
	return s.principalUser(ctx, p)
}

// ChangePassword replaces the principal's password after checking the
// current one (domain.ErrIncorrectPassword if wrong). The new password must
// meet the policy. It raises the user's token version, so every token issued
// before, the caller's included, stops working.
//
// The current-password check is throttled like a login of the account from
// the client the context carries (WithClient), so a stolen token cannot be
// used to guess the password.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if err := s.policy.Check(next); err != nil {
		return err
	}
	if domain.CheckPasswordInput(current) != nil {
		return domain.ErrIncorrectPassword
	}
	u, err := s.principalUser(ctx, p)
	if err != nil {
		return err
	}
	attempt := ports.LoginAttempt{Account: u.Email, Client: clientFrom(ctx)}
	err = s.guess(ctx, attempt, "change_password", current, func() (string, error) { return u.PasswordHash, nil })
	switch {
	case errors.Is(err, domain.ErrPasswordMismatch):
		return domain.ErrIncorrectPassword
	case err != nil:
		return fmt.Errorf("usecase: change password: check the current password: %w", err)
	}
	s.passwordVerified(ctx, attempt)
	verified := u.PasswordHash
	key := gateKey{client: attempt.Client, account: attempt.Account}
	hash, err := s.hash(ctx, key, next)
	if err != nil {
		return fmt.Errorf("usecase: change password: %w", err)
	}
	_, _, err = s.updateUser(ctx, p.Email(), func(u *domain.User) error {
		// On a retry u is read afresh: a password change or rejection in
		// between raised the token version and ends here. The hash differs
		// from the verified one only if something outside the use cases
		// changed it; then the current password is checked again.
		if err := checkPrincipal(stateOf(*u), p); err != nil {
			return err
		}
		if u.PasswordHash != verified {
			if err := s.verify(ctx, key, u.PasswordHash, current); err != nil {
				return err
			}
			verified = u.PasswordHash
		}
		u.PasswordHash = hash
		u.TokenVersion++
		u.MustChangePassword = u.IsAdmin && next == DefaultAdminPassword
		return nil
	})
	if errors.Is(err, domain.ErrUserNotFound) {
		return fmt.Errorf("%w: user no longer exists", domain.ErrInvalidToken)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, "password_changed", "email", p.Email())
	return nil
}

// verify compares password with hash in a hashing slot, on behalf of key,
// turning a mismatch into domain.ErrIncorrectPassword.
func (s *Service) verify(ctx context.Context, key gateKey, hash, password string) error {
	err := s.gate.run(ctx, key, func() error { return s.hasher.Compare(ctx, hash, password) })
	switch {
	case errors.Is(err, domain.ErrPasswordMismatch):
		return domain.ErrIncorrectPassword
	case err != nil:
		return fmt.Errorf("usecase: check password: %w", err)
	}
	return nil
}

// errUnchanged tells updateUser that the change is already in place and
// nothing needs writing.
var errUnchanged = errors.New("usecase: unchanged")

// updateUser runs a read-modify-write cycle on one user, retrying from a
// fresh read, after a short random pause, when the store reports
// domain.ErrConflict. change edits the user in place, returns errUnchanged
// to write nothing, or another error to abort. updateUser returns the user
// as stored afterwards and whether it wrote.
func (s *Service) updateUser(ctx context.Context, email string, change func(*domain.User) error) (domain.User, bool, error) {
	for attempt := 1; ; attempt++ {
		u, err := s.users.FindByEmail(ctx, email)
		if err != nil {
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		}
		switch err := change(&u); {
		case errors.Is(err, errUnchanged):
			return u, false, nil
		case err != nil:
			return domain.User{}, false, err
		}
		u.UpdatedAt = s.timestamp()
		err = s.users.Update(ctx, u)
		s.forget(email)
		switch {
		case err == nil:
			u.Revision++
			return u, true, nil
		case !errors.Is(err, domain.ErrConflict):
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		case attempt == maxWriteAttempts:
			return domain.User{}, false, fmt.Errorf("usecase: update %s: gave up after %d attempts: %w", email, attempt, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return domain.User{}, false, fmt.Errorf("usecase: update %s: %w", email, err)
		}
	}
}

// pause waits a random time that grows with attempt (up to attempt
// milliseconds), so that writers contending for one user spread out, or
// until ctx is done.
func pause(ctx context.Context, attempt int) error {
	t := time.NewTimer(rand.N(time.Duration(attempt) * time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
