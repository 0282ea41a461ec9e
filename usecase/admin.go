package usecase

import (
	"context"
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
