// Package bunstore is a ports.UserRepository on github.com/uptrace/bun, for
// SQLite (the default: a users.db file, through the pure-Go
// modernc.org/sqlite driver) and PostgreSQL (through pgx).
//
// Open takes a database URL and returns a ready store:
//
//	store, err := bunstore.Open(ctx, "sqlite://./users.db")
//	store, err := bunstore.Open(ctx, "postgres://app:secret@db.internal:5432/app")
//
// New does the same on a *bun.DB the application already has.
//
// The store keeps users in one table (default "users", see WithTable) keyed
// by the normalised email (domain.EmailKey), with partial indexes serving
// the pending listing and EnsureAdmin's search for an administrator. Open
// and New create the table, or migrate it from an older schema version, at
// every start; the version is recorded in the table named by VersionTable,
// and concurrent starts are serialised.
//
// Create inserts with ON CONFLICT DO NOTHING (exactly one of racing
// registrations of an email wins), and Update is a compare-and-swap on the
// row's revision, so no concurrent update is ever lost. EnsureAdmin inserts
// only if there is no administrator at all, in one atomic step also across
// processes: one INSERT ... WHERE NOT EXISTS on SQLite, the same under a
// transaction-scoped advisory lock on PostgreSQL (see Store.EnsureAdmin).
//
// Writes are reported truthfully when the connection fails. Each Create,
// EnsureAdmin and Update stores a random write id with the row and runs on
// a connection of its own (a sql.Conn), so that database/sql never runs it
// a second time behind the store's back (pgx reports a connection that
// broke while the answer was read as driver.ErrBadConn, which the pool
// would otherwise retry). When a write's outcome is unknown (its
// connection broke after the statement was sent, or its context ended
// while it ran) the store reads the row back: its own write id means the
// write was applied and is reported as a success; otherwise the store
// reports what it can prove (the email taken by another call, a missing
// user) or an error wrapping domain.ErrStoreUnavailable. It never reports
// domain.ErrEmailTaken or domain.ErrConflict for its own write. The read
// runs for at most a second, detached from the caller's context if that
// has ended, so a write can return up to a second after its context is
// done; reads return as soon as their context is done.
//
// A SQLite file Open creates is readable by its owner only (0600), and so
// are the -wal and -shm files SQLite makes next to it: they hold password
// hashes. Open warns about an existing file that others may read.
//
// The store passes ports/storetest on SQLite files, in-memory SQLite and
// PostgreSQL.
package bunstore
