package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

var _ ports.UserRepository = (*Store)(nil)

// DefaultTable is the name of the users table unless WithTable says
// otherwise.
const DefaultTable = "users"

// maxTableName leaves room for the suffix of the index names derived from
// the table name within PostgreSQL's 63-byte identifier limit.
const maxTableName = 48

var tableNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Store is a ports.UserRepository on a bun database, SQLite or PostgreSQL.
// It is safe for concurrent use.
//
// Every method first checks its context and, if it is already done, returns
// ctx.Err() wrapped without touching the database. Errors begin with
// "bunstore: " and name the email; they never contain password hashes.
type Store struct {
	db     *bun.DB
	engine engine
	table  string
	log    *slog.Logger
	sql    statements

	// writeSlot admits one writer at a time on SQLite, where the database
	// takes one writer anyway: waiting here (a context-aware channel) rather
	// than in SQLite's busy handler means concurrent writers in this
	// process queue fairly and never see "database is locked". It is nil
	// on PostgreSQL, whose row locks serve concurrent writers.
	writeSlot chan struct{}

	// onClose releases what Open acquired (the pool, the connection that
	// keeps an in-memory database alive); nil for a store made by New.
	onClose   func() error
	closeOnce sync.Once
	closeErr  error
}

// statements are the store's SQL texts, with the table name filled in.
type statements struct {
	find, insert, update, revision, listPending string
}

// columns lists the users table's columns in the order of userRow's fields.
const columns = `email, password_hash, is_admin, status, must_change_password, created_at, updated_at, token_version, revision`

func newStatements(table string) statements {
	t := quoteIdent(table)
	return statements{
		find: `SELECT ` + columns + ` FROM ` + t + ` WHERE email = ?`,
		// ON CONFLICT DO NOTHING makes the uniqueness check and the insert
		// one step: of racing inserts of one email, one affects a row.
		insert: `INSERT INTO ` + t + ` (` + columns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (email) DO NOTHING`,
		// The revision check and the write are one statement, so no
		// concurrent update is lost (compare-and-swap).
		update: `UPDATE ` + t + ` SET password_hash = ?, is_admin = ?, status = ?, must_change_password = ?,
	created_at = ?, updated_at = ?, token_version = ?, revision = revision + 1
WHERE email = ? AND revision = ?`,
		revision:    `SELECT revision FROM ` + t + ` WHERE email = ?`,
		listPending: `SELECT ` + columns + ` FROM ` + t + ` WHERE status = 'pending' ORDER BY created_at, email LIMIT ? OFFSET ?`,
	}
}

// userRow is a row of the users table.
type userRow struct {
	Email              string    `bun:"email"`
	PasswordHash       string    `bun:"password_hash"`
	IsAdmin            bool      `bun:"is_admin"`
	Status             string    `bun:"status"`
	MustChangePassword bool      `bun:"must_change_password"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
	TokenVersion       int64     `bun:"token_version"`
	Revision           int64     `bun:"revision"`
}

func (r userRow) user() domain.User {
	return domain.User{
		Email:              r.Email,
		PasswordHash:       r.PasswordHash,
		IsAdmin:            r.IsAdmin,
		Status:             domain.Status(r.Status),
		MustChangePassword: r.MustChangePassword,
		CreatedAt:          r.CreatedAt.UTC(),
		UpdatedAt:          r.UpdatedAt.UTC(),
		TokenVersion:       r.TokenVersion,
		Revision:           r.Revision,
	}
}

// Option configures Open and New.
type Option func(*options)

type options struct {
	table  string
	logger *slog.Logger
}

// WithTable sets the name of the users table (default DefaultTable). The
// name must be a plain SQL identifier (letters, digits, underscores, not
// starting with a digit) of at most 48 bytes. On PostgreSQL the table is
// made in the first schema of the connection's search_path; add
// search_path=myschema to the URL to pick another.
func WithTable(name string) Option { return func(o *options) { o.table = name } }

// WithLogger sets the logger for schema migrations and configuration
// warnings (default slog.Default()). The store logs no user data.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a Store on an existing bun database, whose dialect must be
// sqlitedialect or pgdialect, after creating or migrating the users table
// (see SchemaVersion). The caller keeps ownership of db: Store.Close does not
// close it.
//
// Open configures a SQLite database for concurrent use (WAL, a busy
// timeout); a database given to New keeps the caller's settings, and New
// logs a warning if its busy timeout is zero, since concurrent processes
// would then fail with "database is locked" at once.
func New(ctx context.Context, db *bun.DB, opts ...Option) (*Store, error) {
	s, err := newStore(db, opts...)
	if err != nil {
		return nil, err
	}
	if s.engine == enginePostgres {
		if err := checkStandardStrings(ctx, db); err != nil {
			return nil, err
		}
	}
	if err := s.migrate(ctx, SchemaVersion); err != nil {
		return nil, err
	}
	if s.engine == engineSQLite {
		s.warnIfNoBusyTimeout(ctx)
	}
	return s, nil
}

// ErrUnsafeConnection is wrapped by the error New returns for a PostgreSQL
// connection with standard_conforming_strings off. bun writes arguments into
// the SQL text as standard strings ('...', backslash not special); with the
// setting off the server reads backslashes as escapes, and a crafted email
// could end the string early (SQL injection). Open always turns it on.
var ErrUnsafeConnection = errors.New("standard_conforming_strings is off")

// checkStandardStrings refuses a PostgreSQL connection on which bun's
// string literals would not be read as bun wrote them.
func checkStandardStrings(ctx context.Context, db *bun.DB) error {
	var setting string
	if err := db.QueryRowContext(ctx, "SHOW standard_conforming_strings").Scan(&setting); err != nil {
		return fmt.Errorf("bunstore: check standard_conforming_strings: %w", err)
	}
	if setting != "on" {
		return fmt.Errorf("bunstore: %w on this connection; set it on (the server default since PostgreSQL 9.1), "+
			"e.g. standard_conforming_strings=on in the URL", ErrUnsafeConnection)
	}
	return nil
}

// buildOptions applies opts to the defaults and checks the result.
func buildOptions(opts []Option) (options, error) {
	o := options{table: DefaultTable, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if len(o.table) > maxTableName || !tableNameRE.MatchString(o.table) {
		return o, fmt.Errorf("bunstore: table name %q: want letters, digits and underscores, not starting with a digit, at most %d bytes",
			o.table, maxTableName)
	}
	return o, nil
}

// newStore checks db and the options, without I/O.
func newStore(db *bun.DB, opts ...Option) (*Store, error) {
	if db == nil {
		panic("bunstore: New called with a nil *bun.DB")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, table: o.table, log: o.logger, sql: newStatements(o.table)}
	switch name := db.Dialect().Name(); name {
	case dialect.SQLite:
		s.engine = engineSQLite
		s.writeSlot = make(chan struct{}, 1)
	case dialect.PG:
		s.engine = enginePostgres
	default:
		return nil, fmt.Errorf("bunstore: dialect %s is not supported; use sqlitedialect or pgdialect", name)
	}
	return s, nil
}

// warnIfNoBusyTimeout logs a warning if a connection of a SQLite database
// has no busy timeout.
func (s *Store) warnIfNoBusyTimeout(ctx context.Context) {
	var ms int64
	if err := s.db.NewRaw("PRAGMA busy_timeout").Scan(ctx, &ms); err != nil || ms > 0 {
		return
	}
	s.log.Warn("bunstore: the SQLite connection has no busy timeout; another process writing to the database " +
		"will make calls fail with \"database is locked\" (add _pragma=busy_timeout(10000) to the DSN, or use bunstore.Open)")
}

// DB returns the bun database the store uses, for an application that wants
// to share its pool or tune it (SetMaxOpenConns and the like).
func (s *Store) DB() *bun.DB { return s.db }

// Table returns the name of the users table.
func (s *Store) Table() string { return s.table }

// Close releases what Open acquired: it closes the database, after which
// every method returns an error. For a store made by New it does nothing
// (the caller owns the database, and the store works as long as it is
// open). It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.onClose != nil {
			s.closeErr = s.onClose()
		}
	})
	return s.closeErr
}

// FindByEmail returns the user with the given email, in any letter case, or
// an error wrapping domain.ErrUserNotFound.
func (s *Store) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	key := domain.EmailKey(email)
	if err := ctx.Err(); err != nil {
		return domain.User{}, fmt.Errorf("bunstore: find %q: %w", key, err)
	}
	var row userRow
	err := s.db.NewRaw(s.sql.find, key).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, fmt.Errorf("bunstore: find %q: %w", key, domain.ErrUserNotFound)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("bunstore: find %q: %w", key, err)
	}
	return row.user(), nil
}

// Create stores u under domain.EmailKey(u.Email), with Revision 1. If the
// email is taken, in any letter case, it stores nothing and returns an error
// wrapping domain.ErrEmailTaken.
func (s *Store) Create(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	inserted, err := s.insert(ctx, u)
	if err != nil {
		return fmt.Errorf("bunstore: create %q: %w", key, err)
	}
	if !inserted {
		return fmt.Errorf("bunstore: create %q: %w", key, domain.ErrEmailTaken)
	}
	return nil
}

// EnsureAdmin stores u, as Create does, only if no user has its email in any
// letter case, and reports whether it did. It never changes an existing
// user.
func (s *Store) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	inserted, err := s.insert(ctx, u)
	if err != nil {
		return false, fmt.Errorf("bunstore: ensure admin %q: %w", domain.EmailKey(u.Email), err)
	}
	return inserted, nil
}

// insert stores u with Revision 1 unless its email is taken, and reports
// whether it did.
func (s *Store) insert(ctx context.Context, u domain.User) (bool, error) {
	key := domain.EmailKey(u.Email)
	if err := checkUser(key, u); err != nil {
		return false, err
	}
	release, err := s.acquireWrite(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	res, err := s.db.NewRaw(s.sql.insert, key, u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.TokenVersion).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// Update replaces the stored user with the email of u by u, with Revision
// u.Revision+1, if the stored Revision equals u.Revision. Otherwise it
// changes nothing and returns an error wrapping domain.ErrConflict, or
// domain.ErrUserNotFound if there is no such user.
func (s *Store) Update(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := checkUser(key, u); err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	changed, err := s.compareAndSwap(ctx, key, u)
	if err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	if changed {
		return nil
	}
	// Nothing matched: tell a stale revision from a missing user. (Users
	// are never deleted, so a row seen now was there at the update.)
	var revs []int64
	if err := s.db.NewRaw(s.sql.revision, key).Scan(ctx, &revs); err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	if len(revs) == 0 {
		return fmt.Errorf("bunstore: update %q: %w", key, domain.ErrUserNotFound)
	}
	return fmt.Errorf("bunstore: update %q: stored revision %d, caller read %d: %w",
		key, revs[0], u.Revision, domain.ErrConflict)
}

// compareAndSwap writes u if the stored revision is u.Revision and reports
// whether it did.
func (s *Store) compareAndSwap(ctx context.Context, key string, u domain.User) (bool, error) {
	release, err := s.acquireWrite(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	res, err := s.db.NewRaw(s.sql.update, u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.TokenVersion, key, u.Revision).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// ListPending returns at most limit pending users, skipping the first offset
// of them, oldest CreatedAt first and ties by email in byte order. It
// returns an empty, non-nil slice when there are none, and an error wrapping
// domain.ErrInvalidPage if limit < 1 or offset < 0.
func (s *Store) ListPending(ctx context.Context, limit, offset int) ([]domain.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bunstore: list pending: %w", err)
	}
	if limit < 1 || offset < 0 {
		return nil, fmt.Errorf("bunstore: list pending: limit %d, offset %d: %w", limit, offset, domain.ErrInvalidPage)
	}
	var rows []userRow
	if err := s.db.NewRaw(s.sql.listPending, limit, offset).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("bunstore: list pending: %w", err)
	}
	users := make([]domain.User, len(rows))
	for i, r := range rows {
		users[i] = r.user()
	}
	return users, nil
}

// acquireWrite waits for the SQLite write slot (see Store.writeSlot), or
// returns at once on PostgreSQL. It checks ctx first, so that a done context
// never writes.
func (s *Store) acquireWrite(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.writeSlot == nil {
		return func() {}, nil
	}
	select {
	case s.writeSlot <- struct{}{}:
		return func() { <-s.writeSlot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// checkUser refuses, with domain.ErrValidation, a user the table cannot
// hold as it is: an empty email, an unknown status, or text that is not
// valid UTF-8 or holds a NUL byte (neither engine's text type keeps those
// unchanged).
func checkUser(key string, u domain.User) error {
	if key == "" {
		return fmt.Errorf("empty email: %w", domain.ErrValidation)
	}
	if !u.Status.Valid() {
		return fmt.Errorf("status %q: %w", u.Status, domain.ErrValidation)
	}
	// The raw email: lower-casing has already replaced invalid UTF-8 in
	// key, which would store another address than the one given.
	if !storableText(u.Email) {
		return fmt.Errorf("email is not valid UTF-8 or holds a NUL byte: %w", domain.ErrValidation)
	}
	if !storableText(u.PasswordHash) {
		return fmt.Errorf("password hash is not valid UTF-8 or holds a NUL byte: %w", domain.ErrValidation)
	}
	return nil
}

// storableText reports whether a text column keeps s unchanged.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
