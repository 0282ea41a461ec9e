package usecase

import (
	"context"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

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

// setStatus is Approve and Reject: it moves the account with the given
// email to status to, on behalf of actor, an administrator.
func (s *Service) setStatus(ctx context.Context, actor Principal, email string, to domain.Status) (domain.User, error) {
	if err := s.requireAdmin(ctx, actor, string(to)); err != nil {
		return domain.User{}, err
	}
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return domain.User{}, fmt.Errorf("usecase: set status %s: %w", to, err)
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
