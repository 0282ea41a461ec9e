package jsonstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/authadmin/authadmin/adapters/internal/pending"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

var (
	// ErrLocked is wrapped by the error Open returns when another Store, in
	// this process or another one, has the same file open.
	ErrLocked = errors.New("jsonstore: file is locked by another Store")

	// ErrClosed is wrapped by the error every method returns after Close.
	ErrClosed = errors.New("jsonstore: store is closed")
)

// DefaultFileMode is the permission the user file is written with unless
// WithFileMode says otherwise. The file holds password hashes, so only its
// owner may read it.
const DefaultFileMode fs.FileMode = 0o600

// Option configures Open.
type Option func(*options)

type options struct {
	mode fs.FileMode
	fs   fileSystem
}

// WithFileMode sets the permission bits the user file is written with
// (default DefaultFileMode, 0600). It is applied exactly, whatever the
// umask, on every write. The mode must include owner read and write (0600)
// and nothing but permission bits; Open refuses any other.
func WithFileMode(perm fs.FileMode) Option {
	return func(o *options) { o.mode = perm }
}

// Store is a ports.UserRepository persisted in one JSON file. Create it with
// Open and release it with Close. It is safe for concurrent use.
type Store struct {
	path string
	dir  string
	mode fs.FileMode
	fs   fileSystem

	// wmu serialises writers: a writer holds it from reading the current
	// state until the new state is durable and visible, which makes every
	// check-and-write atomic. Only holders of wmu modify users, raw and
	// closed, and they do so under mu as well.
	wmu sync.Mutex
	// mu guards the fields below for readers.
	mu     sync.RWMutex
	users  map[string]domain.User // keyed by domain.EmailKey
	raw    []byte                 // the file's current bytes
	closed bool
	lock   *fileLock
}

var _ ports.UserRepository = (*Store)(nil)

// Open opens the user file at path, creating it (with no users) if it does
// not exist, and locks it for this Store until Close. The parent directory
// must exist. Open fails with an error wrapping ErrLocked if another Store
// has the file open, and with an error naming the path and the problem if
// the file cannot be read or is not a valid user file; it never replaces
// such a file. See the package documentation for the format and
// guarantees.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{mode: DefaultFileMode, fs: osFS{}}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("jsonstore: open: empty path")
	}
	if o.mode&^fs.ModePerm != 0 || o.mode&0o600 != 0o600 {
		return nil, fmt.Errorf("jsonstore: open %s: file mode %v must be permission bits including 0600", path, o.mode)
	}
	// An absolute path keeps working if the process changes directory.
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("jsonstore: open: %w", err)
	}
	dir := filepath.Dir(path)
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("jsonstore: open %s: directory %s does not exist: %w", path, dir, err)
	case err != nil:
		return nil, fmt.Errorf("jsonstore: open %s: %w", path, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("jsonstore: open %s: %s is not a directory", path, dir)
	}

	lock, err := acquireLock(path + ".lock")
	if errors.Is(err, ErrLocked) {
		return nil, err // it names the lock file, hence the path
	}
	if err != nil {
		return nil, fmt.Errorf("jsonstore: open %s: %w", path, err)
	}
	s := &Store{path: path, dir: dir, mode: o.mode, fs: o.fs, lock: lock}
	if err := s.load(); err != nil {
		_ = lock.release()
		return nil, err
	}
	return s, nil
}

// load reads the file, or creates it if it is missing, with the lock held.
func (s *Store) load() error {
	s.removeTempFiles()
	fi, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		data, err := encode(nil)
		if err != nil {
			return fmt.Errorf("jsonstore: open %s: %w", s.path, err)
		}
		replaced, err := s.writeFile(data)
		if err != nil {
			if replaced {
				// The file is there but may not be durable: leave no
				// half-created store behind.
				_ = s.fs.remove(s.path)
			}
			return fmt.Errorf("jsonstore: open %s: create: %w", s.path, err)
		}
		s.users, s.raw = map[string]domain.User{}, data
		return nil
	}
	if err != nil {
		return fmt.Errorf("jsonstore: open %s: %w", s.path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("jsonstore: open %s: not a regular file (%v); a symbolic link would be replaced by the first write", s.path, fi.Mode().Type())
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("jsonstore: open %s: %w", s.path, err)
	}
	users, err := decode(data)
	if err != nil {
		return fmt.Errorf("jsonstore: open %s: %w", s.path, err)
	}
	s.users, s.raw = users, data
	return nil
}

// Close releases the file lock. Every later call of a method returns an
// error wrapping ErrClosed; calling Close again does nothing and returns nil.
// Close waits for a write in progress to finish.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.users, s.raw = nil, nil
	if err := s.lock.release(); err != nil {
		return fmt.Errorf("jsonstore: close %s: %w", s.path, err)
	}
	return nil
}

// FindByEmail returns the user with the given email, in any letter case, or
// an error wrapping domain.ErrUserNotFound.
func (s *Store) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	if err := ctx.Err(); err != nil {
		return domain.User{}, fmt.Errorf("jsonstore: find: %w", err)
	}
	key := domain.EmailKey(email)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return domain.User{}, fmt.Errorf("%w: find", ErrClosed)
	}
	u, ok := s.users[key]
	if !ok {
		return domain.User{}, fmt.Errorf("jsonstore: find %q: %w", key, domain.ErrUserNotFound)
	}
	return u, nil
}

// Create stores u with Revision 1, or returns an error wrapping
// domain.ErrEmailTaken if its email is already registered in any letter
// case. The write is durable when Create returns nil. A user the file cannot
// hold (see the package documentation) is refused with an error wrapping
// domain.ErrValidation.
func (s *Store) Create(ctx context.Context, u domain.User) error {
	_, err := s.insert(ctx, "create", u, true)
	return err
}

// EnsureAdmin stores u with Revision 1 if no user has its email, and reports
// whether it did. It never modifies an existing user. Like Create, it refuses
// a user the file cannot hold with an error wrapping domain.ErrValidation.
func (s *Store) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	return s.insert(ctx, "ensure admin", u, false)
}

// insert adds u if its email is free. If the email is taken it returns
// domain.ErrEmailTaken when takenIsError, else (false, nil).
func (s *Store) insert(ctx context.Context, op string, u domain.User, takenIsError bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	u, err := canonical(u)
	if err != nil {
		return false, fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	u.Revision = 1
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(ctx, op); err != nil {
		return false, err
	}
	if _, ok := s.users[u.Email]; ok {
		if takenIsError {
			return false, fmt.Errorf("jsonstore: %s %q: %w", op, u.Email, domain.ErrEmailTaken)
		}
		return false, nil
	}
	if err := s.commit(u); err != nil {
		return false, fmt.Errorf("jsonstore: %s %q: %w", op, u.Email, err)
	}
	return true, nil
}

// Update replaces the stored user with u's email by u, with Revision
// u.Revision+1, if the stored Revision equals u.Revision. Otherwise it
// changes nothing and returns an error wrapping domain.ErrConflict, or
// domain.ErrUserNotFound if there is no such user. The write is durable when
// Update returns nil. Like Create, it refuses a user the file cannot hold
// with an error wrapping domain.ErrValidation.
func (s *Store) Update(ctx context.Context, u domain.User) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("jsonstore: update: %w", err)
	}
	u, err := canonical(u)
	if err != nil {
		return fmt.Errorf("jsonstore: update: %w", err)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(ctx, "update"); err != nil {
		return err
	}
	old, ok := s.users[u.Email]
	if !ok {
		return fmt.Errorf("jsonstore: update %q: %w", u.Email, domain.ErrUserNotFound)
	}
	if old.Revision != u.Revision {
		return fmt.Errorf("jsonstore: update %q: revision %d, stored %d: %w", u.Email, u.Revision, old.Revision, domain.ErrConflict)
	}
	u.Revision++
	if err := s.commit(u); err != nil {
		return fmt.Errorf("jsonstore: update %q: %w", u.Email, err)
	}
	return nil
}

// ListPending returns at most limit pending users after skipping offset of
// them, oldest CreatedAt first and ties broken by email; an empty, non-nil
// slice if there are none. A limit below 1 or a negative offset is an error
// wrapping domain.ErrInvalidPage.
func (s *Store) ListPending(ctx context.Context, limit, offset int) ([]domain.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jsonstore: list pending: %w", err)
	}
	if limit < 1 || offset < 0 {
		return nil, fmt.Errorf("jsonstore: list pending: limit %d, offset %d: %w", limit, offset, domain.ErrInvalidPage)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("%w: list pending", ErrClosed)
	}
	return pending.Page(maps.Values(s.users), limit, offset), nil
}

// writable reports why a write may not proceed. The caller holds wmu.
func (s *Store) writable(ctx context.Context, op string) error {
	if s.closed {
		return fmt.Errorf("%w: %s", ErrClosed, op)
	}
	if err := ctx.Err(); err != nil { // the wait for wmu may have outlived ctx
		return fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	return nil
}

// commit makes u (already canonical, with its final Revision) part of the
// stored state: durably on disk first, then in memory. On error neither
// changes. The caller holds wmu.
func (s *Store) commit(u domain.User) error {
	next := maps.Clone(s.users)
	next[u.Email] = u
	data, err := encode(next)
	if err != nil {
		return err
	}
	// Never write a file that Open would refuse.
	if _, err := decode(data); err != nil {
		return fmt.Errorf("internal error: the encoded state does not decode: %w", err)
	}
	replaced, err := s.writeFile(data)
	if err != nil {
		if replaced {
			// The new file is in place but the directory fsync failed, so
			// it is not known to be durable: put the previous bytes back,
			// so that the failed write is not half-visible.
			if _, rerr := s.writeFile(s.raw); rerr != nil {
				return fmt.Errorf("%w; restoring the previous file also failed, so it may hold this write until the next successful one: %v", err, rerr)
			}
		}
		return err
	}
	s.mu.Lock()
	s.users, s.raw = next, data
	s.mu.Unlock()
	return nil
}
