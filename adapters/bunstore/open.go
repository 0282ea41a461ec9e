package bunstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultURL is the database the example servers use unless configured: a
// SQLite file users.db in the working directory, as in the original package.
const DefaultURL = "sqlite://./users.db"

// SQLiteBusyTimeout is how long a SQLite connection opened by Open waits for
// a lock held by another process before failing.
const SQLiteBusyTimeout = 10 * time.Second

// pgDefaultExecMode is the pgx query exec mode Open uses unless the URL sets
// default_query_exec_mode. bun formats every argument into the SQL text, so
// each lookup is a new statement: pgx's default mode (cache_statement) would
// prepare each one, an extra round trip, and fill its cache with statements
// used once. The simple protocol sends the text as it is, in one round trip.
// (BenchmarkPostgresExecModes measures the modes side by side.)
const pgDefaultExecMode = pgx.QueryExecModeSimpleProtocol

// Open connects to the database at url, creates or migrates the users table
// (see SchemaVersion) and returns a ready store. Close it when done.
//
// Accepted URLs:
//
//	sqlite://./users.db              a file, relative to the working directory (DefaultURL)
//	sqlite:///abs/path/users.db      a file, absolute path
//	sqlite://:memory:                a private in-memory database, one per Open,
//	                                 on one connection, gone after Close
//	postgres://user:pass@host:5432/db?sslmode=disable
//	postgresql://...                 the same; any parameter pgx reads
//
// and, so that a team moving from the Python package can keep its setting,
// SQLAlchemy's forms:
//
//	sqlite+aiosqlite:///./users.db   three slashes and a relative path
//	sqlite+aiosqlite:////abs/users.db   four for an absolute one
//	sqlite+aiosqlite:///:memory:     (sqlite+pysqlite alike; the Python-only
//	                                 parameters timeout, check_same_thread, uri
//	                                 and cached_statements are ignored)
//	postgresql+asyncpg://user:pass@host/db   (+psycopg and +psycopg2 alike;
//	                                 asyncpg's ssl=... becomes sslmode=..., the
//	                                 dialect's statement-cache settings are dropped)
//
// sqlite:///./users.db is read as relative, as SQLAlchemy would. Any other
// URL gives an error wrapping ErrUnsupportedURL; errors never contain the
// URL's password or query string.
//
// SQLite runs through the pure-Go modernc.org/sqlite driver (no C compiler
// needed) in WAL mode (files only) with synchronous=FULL (a registration the
// caller saw succeed survives a crash or power loss), a busy timeout of
// SQLiteBusyTimeout for other processes, and one writer at a time within the
// process, so concurrent writers queue instead of failing with "database is
// locked". The file is created if missing, readable and writable by its
// owner only (mode 0600: it holds password hashes), and SQLite gives its
// -wal and -shm files the same mode; its directory must exist. If the file
// exists with permissions for its group or others, Open logs a warning
// (see WithLogger) and leaves them as they are.
//
// PostgreSQL runs through pgx (database/sql) in the simple-protocol exec
// mode unless the URL sets default_query_exec_mode: bun writes arguments
// into the SQL text, so pgx's default statement cache would prepare every
// lookup afresh, an extra round trip. It runs with
// standard_conforming_strings on (see ErrUnsafeConnection). A URL with
// no host uses pgx's defaults (PGHOST, then the local socket).
//
// The pools of SQLite files and PostgreSQL keep up to 4×GOMAXPROCS (at least
// 8) connections open and idle; tune them through Store.DB().
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	t, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err // before anything is created
	}
	var (
		db      *bun.DB
		onClose func() error
	)
	switch {
	case t.engine == enginePostgres:
		if db, err = openPostgres(t.pgURL); err != nil {
			return nil, err // names the URL already
		}
	case t.path == "":
		db, onClose, err = openSQLiteMemory(ctx)
	default:
		if err := createPrivateFile(t.path, o.logger); err != nil {
			return nil, fmt.Errorf("bunstore: open %s: %w%s", t, err, missingDirHint(t))
		}
		db, err = openSQLiteFile(t.path)
	}
	if err != nil {
		return nil, fmt.Errorf("bunstore: open %s: %w", t, err)
	}
	if onClose == nil {
		onClose = db.Close
	}
	if err := db.PingContext(ctx); err != nil {
		_ = onClose()
		return nil, fmt.Errorf("bunstore: open %s: %w%s", t, err, missingDirHint(t))
	}
	if t.engine == engineSQLite && t.path != "" {
		if err := enableWAL(ctx, db, o.logger); err != nil {
			_ = onClose()
			return nil, fmt.Errorf("bunstore: open %s: %w", t, err)
		}
	}
	s, err := New(ctx, db, opts...)
	if err != nil {
		_ = onClose()
		return nil, err
	}
	s.onClose = onClose
	return s, nil
}

// poolSize is the number of connections Open keeps.
func poolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// sqlitePragmas configure every connection Open makes to a SQLite database.
// _txlock=immediate makes transactions take the write lock when they begin,
// so that they wait for it (busy timeout) instead of failing when they
// write after reading. The journal mode is not among them: it is a property
// of the file, set once by enableWAL.
func sqlitePragmas() string {
	q := url.Values{}
	q["_pragma"] = []string{
		fmt.Sprintf("busy_timeout(%d)", SQLiteBusyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(FULL)",
	}
	q.Set("_txlock", "immediate")
	return q.Encode()
}

// enableWAL switches the SQLite file to write-ahead logging, which it then
// keeps: readers no longer block the writer. The switch needs the file to
// itself, and SQLite reports a busy file at once rather than through the
// busy timeout when another connection is switching it too (several
// processes starting together), so it is retried for up to
// SQLiteBusyTimeout. A file system that cannot host a WAL leaves the mode
// unchanged: that is logged, not refused.
func enableWAL(ctx context.Context, db *bun.DB, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, SQLiteBusyTimeout)
	defer cancel()
	pause := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil:
			if !strings.EqualFold(mode, "wal") {
				log.Warn("bunstore: SQLite cannot use WAL on this file system; reads and writes will block each other",
					"journal_mode", mode)
			}
			return nil
		case !isBusy(err):
			return fmt.Errorf("enable WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enable WAL: %w (gave up after %v: %w)", err, SQLiteBusyTimeout, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// createPrivateFile creates the SQLite file at path, empty and readable
// and writable by its owner only (0600), if it does not exist yet. SQLite
// reads an empty file as an empty database, and gives the -wal and -shm
// files it makes next to a database the database file's permissions (the
// pure-Go modernc.org/sqlite too), so all three stay private: they hold
// password hashes. A file that exists is left as it is, with a warning
// on log if it, or its -wal or -shm file, is open to its group or others.
func createPrivateFile(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil // permission bits say little there
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			continue // the -wal and -shm files come and go
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			log.Warn("bunstore: the SQLite file holds password hashes but other users than its owner may read or write it; "+
				"restrict it (chmod 600) together with its -wal and -shm files",
				"path", p, "mode", perm.String())
		}
	}
	return nil
}

// openSQLiteFile opens the SQLite file at path with the pragmas of
// sqlitePragmas. It does not connect yet.
func openSQLiteFile(path string) (*bun.DB, error) {
	// A file: URI, so that SQLite reads the parameters; escape what a URI
	// would misread in the path.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	sqldb, err := sql.Open("sqlite", "file:"+escaped+"?"+sqlitePragmas())
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(poolSize())
	sqldb.SetMaxIdleConns(poolSize())
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// openSQLiteMemory opens a new in-memory SQLite database under a random name
// in SQLite's memdb VFS (a plain ":memory:" would give each pooled
// connection a database of its own). The store's pool has one connection:
// an in-memory database has no WAL, so a second connection would only wait
// on the first one's locks. A database in memdb lives while a connection to
// it is open, so a second pool holds one open, whatever the first does with
// its connection, until the returned close function runs.
func openSQLiteMemory(ctx context.Context) (*bun.DB, func() error, error) {
	dsn := "file:/bunstore-" + rand.Text() + "?vfs=memdb&" + sqlitePragmas()
	keeper, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := keeper.PingContext(ctx); err != nil {
		_ = keeper.Close()
		return nil, nil, err
	}
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = keeper.Close()
		return nil, nil, err
	}
	sqldb.SetMaxOpenConns(1)
	closeAll := func() error { return errors.Join(sqldb.Close(), keeper.Close()) }
	return bun.NewDB(sqldb, sqlitedialect.New()), closeAll, nil
}

// openPostgres opens a pgx-backed database/sql pool for u. It does not
// connect yet.
func openPostgres(u *url.URL) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		// pgx's message quotes the connection string with the password
		// redacted on a best-effort basis; quote only its cause.
		msg := "cannot parse the PostgreSQL URL " + describePostgres(u)
		if cause := errors.Unwrap(err); cause != nil {
			msg += ": " + cause.Error()
		}
		return nil, urlError("%s", msg)
	}
	if !u.Query().Has("default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgDefaultExecMode
	}
	// bun's string literals are standard strings (see ErrUnsafeConnection):
	// make the server read them so, whatever the role or database says.
	cfg.RuntimeParams["standard_conforming_strings"] = "on"
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(poolSize())
	sqldb.SetMaxIdleConns(poolSize())
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	sqldb.SetConnMaxLifetime(time.Hour)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// missingDirHint explains SQLite's "unable to open database file" when the
// file's directory does not exist.
func missingDirHint(t target) string {
	if t.engine != engineSQLite || t.path == "" {
		return ""
	}
	dir := filepath.Dir(t.path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf(" (directory %s does not exist)", dir)
	}
	return ""
}
