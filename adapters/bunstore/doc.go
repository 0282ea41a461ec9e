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
// by the normalised email (domain.EmailKey), with a partial index serving
// the pending listing. Open and New create the table, or migrate it from an
// older schema version, at every start; the version is recorded in the
// table named by VersionTable, and concurrent starts are serialised.
//
// Writes are single statements: Create and EnsureAdmin insert with
// ON CONFLICT DO NOTHING (exactly one of racing registrations of an email
// wins), and Update is a compare-and-swap on the row's revision, so no
// concurrent update is ever lost. The store passes ports/storetest on SQLite
// files, in-memory SQLite and PostgreSQL.
package bunstore
