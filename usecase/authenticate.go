package usecase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authadmin/authadmin/domain"
)

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
