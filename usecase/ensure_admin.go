package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

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
