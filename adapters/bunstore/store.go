package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
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
// ctx.Err() wrapped without touching the database; a call whose context ends
// while it waits returns soon after, with an error wrapping ctx.Err(). A
// write whose context ends while its statement runs first looks, for at
// most a second, whether it was applied (see Create), so it may return that
// much later. Errors begin with "bunstore: " and name the email; they never
// contain password hashes.
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
	find, insert, ensureAdmin, update, mark, listPending string
	// pgAdminLock serialises EnsureAdmin calls on PostgreSQL (see
	// Store.ensureAdminPostgres).
	pgAdminLock string
}

// columns lists the users table's columns in the order of userRow's fields.
const columns = `email, password_hash, is_admin, status, must_change_password, created_at, updated_at, token_version, revision`

func newStatements(table string) statements {
	t := quoteIdent(table)
	return statements{
		find: `SELECT ` + columns + ` FROM ` + t + ` WHERE email = ?`,
		// ON CONFLICT DO NOTHING makes the uniqueness check and the insert
		// one step: of racing inserts of one email, one affects a row.
		insert: `INSERT INTO ` + t + ` (` + columns + `, write_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (email) DO NOTHING`,
		// As insert, and only if there is no administrator at all (the
		// admin index makes that a lookup). One statement, so one step on
		// SQLite; PostgreSQL runs it under a lock, see ensureAdminPostgres.
		// (The WHERE clause also keeps SQLite from reading ON CONFLICT as
		// part of a join.)
		ensureAdmin: `INSERT INTO ` + t + ` (` + columns + `, write_id) SELECT ?, ?, ?, ?, ?, ?, ?, ?, 1, ?
WHERE NOT EXISTS (SELECT 1 FROM ` + t + ` WHERE is_admin) ON CONFLICT (email) DO NOTHING`,
		// The revision check and the write are one statement, so no
		// concurrent update is lost (compare-and-swap).
		update: `UPDATE ` + t + ` SET password_hash = ?, is_admin = ?, status = ?, must_change_password = ?,
	created_at = ?, updated_at = ?, token_version = ?, revision = revision + 1, write_id = ?
WHERE email = ? AND revision = ?`,
		mark:        `SELECT revision, write_id FROM ` + t + ` WHERE email = ?`,
		listPending: `SELECT ` + columns + ` FROM ` + t + ` WHERE status = 'pending' ORDER BY created_at, email LIMIT ? OFFSET ?`,
		// Two 32-bit keys: a key space of their own, apart from the
		// migrations' 64-bit key (see lockedSchemaVersion).
		pgAdminLock: `SELECT pg_advisory_xact_lock(hashtext('bunstore:ensure_admin'), hashtext(current_schema() || '.' || ?))`,
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
var ErrUnsafeConnection = errors.New("bunstore: standard_conforming_strings is off")

// checkStandardStrings refuses a PostgreSQL connection on which bun's
// string literals would not be read as bun wrote them.
func checkStandardStrings(ctx context.Context, db *bun.DB) error {
	var setting string
	if err := db.QueryRowContext(ctx, "SHOW standard_conforming_strings").Scan(&setting); err != nil {
		return fmt.Errorf("bunstore: check standard_conforming_strings: %w", err)
	}
	if setting != "on" {
		return fmt.Errorf("%w on this connection; set it on (the server default since PostgreSQL 9.1), "+
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
//
// Create is reported truthfully when its connection fails: each call stores
// a random write id with the row, and when the outcome is unknown (the
// connection broke after the statement was sent, or ctx ended while it ran)
// Create reads the row back. Its own id there means success; a row another
// call made, domain.ErrEmailTaken; nothing it can prove, an error wrapping
// domain.ErrStoreUnavailable (on PostgreSQL the statement may still be
// running). On PostgreSQL a write that left no trace is tried once more,
// which the id makes safe. Create never reports domain.ErrEmailTaken for a
// row it made itself.
func (s *Store) Create(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := checkUser(key, u); err != nil {
		return fmt.Errorf("bunstore: create %q: %w", key, err)
	}
	release, err := s.acquireWrite(ctx)
	if err != nil {
		return fmt.Errorf("bunstore: create %q: %w", key, err)
	}
	defer release()
	id := newWriteID()
	inserted, err := s.insertUser(ctx, key, id, true, func(ctx context.Context) (int64, error) {
		return s.execWrite(ctx, s.sql.insert, key, u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
			u.CreatedAt, u.UpdatedAt, u.TokenVersion, id)
	})
	if err != nil {
		return fmt.Errorf("bunstore: create %q: %w", key, err)
	}
	if !inserted {
		return fmt.Errorf("bunstore: create %q: %w", key, domain.ErrEmailTaken)
	}
	return nil
}

// pgSeedTimeout is the lock_timeout and idle_in_transaction_session_timeout
// of EnsureAdmin's transaction on PostgreSQL: how long the server waits for
// the seeding lock, and how long it keeps a seeding transaction whose
// client went silent, holding the lock, before ending it.
const pgSeedTimeout = 10 * time.Second

// EnsureAdmin stores u, with Revision 1, only if no administrator exists
// (no user has IsAdmin set, whatever their status) and no user has its
// email in any letter case, and reports whether it did. It never changes an
// existing user. The check and the insert are one atomic step, also across
// processes: of concurrent calls, for one email or several, at most one
// stores its user.
//
// On SQLite that step is one INSERT ... SELECT ... WHERE NOT EXISTS
// statement (SQLite runs one writer at a time). On PostgreSQL, whose READ
// COMMITTED statements would each see "no administrator" and both insert,
// it runs in a transaction that first takes a transaction-scoped advisory
// lock, keyed on the table, that only EnsureAdmin takes; the INSERT's
// snapshot, taken after the lock is granted, sees any administrator an
// earlier holder committed. The lock cannot deadlock with the store's other
// statements: it is the transaction's first lock, and the store's other
// writes are single statements that never take it, so nothing waits for
// this transaction while it waits for the lock. (LOCK TABLE ... IN SHARE
// ROW EXCLUSIVE MODE would serialise it as well, but would stop every
// registration and update while held, and a seeding client that vanished
// mid-transaction would hold it until the server noticed.) The transaction
// sets lock_timeout and idle_in_transaction_session_timeout
// (pgSeedTimeout), so that a seeding client that vanished holds the lock
// for at most that long. An Update that makes a user an administrator is
// not serialised with EnsureAdmin; the use cases never promote anyone.
//
// Like Create, EnsureAdmin stores a write id and looks for it when the
// outcome is unknown; what it cannot settle is an error wrapping
// domain.ErrStoreUnavailable.
func (s *Store) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	key := domain.EmailKey(u.Email)
	if err := checkUser(key, u); err != nil {
		return false, fmt.Errorf("bunstore: ensure admin %q: %w", key, err)
	}
	release, err := s.acquireWrite(ctx)
	if err != nil {
		return false, fmt.Errorf("bunstore: ensure admin %q: %w", key, err)
	}
	defer release()
	id := newWriteID()
	args := []any{key, u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.TokenVersion, id}
	run := func(ctx context.Context) (int64, error) { return s.execWrite(ctx, s.sql.ensureAdmin, args...) }
	if s.engine == enginePostgres {
		run = func(ctx context.Context) (int64, error) { return s.ensureAdminPostgres(ctx, args) }
	}
	created, err := s.insertUser(ctx, key, id, false, run)
	if err != nil {
		return false, fmt.Errorf("bunstore: ensure admin %q: %w", key, err)
	}
	return created, nil
}

// ensureAdminPostgres runs EnsureAdmin's insert in a transaction holding
// the seeding lock (see EnsureAdmin) and returns the rows it inserted. A
// failure before the COMMIT is sent is a noEffectError: the transaction can
// then never commit.
func (s *Store) ensureAdminPostgres(ctx context.Context, args []any) (int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, noEffectError{err}
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, noEffectError{fmt.Errorf("begin: %w", err)}
	}
	n, err := func() (int64, error) {
		timeout := strconv.FormatInt(pgSeedTimeout.Milliseconds(), 10)
		settings := `SELECT set_config('lock_timeout', ?, true), set_config('idle_in_transaction_session_timeout', ?, true)`
		if _, err := tx.NewRaw(settings, timeout, timeout).Exec(ctx); err != nil {
			return 0, fmt.Errorf("set timeouts: %w", err)
		}
		if _, err := tx.NewRaw(s.sql.pgAdminLock, s.table).Exec(ctx); err != nil {
			return 0, fmt.Errorf("take the seeding lock: %w", err)
		}
		res, err := tx.NewRaw(s.sql.ensureAdmin, args...).Exec(ctx)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}()
	if err == nil && n == 0 {
		err = tx.Rollback() // nothing to keep
		if err != nil {
			return 0, noEffectError{fmt.Errorf("roll back: %w", err)}
		}
		return 0, nil
	}
	if err == nil {
		err = ctx.Err() // database/sql would not send the COMMIT
	}
	if err != nil {
		_ = tx.Rollback()
		return 0, noEffectError{err}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return n, nil
}

// Update replaces the stored user with the email of u by u, with Revision
// u.Revision+1, if the stored Revision equals u.Revision. Otherwise it
// changes nothing and returns an error wrapping domain.ErrConflict, or
// domain.ErrUserNotFound if there is no such user.
//
// Like Create, Update stores a write id (with every change) and reads it
// back when its outcome is unknown: its own id means success, and what it
// cannot settle is an error wrapping domain.ErrStoreUnavailable, never
// domain.ErrConflict for a change it made itself.
func (s *Store) Update(ctx context.Context, u domain.User) error {
	key := domain.EmailKey(u.Email)
	if err := checkUser(key, u); err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	release, err := s.acquireWrite(ctx)
	if err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	defer release()
	if err := s.updateUser(ctx, key, u, newWriteID()); err != nil {
		return fmt.Errorf("bunstore: update %q: %w", key, err)
	}
	return nil
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
