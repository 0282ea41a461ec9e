package usecase

import (
	"context"

	"github.com/authadmin/authadmin/domain"
)

// Me returns the principal's account as stored now.
func (s *Service) Me(ctx context.Context, p Principal) (domain.User, error) {
	return s.principalUser(ctx, p)
}
