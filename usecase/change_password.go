package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// ChangePassword replaces the principal's password after checking the
// current one (domain.ErrIncorrectPassword if wrong). The new password must
// meet the policy (otherwise a wrapped *domain.ValidationError). It raises
// the user's token version, so every token issued before, the caller's
// included, stops working.
//
// The current-password check is throttled like a login of the account from
// the client the context carries (WithClient), so a stolen token cannot be
// used to guess the password.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if err := s.policy.Check(next); err != nil {
		return fmt.Errorf("usecase: change password: %w", err)
	}
	if domain.CheckPasswordInput(current) != nil {
		return domain.ErrIncorrectPassword
	}
	u, err := s.principalUser(ctx, p)
	if err != nil {
		return err
	}
	client, _ := clientFrom(ctx)
	attempt := ports.LoginAttempt{Account: u.Email, Client: client.Address}
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
