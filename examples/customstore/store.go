package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// auditStore is a custom ports.UserRepository: users in a map guarded by a
// mutex, plus an in-memory audit trail of every write. It stands for
// whatever storage an application already has (a key-value store, a
// document database, a remote service): the five methods below are all
// authadmin needs, and ports/storetest (see store_test.go) checks that they
// keep the contract.
//
// The contract, method by method:
//   - emails are matched case-insensitively: users are keyed by
//     domain.EmailKey, and that form is what User.Email holds;
//   - Create and EnsureAdmin store Revision 1 and never overwrite;
//   - EnsureAdmin seeds only the first administrator: it stores nothing
//     while any user has IsAdmin set (so a restart with another admin email
//     cannot create a second admin with a known password), and it checks
//     and inserts under one lock, so concurrent calls seed at most one;
//   - Update is a compare-and-swap on Revision (domain.ErrConflict when the
//     caller read a stale copy), which is what keeps an admin's rejection and
//     a concurrent password change from overwriting each other;
//   - ListPending returns pending users oldest first, ties by email, paged;
//   - Users are values, so storing and returning them copies them;
//   - a call whose context is done fails with an error wrapping ctx.Err()
//     (this store never waits, so it checks once, before it starts).
type auditStore struct {
	mu    sync.RWMutex
	users map[string]domain.User // keyed by domain.EmailKey
	trail []AuditEvent
	now   func() time.Time
}

// AuditEvent records one successful write. It holds no password hash.
type AuditEvent struct {
	At       time.Time     `json:"at"`
	Op       string        `json:"op"` // "create", "ensure_admin", "update"
	Email    string        `json:"email"`
	Status   domain.Status `json:"status"`
	IsAdmin  bool          `json:"is_admin"`
	Revision int64         `json:"revision"`
	// PasswordChanged reports an update that replaced the password hash.
	PasswordChanged bool `json:"password_changed,omitempty"`
}

var _ ports.UserRepository = (*auditStore)(nil)

func newAuditStore() *auditStore {
	return &auditStore{users: make(map[string]domain.User), now: time.Now}
}

func (s *auditStore) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	key := domain.EmailKey(email)
	if err := ctx.Err(); err != nil {
		return domain.User{}, fmt.Errorf("auditstore: find %q: %w", key, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[key]
	if !ok {
		return domain.User{}, fmt.Errorf("auditstore: find %q: %w", key, domain.ErrUserNotFound)
	}
	return u, nil // a copy: User holds only value fields
}

func (s *auditStore) Create(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auditstore: create %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.users[key]; taken {
		return fmt.Errorf("auditstore: create %q: %w", key, domain.ErrEmailTaken)
	}
	u.Email, u.Revision = key, 1
	s.users[key] = u
	s.record("create", u, false)
	return nil
}

func (s *auditStore) Update(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auditstore: update %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[key]
	if !ok {
		return fmt.Errorf("auditstore: update %q: %w", key, domain.ErrUserNotFound)
	}
	if cur.Revision != u.Revision {
		// Someone wrote since the caller read: refuse, the use case re-reads
		// and retries.
		return fmt.Errorf("auditstore: update %q: stored revision %d, caller read %d: %w",
			key, cur.Revision, u.Revision, domain.ErrConflict)
	}
	u.Email, u.Revision = key, u.Revision+1
	s.users[key] = u
	s.record("update", u, u.PasswordHash != cur.PasswordHash)
	return nil
}

func (s *auditStore) ListPending(ctx context.Context, limit, offset int) ([]domain.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("auditstore: list pending: %w", err)
	}
	if limit < 1 || offset < 0 {
		return nil, fmt.Errorf("auditstore: list pending: limit %d, offset %d: %w", limit, offset, domain.ErrInvalidPage)
	}
	s.mu.RLock()
	var all []domain.User
	for _, u := range s.users {
		if u.Status == domain.StatusPending {
			all = append(all, u)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b domain.User) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.Email, b.Email))
	})
	if offset >= len(all) {
		return []domain.User{}, nil // empty, never nil
	}
	page := all[offset:]
	return slices.Clone(page[:min(limit, len(page))]), nil
}

func (s *auditStore) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	key := domain.EmailKey(u.Email)
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("auditstore: ensure admin %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.users[key]; exists {
		return false, nil // never touch an existing account
	}
	for _, other := range s.users {
		if other.IsAdmin {
			return false, nil // an administrator exists: seed nobody
		}
	}
	u.Email, u.Revision = key, 1
	s.users[key] = u
	s.record("ensure_admin", u, false)
	return true, nil
}

// record appends to the audit trail. The caller holds s.mu for writing.
func (s *auditStore) record(op string, u domain.User, passwordChanged bool) {
	s.trail = append(s.trail, AuditEvent{
		At: s.now().UTC(), Op: op, Email: u.Email, Status: u.Status,
		IsAdmin: u.IsAdmin, Revision: u.Revision, PasswordChanged: passwordChanged,
	})
}

// Trail returns a copy of the audit trail, oldest first.
func (s *auditStore) Trail() []AuditEvent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.trail)
}
