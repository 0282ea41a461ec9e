// Package memstore is an in-memory ports.UserRepository, for tests, demos
// and examples. It keeps nothing across restarts.
//
// A Store indexes users by domain.EmailKey, so emails match
// case-insensitively, and implements the optimistic concurrency of
// ports.UserRepository: Update succeeds only when the caller's Revision is
// the stored one. EnsureAdmin seeds an administrator only into a store that
// has none. It passes the ports/storetest conformance suite.
package memstore

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/authadmin/authadmin/adapters/internal/pending"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

var _ ports.UserRepository = (*Store)(nil)

// Store is an in-memory user repository. It is safe for concurrent use. The
// zero value is an empty store ready to use; New returns one as well.
//
// Every method first checks its context and, if it is already done, returns
// ctx.Err() wrapped, without reading or changing anything. Errors begin with
// "memstore: " and name the email; they never contain password hashes.
type Store struct {
	mu    sync.RWMutex
	users map[string]domain.User // keyed by domain.EmailKey; values are copies
}

// New returns an empty Store.
func New() *Store {
	return &Store{users: make(map[string]domain.User)}
}

// FindByEmail returns the user with the given email, in any letter case, or
// an error wrapping domain.ErrUserNotFound.
func (s *Store) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	key := domain.EmailKey(email)
	if err := ctx.Err(); err != nil {
		return domain.User{}, fmt.Errorf("memstore: find %q: %w", key, err)
	}
	s.mu.RLock()
	u, ok := s.users[key]
	s.mu.RUnlock()
	if !ok {
		return domain.User{}, fmt.Errorf("memstore: find %q: %w", key, domain.ErrUserNotFound)
	}
	return u, nil
}

// Create stores u under domain.EmailKey(u.Email), with that key as its Email
// and Revision 1. If the email is taken, in any letter case, it stores
// nothing and returns an error wrapping domain.ErrEmailTaken.
func (s *Store) Create(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: create %q: %w", key, err)
	}
	u.Email, u.Revision = key, 1
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key]; ok {
		return fmt.Errorf("memstore: create %q: %w", key, domain.ErrEmailTaken)
	}
	s.put(u)
	return nil
}

// Update replaces the stored user with the email of u by u, with Revision
// u.Revision+1, if the stored Revision equals u.Revision. Otherwise it
// changes nothing and returns an error wrapping domain.ErrConflict, or
// domain.ErrUserNotFound if there is no such user.
func (s *Store) Update(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: update %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[key]
	if !ok {
		return fmt.Errorf("memstore: update %q: %w", key, domain.ErrUserNotFound)
	}
	if cur.Revision != u.Revision {
		return fmt.Errorf("memstore: update %q: stored revision %d, caller read %d: %w",
			key, cur.Revision, u.Revision, domain.ErrConflict)
	}
	u.Email, u.Revision = key, u.Revision+1
	s.put(u)
	return nil
}

// ListPending returns at most limit pending users, skipping the first offset
// of them, oldest CreatedAt first and ties by email. It returns an empty,
// non-nil slice when there are none, and an error wrapping
// domain.ErrInvalidPage if limit < 1 or offset < 0.
func (s *Store) ListPending(ctx context.Context, limit, offset int) ([]domain.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list pending: %w", err)
	}
	if limit < 1 || offset < 0 {
		return nil, fmt.Errorf("memstore: list pending: limit %d, offset %d: %w", limit, offset, domain.ErrInvalidPage)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return pending.Page(maps.Values(s.users), limit, offset), nil
}

// EnsureAdmin stores u, as Create does, only if no administrator (a user
// with IsAdmin set, whatever its Status) exists and no user has its email in
// any letter case, and reports whether it did. It never changes an existing
// user. The check and the insert happen under one lock, so of concurrent
// calls, for one email or several, at most one reports true.
func (s *Store) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: ensure admin %q: %w", key, err)
	}
	u.Email, u.Revision = key, 1
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[key]; ok {
		return false, nil
	}
	for _, v := range s.users {
		if v.IsAdmin {
			return false, nil
		}
	}
	s.put(u)
	return true, nil
}

// put stores u under its Email. The caller holds s.mu for writing.
func (s *Store) put(u domain.User) {
	if s.users == nil {
		s.users = make(map[string]domain.User)
	}
	s.users[u.Email] = u
}
