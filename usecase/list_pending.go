package usecase

import (
	"context"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

// ListPending returns the accounts awaiting approval, oldest first, limit at
// a time (1..MaxPageLimit) after skipping offset (>= 0) of them; other
// bounds are a *domain.ValidationError of Kind domain.ErrInvalidPage
// (wrapped). Only administrators may call it; the caller is checked before
// the arguments, so a non-admin learns nothing from them.
func (s *Service) ListPending(ctx context.Context, actor Principal, limit, offset int) ([]domain.User, error) {
	if err := s.requireAdmin(ctx, actor, "list_pending"); err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxPageLimit || offset < 0 {
		return nil, fmt.Errorf("usecase: list pending: %w", &domain.ValidationError{
			Kind:   domain.ErrInvalidPage,
			Detail: fmt.Sprintf("invalid page: limit must be 1..%d and offset >= 0", MaxPageLimit),
		})
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
