package usecase

import (
	"context"
	"fmt"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Register creates a pending, non-admin account. The email is normalised
// (domain.NormalizeEmail) and the password must meet the policy; an email
// already registered in any letter case gives domain.ErrEmailTaken.
//
// An invalid email or password is a *domain.ValidationError (wrapped).
//
// When the context carries a client (WithClient; the HTTP transports set
// it on every request, with an empty Address for a client whose address is
// unknown, which only the total bound then limits), Config.Registrations
// must let the registration through first: otherwise it fails at once,
// without hashing, with a *domain.RetryError wrapping
// domain.ErrTooManyRegistrations. A taken email counts too, so
// registration cannot be used to test addresses at speed. The
// application's own calls (no client in the context) are not throttled.
func (s *Service) Register(ctx context.Context, email, password string) (domain.User, error) {
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return domain.User{}, fmt.Errorf("usecase: register: %w", err)
	}
	if err := s.policy.Check(password); err != nil {
		return domain.User{}, fmt.Errorf("usecase: register: %w", err)
	}
	client, fromNetwork := clientFrom(ctx)
	hash, err := s.hashAdmitted(ctx, gateKey{client: client.Address, account: email}, password, func() error {
		if !fromNetwork {
			return nil
		}
		wait, err := s.signups.Allow(ctx, client.Address, s.now())
		switch {
		case err != nil:
			return fmt.Errorf("registration limiter: %w", err)
		case wait > 0:
			s.auditThrottled(ctx, ports.LoginAttempt{Account: email, Client: client.Address}, "register", wait)
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
