package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

// requireAdmin checks that the acting principal is, as stored now, an
// approved administrator whose token is still valid and who has replaced the
// built-in default password.
func (s *Service) requireAdmin(ctx context.Context, actor Principal, op string) error {
	u, err := s.principalUser(ctx, actor)
	if err != nil {
		return err
	}
	if !u.IsAdmin {
		s.audit(ctx, "admin_refused", "email", u.Email, "operation", op, "reason", "not an admin")
		return fmt.Errorf("%w: administrators only", domain.ErrForbidden)
	}
	if u.MustChangePassword {
		s.audit(ctx, "admin_refused", "email", u.Email, "operation", op, "reason", "default password")
		return domain.ErrPasswordChangeRequired
	}
	return nil
}

// ListPending returns the accounts awaiting approval, oldest first, limit at
// a time (1..MaxPageLimit) after skipping offset (>= 0) of them. Only
// administrators may call it; the caller is checked before the arguments, so
// a non-admin learns nothing from them.
func (s *Service) ListPending(ctx context.Context, actor Principal, limit, offset int) ([]domain.User, error) {
	if err := s.requireAdmin(ctx, actor, "list_pending"); err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxPageLimit || offset < 0 {
		return nil, fmt.Errorf("%w: limit must be 1..%d and offset >= 0", domain.ErrInvalidPage, MaxPageLimit)
	}
	users, err := s.users.ListPending(ctx, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("usecase: list pending: %w", err)
	}
	if users == nil {
		users = []domain.User{}
	}
	return users, nil
}

// Approve lets the account with the given email log in. Approving an
// approved account changes nothing. Only administrators may call it; an
// unknown email gives domain.ErrUserNotFound.
func (s *Service) Approve(ctx context.Context, actor Principal, email string) (domain.User, error) {
	return s.setStatus(ctx, actor, email, domain.StatusApproved)
}

// Reject refuses the account with the given email: it can no longer log in
// and its tokens stop working at once (they stay dead if it is approved
// later). Rejecting an administrator is refused (domain.ErrCannotRejectAdmin),
// so no admin can lock another out this way. Rejecting a rejected account
// changes nothing. Only administrators may call it.
func (s *Service) Reject(ctx context.Context, actor Principal, email string) (domain.User, error) {
	return s.setStatus(ctx, actor, email, domain.StatusRejected)
}

func (s *Service) setStatus(ctx context.Context, actor Principal, email string, to domain.Status) (domain.User, error) {
	if err := s.requireAdmin(ctx, actor, string(to)); err != nil {
		return domain.User{}, err
	}
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return domain.User{}, err
	}
	u, changed, err := s.updateUser(ctx, email, func(u *domain.User) error {
		if u.Status == to {
			return errUnchanged
		}
		if to == domain.StatusRejected {
			if u.IsAdmin {
				return domain.ErrCannotRejectAdmin
			}
			u.TokenVersion++
		}
		u.Status = to
		return nil
	})
	if err != nil {
		return domain.User{}, err
	}
	if changed {
		s.audit(ctx, string(to), "email", email, "by", actor.Email())
	}
	return u, nil
}

// EnsureAdmin seeds the configured administrator (Config.AdminEmail and
// AdminPassword), approved, if no administrator exists at all and no
// account has that email, and reports whether it did. It never changes an
// existing account, so a restart never resets the admin's password; a
// restart with another AdminEmail seeds nobody once an administrator
// exists (it would hand a second admin, with the configured or default
// password, to whoever logs in first); and concurrent calls (two instances
// starting at once) seed at most one.
func (s *Service) EnsureAdmin(ctx context.Context) (created bool, err error) {
	u, err := s.users.FindByEmail(ctx, s.admin)
	switch {
	case err == nil:
		s.warnExistingAdmin(ctx, u)
		return false, nil
	case !errors.Is(err, domain.ErrUserNotFound):
		return false, fmt.Errorf("usecase: ensure admin: %w", err)
	}
	hash, err := s.hash(ctx, gateKey{account: s.admin}, s.adminPass)
	if err != nil {
		return false, fmt.Errorf("usecase: ensure admin: %w", err)
	}
	now := s.timestamp()
	u = domain.User{
		Email:              s.admin,
		PasswordHash:       hash,
		IsAdmin:            true,
		Status:             domain.StatusApproved,
		MustChangePassword: s.adminPass == DefaultAdminPassword,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	created, err = s.users.EnsureAdmin(ctx, u)
	if err != nil {
		return false, fmt.Errorf("usecase: ensure admin: %w", err)
	}
	if !created {
		s.log.InfoContext(ctx, "authadmin: an administrator already exists; the configured admin account was not seeded", "email", s.admin)
		return false, nil
	}
	s.audit(ctx, "admin_seeded", "email", s.admin)
	s.warnExistingAdmin(ctx, u)
	return true, nil
}

// warnExistingAdmin logs what an operator must fix about the seeded admin.
func (s *Service) warnExistingAdmin(ctx context.Context, u domain.User) {
	switch {
	case !u.IsAdmin || !u.IsApproved():
		s.log.WarnContext(ctx, "authadmin: the configured admin email belongs to an account that is not an approved admin; it was left unchanged", "email", u.Email)
	case u.MustChangePassword && s.remoteDefaultAdmin:
		s.log.WarnContext(ctx, "authadmin: the admin account still has the built-in default password, and it is accepted from any client (AllowRemoteDefaultAdmin); admin operations are refused until it is changed with change-password", "email", u.Email)
	case u.MustChangePassword:
		s.log.WarnContext(ctx, "authadmin: the admin account still has the built-in default password; it is accepted only from the server's own machine "+
			"(a loopback client; a reverse proxy on this machine must send X-Forwarded-For, or every client it relays counts as local), "+
			"and admin operations are refused until it is changed with change-password", "email", u.Email)
	}
}
