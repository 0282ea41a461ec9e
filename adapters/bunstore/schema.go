package bunstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// SchemaVersion is the schema version this package creates and migrates
// to. Open and New record it per users table in the table named by
// VersionTable. Version 1 made the users table, 2 added the index of the
// pending listing, and 3 the write_id column (see Store.Create) and the
// index of administrators (see Store.EnsureAdmin).
const SchemaVersion = 3

// VersionTable is the table in which bunstore records the schema version of
// each users table it manages (one row per table name).
const VersionTable = "bunstore_schema"

// ErrSchemaTooNew is wrapped by the error Open and New return when the
// database holds a users table made by a newer bunstore than this one. They
// then change nothing; the message says to upgrade the program.
var ErrSchemaTooNew = errors.New("bunstore: schema is newer than this bunstore")

// ErrForeignTable is wrapped by the error Open and New return when the users
// table exists but bunstore has no record of creating it (some other program
// owns a table of that name). They change nothing; the message names
// WithTable, which chooses another table.
var ErrForeignTable = errors.New("bunstore: table exists but was not created by bunstore")

// otherTable is the table name the error of ErrForeignTable suggests
// instead of table.
func otherTable(table string) string {
	if table == "authadmin_users" {
		return "authadmin_users2"
	}
	return "authadmin_users"
}

// migration is one step of the schema's history. Steps are never edited
// once released: a change to the schema is a new step. A step runs inside
// the migration's transaction; one that builds an index on a large table
// blocks writers meanwhile (CREATE INDEX CONCURRENTLY cannot run in a
// transaction), which a future step must weigh.
type migration struct {
	version     int
	description string
	statements  func(e engine, table string) []string
}

// migrations is the schema's history, oldest first; migrations[i].version
// is i+1 and the last version is SchemaVersion.
var migrations = []migration{
	{
		version:     1,
		description: "create the users table",
		statements: func(e engine, table string) []string {
			// The email column holds domain.EmailKey(email). On PostgreSQL
			// it compares bytewise (COLLATE "C"), the order ListPending
			// promises, whatever the database's default collation; SQLite's
			// default BINARY collation already is bytewise.
			//
			// On SQLite the table is WITHOUT ROWID: clustered on the email,
			// so a lookup descends one B-tree instead of an index and then
			// the table.
			emailType, timeType, tableOptions := `TEXT`, `TIMESTAMP`, ` WITHOUT ROWID`
			if e == enginePostgres {
				emailType, timeType, tableOptions = `TEXT COLLATE "C"`, `TIMESTAMPTZ`, ``
			}
			return []string{`CREATE TABLE ` + quoteIdent(table) + ` (
	email                ` + emailType + ` NOT NULL PRIMARY KEY,
	password_hash        TEXT NOT NULL,
	is_admin             BOOLEAN NOT NULL DEFAULT FALSE,
	status               TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	created_at           ` + timeType + ` NOT NULL,
	updated_at           ` + timeType + ` NOT NULL,
	token_version        BIGINT NOT NULL DEFAULT 0,
	revision             BIGINT NOT NULL DEFAULT 1
)` + tableOptions}
		},
	},
	{
		version:     2,
		description: "index the pending listing",
		statements: func(_ engine, table string) []string {
			// A partial index in ListPending's order: listing a page reads
			// only pending rows, already sorted, however many users are
			// approved.
			return []string{`CREATE INDEX ` + quoteIdent(table+"_pending_idx") + ` ON ` + quoteIdent(table) +
				` (created_at, email) WHERE status = 'pending'`}
		},
	},
	{
		version:     3,
		description: "write ids, and an index of administrators",
		statements: func(_ engine, table string) []string {
			// write_id holds the random id of the Create, EnsureAdmin or
			// Update call that last wrote the row, so that a write whose
			// answer was lost can be recognised as the store's own (see
			// Store.Create). Rows written before this version have ''. Both
			// engines add a column with a constant default without
			// rewriting the table.
			//
			// The partial index of administrators makes EnsureAdmin's "is
			// there any administrator?" a lookup, not a scan of every user.
			return []string{
				`ALTER TABLE ` + quoteIdent(table) + ` ADD COLUMN write_id TEXT NOT NULL DEFAULT ''`,
				`CREATE INDEX ` + quoteIdent(table+"_admin_idx") + ` ON ` + quoteIdent(table) + ` (email) WHERE is_admin`,
			}
		},
	},
}

// migrate brings the schema of s.table up to version upTo (normally
// SchemaVersion) in one transaction, holding a lock that serialises
// concurrent migrations of the same database (BEGIN IMMEDIATE on SQLite, an
// advisory lock on PostgreSQL). It is a no-op on an up-to-date schema.
func (s *Store) migrate(ctx context.Context, upTo int) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bunstore: migrate %s: %w", s.table, err)
	}
	defer conn.Close()

	begin := "BEGIN IMMEDIATE"
	if s.engine == enginePostgres {
		begin = "BEGIN"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return fmt.Errorf("bunstore: migrate %s: begin: %w", s.table, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// Roll back even if ctx is done; if even that fails, make
		// database/sql discard the connection rather than pool it with a
		// transaction open.
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()

	from, err := s.lockedSchemaVersion(ctx, conn)
	if err != nil {
		return fmt.Errorf("bunstore: migrate %s: %w", s.table, err)
	}
	exists, err := s.tableExists(ctx, conn)
	if err != nil {
		return fmt.Errorf("bunstore: migrate %s: %w", s.table, err)
	}
	switch {
	case from > SchemaVersion:
		return fmt.Errorf("%w: table %s is at schema version %d, this bunstore knows up to %d; "+
			"upgrade the program to a release of github.com/authadmin/authadmin/adapters/bunstore that knows version %d",
			ErrSchemaTooNew, s.table, from, SchemaVersion, from)
	case from == 0 && exists:
		return fmt.Errorf("%w: table %s has no row in %s; pass bunstore.WithTable(%q) to keep the users in another table",
			ErrForeignTable, s.table, VersionTable, otherTable(s.table))
	case from > 0 && !exists:
		// Making it afresh would silently start over with no users (and
		// seed the default admin again).
		return fmt.Errorf("bunstore: table %s is recorded at schema version %d in %s but does not exist; "+
			"restore it from a backup, or delete its row from %s to start over with no users",
			s.table, from, VersionTable, VersionTable)
	case from >= upTo:
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("bunstore: migrate %s: commit: %w", s.table, err)
		}
		return nil
	}
	for _, m := range migrations[from:upTo] {
		for _, stmt := range m.statements(s.engine, s.table) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("bunstore: migrate %s to version %d (%s): %w", s.table, m.version, m.description, err)
			}
		}
	}
	setVersion := `INSERT INTO ` + VersionTable + ` (table_name, version) VALUES (?, ?)
ON CONFLICT (table_name) DO UPDATE SET version = excluded.version`
	if _, err := conn.NewRaw(setVersion, s.table, upTo).Exec(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate %s: record version %d: %w", s.table, upTo, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("bunstore: migrate %s: commit: %w", s.table, err)
	}
	s.log.Info("bunstore: schema migrated", "table", s.table, "from_version", from, "to_version", upTo)
	return nil
}

// lockedSchemaVersion creates the version table if needed, takes the
// migration lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds it),
// and returns the recorded version of s.table, 0 if there is none.
func (s *Store) lockedSchemaVersion(ctx context.Context, conn bun.Conn) (int, error) {
	if s.engine == enginePostgres {
		// Concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL
		// (a duplicate pg_type row), so take the lock first. It covers the
		// whole schema, version table included; migrations are rare.
		lock := `SELECT pg_advisory_xact_lock(hashtext('bunstore:' || current_schema()))`
		if _, err := conn.NewRaw(lock).Exec(ctx); err != nil {
			return 0, fmt.Errorf("lock: %w", err)
		}
	}
	create := `CREATE TABLE IF NOT EXISTS ` + VersionTable + ` (
	table_name TEXT NOT NULL PRIMARY KEY,
	version    INTEGER NOT NULL
)`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("create %s: %w", VersionTable, err)
	}
	var versions []int
	if err := conn.NewRaw(`SELECT version FROM `+VersionTable+` WHERE table_name = ?`, s.table).Scan(ctx, &versions); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if len(versions) == 0 {
		return 0, nil
	}
	return versions[0], nil
}

// tableExists reports whether s.table exists (in the current schema, on
// PostgreSQL).
func (s *Store) tableExists(ctx context.Context, conn bun.Conn) (bool, error) {
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)`
	if s.engine == enginePostgres {
		// pg_tables lists every table; information_schema only those the
		// role has privileges on.
		query = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := conn.NewRaw(query, s.table).Scan(ctx, &n); err != nil {
		return false, fmt.Errorf("look for table: %w", err)
	}
	return n > 0, nil
}

// quoteIdent quotes a name that validTable has accepted (letters, digits and
// underscores only), in the syntax both SQLite and PostgreSQL read.
func quoteIdent(name string) string { return `"` + name + `"` }
