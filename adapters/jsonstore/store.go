package jsonstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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

	// errNewerFormat is wrapped by the error of a file written by a newer
	// release, which no repair of the file fixes.
	errNewerFormat = errors.New("upgrade the program, or restore a backup in this format")
)

// RecommendedMaxUsers is the number of users a file is meant for. Every
// write re-encodes, rewrites and fsyncs the whole file, so writes slow down
// as it grows. A Store logs a warning, once, when it holds more users than
// this; past it, use a database store such as bunstore on SQLite.
const RecommendedMaxUsers = 1000

// DefaultFileMode is the permission the user file is written with unless
// WithFileMode says otherwise. The file holds password hashes, so only its
// owner may read it.
const DefaultFileMode fs.FileMode = 0o600

// Option configures Open.
type Option func(*options)

type options struct {
	mode   fs.FileMode
	fs     fileSystem
	logger *slog.Logger
}

// WithFileMode sets the permission bits the user file is written with
// (default DefaultFileMode, 0600). It is applied exactly, whatever the
// umask, on every write. The mode must include owner read and write (0600)
// and nothing but permission bits; Open refuses any other.
func WithFileMode(perm fs.FileMode) Option {
	return func(o *options) { o.mode = perm }
}

// WithLogger sets the logger the Store warns through when it holds more
// than RecommendedMaxUsers users. The default, or nil, is slog.Default() as
// it is when the warning is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Store is a ports.UserRepository persisted in one JSON file. Create it with
// Open and release it with Close. It is safe for concurrent use.
type Store struct {
	path   string
	dir    string
	mode   fs.FileMode
	fs     fileSystem
	logger *slog.Logger // nil: slog.Default()

	// wmu serialises writers: a writer holds it (a token in the channel,
	// so that waiting for it ends with the writer's context) from reading
	// the current state until the new state is durable and visible, which
	// makes every check-and-write atomic. Only holders of wmu modify users,
	// raw, closed and warned, and they modify the first three under mu as
	// well.
	wmu    chan struct{}
	warned bool // the size warning was logged
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
// guarantees. If the file holds more than RecommendedMaxUsers users, Open
// logs the warning described there.
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
	s := &Store{
		path: path, dir: dir, mode: o.mode, fs: o.fs, lock: lock,
		logger: o.logger, wmu: make(chan struct{}, 1),
	}
	if err := s.load(); err != nil {
		_ = lock.release()
		return nil, err
	}
	s.checkSize(context.Background())
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
	switch {
	case errors.Is(err, errNewerFormat):
		return fmt.Errorf("jsonstore: open %s: %w", s.path, err)
	case err != nil:
		return fmt.Errorf("jsonstore: open %s: %w; repair the file or restore it from a backup (Open never replaces a file it cannot read)", s.path, err)
	}
	s.users, s.raw = users, data
	return nil
}

// Close releases the file lock. Every later call of a method returns an
// error wrapping ErrClosed; calling Close again does nothing and returns nil.
// Close waits for a write in progress to finish.
func (s *Store) Close() error {
	s.wmu <- struct{}{}
	defer s.unlockWrites()
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
	_, err := s.insert(ctx, "create", u, false)
	return err
}

// EnsureAdmin stores u with Revision 1 only if no administrator (a user with
// IsAdmin set, whatever its Status) exists and no user has its email in any
// letter case, and reports whether it did. It never modifies an existing
// user. The check and the write happen under the store's write lock, so of
// concurrent calls, for one email or several, at most one reports true.
// Like Create, it refuses a user the file cannot hold with an error wrapping
// domain.ErrValidation.
func (s *Store) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	return s.insert(ctx, "ensure admin", u, true)
}

// insert adds u if its email is free: Create when seed is false (a taken
// email is domain.ErrEmailTaken), EnsureAdmin when it is true (a taken
// email, or any administrator, makes it store nothing and return false).
func (s *Store) insert(ctx context.Context, op string, u domain.User, seed bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	u, err := canonical(u)
	if err != nil {
		return false, fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	u.Revision = 1
	if err := s.lockWrites(ctx, op); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	if _, ok := s.users[u.Email]; ok {
		if seed {
			return false, nil
		}
		return false, fmt.Errorf("jsonstore: %s %q: %w", op, u.Email, domain.ErrEmailTaken)
	}
	if seed && s.hasAdmin() {
		return false, nil
	}
	if err := s.commit(ctx, u); err != nil {
		return false, fmt.Errorf("jsonstore: %s %q: %w", op, u.Email, err)
	}
	return true, nil
}

// hasAdmin reports whether any stored user has IsAdmin set. The caller
// holds wmu.
func (s *Store) hasAdmin() bool {
	for _, u := range s.users {
		if u.IsAdmin {
			return true
		}
	}
	return false
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
	if err := s.lockWrites(ctx, "update"); err != nil {
		return err
	}
	defer s.unlockWrites()
	old, ok := s.users[u.Email]
	if !ok {
		return fmt.Errorf("jsonstore: update %q: %w", u.Email, domain.ErrUserNotFound)
	}
	if old.Revision != u.Revision {
		return fmt.Errorf("jsonstore: update %q: revision %d, stored %d: %w", u.Email, u.Revision, old.Revision, domain.ErrConflict)
	}
	u.Revision++
	if err := s.commit(ctx, u); err != nil {
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

// lockWrites takes wmu for a write, or returns an error wrapping ctx.Err()
// if ctx ends first (a write in progress holds it while it fsyncs, and
// others may be queued before this one). It also refuses the write, and
// leaves wmu free, if the store is closed or ctx ended meanwhile. On nil
// the caller must call unlockWrites.
func (s *Store) lockWrites(ctx context.Context, op string) error {
	select {
	case s.wmu <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("jsonstore: %s: waiting for the write in progress: %w", op, ctx.Err())
	}
	if s.closed {
		s.unlockWrites()
		return fmt.Errorf("%w: %s", ErrClosed, op)
	}
	if err := ctx.Err(); err != nil { // both were ready, and select chose wmu
		s.unlockWrites()
		return fmt.Errorf("jsonstore: %s: %w", op, err)
	}
	return nil
}

// unlockWrites releases wmu.
func (s *Store) unlockWrites() { <-s.wmu }

// sizeWarning is the message checkSize logs.
const sizeWarning = "jsonstore: the user file holds more users than this store is meant for: " +
	"every write rewrites and fsyncs the whole file, so writes get slower as it grows; " +
	"move the users to a database store such as bunstore on SQLite"

// checkSize logs, once per Store, that the store holds more users than it
// is meant for. The caller holds wmu, or is Open before s is shared.
func (s *Store) checkSize(ctx context.Context) {
	if s.warned || len(s.users) <= RecommendedMaxUsers {
		return
	}
	s.warned = true
	l := s.logger
	if l == nil {
		l = slog.Default()
	}
	l.WarnContext(ctx, sizeWarning, "path", s.path, "users", len(s.users), "recommended_max_users", RecommendedMaxUsers)
}

// commit makes u (already canonical, with its final Revision) part of the
// stored state: durably on disk first, then in memory. On error neither
// changes. The caller holds wmu. ctx is only for the size warning's log
// record: once the file is being replaced, the write finishes.
func (s *Store) commit(ctx context.Context, u domain.User) error {
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
	s.checkSize(ctx)
	return nil
}
