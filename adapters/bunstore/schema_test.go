package bunstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// A schemaLeg is a database on which the schema tests run: a function that
// returns a bun DB and a table name no other test uses, for stores to be
// made on with New or Open, and the URL Open takes for that database.
type schemaLeg struct {
	name string
	db   func(t *testing.T) (db *bun.DB, url string, table string)
}

var schemaLegs = []schemaLeg{
	{"sqlite_file", func(t *testing.T) (*bun.DB, string, string) {
		path := filepath.Join(t.TempDir(), "users.db")
		sqldb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		db := bun.NewDB(sqldb, sqlitedialect.New())
		t.Cleanup(func() { db.Close() })
		return db, "sqlite://" + path, bunstore.DefaultTable
	}},
	{"postgres", func(t *testing.T) (*bun.DB, string, string) {
		needPostgres(t)
		return pg.db, pg.url, uniqueTable()
	}},
}

func testUser(email string, status domain.Status, created time.Time) domain.User {
	return domain.User{
		Email:        email,
		PasswordHash: "$2a$04$fixture",
		Status:       status,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

// schemaVersion reads the version bunstore recorded for table, 0 if none.
func schemaVersion(t *testing.T, db *bun.DB, table string) int {
	t.Helper()
	if !tableExists(t, db, bunstore.VersionTable) {
		return 0
	}
	var v []int
	err := db.NewRaw("SELECT version FROM "+bunstore.VersionTable+" WHERE table_name = ?", table).Scan(context.Background(), &v)
	if err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// tableExists reports whether the named table exists.
func tableExists(t *testing.T, db *bun.DB, table string) bool {
	t.Helper()
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.Dialect().Name().String() == "pg" {
		query = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
	}
	var n int
	if err := db.NewRaw(query, table).Scan(context.Background(), &n); err != nil {
		t.Fatalf("look for table %s: %v", table, err)
	}
	return n > 0
}

// indexExists reports whether the named index exists.
func indexExists(t *testing.T, db *bun.DB, index string) bool {
	t.Helper()
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
	if db.Dialect().Name().String() == "pg" {
		query = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?"
	}
	var n int
	if err := db.NewRaw(query, index).Scan(context.Background(), &n); err != nil {
		t.Fatalf("look for index %s: %v", index, err)
	}
	return n > 0
}

// oldSchemaDDL returns the statements that make the users table as schema
// version (1 or 2) made it, frozen here so that a later edit of a migration
// step cannot go unnoticed: the upgrade test starts from this, not from
// today's code.
func oldSchemaDDL(engine, table string, version int) []string {
	emailType, timeType, tableOptions := `TEXT`, `TIMESTAMP`, ` WITHOUT ROWID`
	if engine == "postgres" {
		emailType, timeType, tableOptions = `TEXT COLLATE "C"`, `TIMESTAMPTZ`, ``
	}
	ddl := []string{
		`CREATE TABLE "` + table + `" (
	email                ` + emailType + ` NOT NULL PRIMARY KEY,
	password_hash        TEXT NOT NULL,
	is_admin             BOOLEAN NOT NULL DEFAULT FALSE,
	status               TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	created_at           ` + timeType + ` NOT NULL,
	updated_at           ` + timeType + ` NOT NULL,
	token_version        BIGINT NOT NULL DEFAULT 0,
	revision             BIGINT NOT NULL DEFAULT 1
)` + tableOptions,
	}
	if version >= 2 {
		ddl = append(ddl, `CREATE INDEX "`+table+`_pending_idx" ON "`+table+`" (created_at, email) WHERE status = 'pending'`)
	}
	return append(ddl,
		`CREATE TABLE IF NOT EXISTS bunstore_schema (
	table_name TEXT NOT NULL PRIMARY KEY,
	version    INTEGER NOT NULL
)`,
		fmt.Sprintf(`INSERT INTO bunstore_schema (table_name, version) VALUES ('%s', %d)`, table, version))
}

// TestUpgrade opens databases made by every earlier schema version (1: no
// index for the pending listing; 2: no write ids, no index of
// administrators) holding users, an administrator among them, and checks
// that Open migrates them to SchemaVersion, keeps the users, records the
// version, and that every method works on the migrated table.
func TestUpgrade(t *testing.T) {
	if bunstore.SchemaVersion != 3 {
		t.Fatalf("SchemaVersion is %d: extend this test with a database made by version %d", bunstore.SchemaVersion, bunstore.SchemaVersion-1)
	}
	for from := 1; from < bunstore.SchemaVersion; from++ {
		for _, leg := range schemaLegs {
			t.Run(fmt.Sprintf("from_%d/%s", from, leg.name), func(t *testing.T) {
				ctx := context.Background()
				db, url, table := leg.db(t)
				for _, stmt := range oldSchemaDDL(leg.name, table, from) {
					if _, err := db.ExecContext(ctx, stmt); err != nil {
						t.Fatalf("make a version-%d database: %v", from, err)
					}
				}
				t0 := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
				for i, st := range []domain.Status{domain.StatusPending, domain.StatusApproved, domain.StatusPending, domain.StatusApproved} {
					created := t0.Add(time.Duration(i) * time.Second)
					_, err := db.NewRaw(`INSERT INTO "`+table+`" (email, password_hash, is_admin, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
						fmt.Sprintf("old%d@example.com", i), "$2a$12$fixture", i == 3, string(st), created, created).Exec(ctx)
					if err != nil {
						t.Fatalf("insert into the version-%d table: %v", from, err)
					}
				}

				var logs bytes.Buffer
				s := mustOpen(t, url, bunstore.WithTable(table), bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
				if v := schemaVersion(t, db, table); v != bunstore.SchemaVersion {
					t.Errorf("schema version after Open = %d; want %d", v, bunstore.SchemaVersion)
				}
				for _, index := range []string{table + "_pending_idx", table + "_admin_idx"} {
					if !indexExists(t, db, index) {
						t.Errorf("Open did not add the index %s", index)
					}
				}
				if want := fmt.Sprintf("from_version=%d to_version=%d", from, bunstore.SchemaVersion); !strings.Contains(logs.String(), want) {
					t.Errorf("Open logged %q; want a line about the migration (%s)", logs.String(), want)
				}
				list, err := s.ListPending(ctx, 10, 0)
				if err != nil || len(list) != 2 || list[0].Email != "old0@example.com" || list[1].Email != "old2@example.com" {
					t.Errorf("ListPending after the upgrade = %v, %v; want old0 and old2", emailsOf(list), err)
				}
				u, err := s.FindByEmail(ctx, "OLD1@example.com")
				if err != nil || u.Status != domain.StatusApproved || u.Revision != 1 || !u.CreatedAt.Equal(t0.Add(time.Second)) {
					t.Errorf("FindByEmail after the upgrade = %+v, %v", u, err)
				}
				u.TokenVersion++
				if err := s.Update(ctx, u); err != nil {
					t.Errorf("Update after the upgrade: %v", err)
				}
				if err := s.Update(ctx, u); !errors.Is(err, domain.ErrConflict) {
					t.Errorf("Update of a stale revision after the upgrade: %v; want ErrConflict", err)
				}
				if err := s.Create(ctx, testUser("new@example.com", domain.StatusPending, t0)); err != nil {
					t.Errorf("Create after the upgrade: %v", err)
				}
				if err := s.Create(ctx, testUser("old0@example.com", domain.StatusPending, t0)); !errors.Is(err, domain.ErrEmailTaken) {
					t.Errorf("Create of an old user's email after the upgrade: %v; want ErrEmailTaken", err)
				}
				// old3 is an administrator: no other is seeded.
				root := testUser("root@example.com", domain.StatusApproved, t0)
				root.IsAdmin = true
				if created, err := s.EnsureAdmin(ctx, root); created || err != nil {
					t.Errorf("EnsureAdmin after the upgrade, with an old administrator = %v, %v; want false, nil", created, err)
				}

				// Starting again changes nothing and logs no migration.
				logs.Reset()
				if _, err := bunstore.New(ctx, db, bunstore.WithTable(table), bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))); err != nil {
					t.Fatalf("New on an up-to-date database: %v", err)
				}
				if logs.Len() != 0 {
					t.Errorf("New on an up-to-date database logged %q", logs.String())
				}
			})
		}
	}
}

// TestRecordedTableMissing checks that a table the version table knows but
// the database lacks is an error, not a silent fresh start (which would
// seed the default admin again).
func TestRecordedTableMissing(t *testing.T) {
	for _, leg := range schemaLegs {
		t.Run(leg.name, func(t *testing.T) {
			ctx := context.Background()
			db, _, table := leg.db(t)
			if _, err := bunstore.New(ctx, db, bunstore.WithTable(table), quiet); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `DROP TABLE "`+table+`"`); err != nil {
				t.Fatal(err)
			}
			_, err := bunstore.New(ctx, db, bunstore.WithTable(table), quiet)
			for _, want := range []string{"does not exist", "restore it from a backup", "delete its row from " + bunstore.VersionTable} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("New with the table gone: %v; want an error saying %q", err, want)
				}
			}
			if tableExists(t, db, table) {
				t.Error("New made the table afresh")
			}
		})
	}
}

// TestSchemaTooNew checks that a table recorded at a version this bunstore
// does not know is refused and left alone.
func TestSchemaTooNew(t *testing.T) {
	for _, leg := range schemaLegs {
		t.Run(leg.name, func(t *testing.T) {
			ctx := context.Background()
			db, _, table := leg.db(t)
			s, err := bunstore.New(ctx, db, bunstore.WithTable(table), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Create(ctx, testUser("keep@example.com", domain.StatusPending, time.Now())); err != nil {
				t.Fatal(err)
			}
			future := bunstore.SchemaVersion + 1
			if _, err := db.NewRaw("UPDATE "+bunstore.VersionTable+" SET version = ? WHERE table_name = ?", future, table).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			_, err = bunstore.New(ctx, db, bunstore.WithTable(table), quiet)
			if !errors.Is(err, bunstore.ErrSchemaTooNew) {
				t.Fatalf("New on a version-%d table: %v; want ErrSchemaTooNew", future, err)
			}
			if want := fmt.Sprintf("upgrade the program to a release of github.com/authadmin/authadmin/adapters/bunstore that knows version %d", future); !strings.Contains(err.Error(), want) {
				t.Errorf("New on a version-%d table: %v; want the message to say %q", future, err, want)
			}
			if v := schemaVersion(t, db, table); v != future {
				t.Errorf("the refused New changed the version to %d", v)
			}
			if _, err := s.FindByEmail(ctx, "keep@example.com"); err != nil {
				t.Errorf("the refused New lost a user: %v", err)
			}
		})
	}
}

// TestForeignTable checks that a users table bunstore did not create is
// refused, not adopted or altered, with an error that names WithTable as
// the way out.
func TestForeignTable(t *testing.T) {
	for _, leg := range schemaLegs {
		t.Run(leg.name, func(t *testing.T) {
			ctx := context.Background()
			db, _, table := leg.db(t)
			if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, name TEXT)"); err != nil {
				t.Fatal(err)
			}
			_, err := bunstore.New(ctx, db, bunstore.WithTable(table), quiet)
			if !errors.Is(err, bunstore.ErrForeignTable) {
				t.Fatalf("New on a foreign table: %v; want ErrForeignTable", err)
			}
			want := fmt.Sprintf(`bunstore: table exists but was not created by bunstore: table %s has no row in %s; `+
				`pass bunstore.WithTable("authadmin_users") to keep the users in another table`, table, bunstore.VersionTable)
			if err.Error() != want {
				t.Errorf("New on a foreign table: got error\n\t%v\nwant\n\t%s", err, want)
			}
			if v := schemaVersion(t, db, table); v != 0 {
				t.Errorf("the refused New recorded version %d", v)
			}
		})
	}

	// The suggested name is not the refused one.
	t.Run("foreign authadmin_users", func(t *testing.T) {
		ctx := context.Background()
		db, _, _ := schemaLegs[0].db(t)
		if _, err := db.ExecContext(ctx, "CREATE TABLE authadmin_users (id INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		_, err := bunstore.New(ctx, db, bunstore.WithTable("authadmin_users"), quiet)
		if want := `pass bunstore.WithTable("authadmin_users2")`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New on a foreign table authadmin_users: %v; want an error saying %q", err, want)
		}
	})
}

// TestConcurrentStarts starts eight stores on one new database at once, as
// eight processes of one deployment would: all succeed and the schema is
// made once.
func TestConcurrentStarts(t *testing.T) {
	for _, leg := range schemaLegs {
		t.Run(leg.name, func(t *testing.T) {
			ctx := context.Background()
			_, url, table := leg.db(t)
			var (
				wg         sync.WaitGroup
				mu         sync.Mutex
				migrations int
				errs       []error
			)
			for range 8 {
				wg.Go(func() {
					var logs bytes.Buffer
					s, err := bunstore.Open(ctx, url, bunstore.WithTable(table), bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
						return
					}
					s.Close()
					migrations += strings.Count(logs.String(), "schema migrated")
				})
			}
			wg.Wait()
			for _, err := range errs {
				t.Errorf("concurrent Open: %v", err)
			}
			if migrations != 1 {
				t.Errorf("%d of the concurrent Opens migrated the schema; want exactly 1", migrations)
			}
		})
	}
}

// TestReopenKeepsUsers checks that a SQLite file keeps its users across a
// close and reopen.
func TestReopenKeepsUsers(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "users.db")
	s, err := bunstore.Open(ctx, url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, testUser("ann@example.com", domain.StatusPending, time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, url)
	if _, err := s.FindByEmail(ctx, "ann@example.com"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// TestWithTable checks the table-name option: a valid name is used, and
// anything that is not a plain identifier is refused before any SQL runs.
func TestWithTable(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, "sqlite://:memory:", bunstore.WithTable("auth_users"))
	if s.Table() != "auth_users" {
		t.Errorf("Table() = %q", s.Table())
	}
	if !indexExists(t, s.DB(), "auth_users_pending_idx") {
		t.Error("no index auth_users_pending_idx")
	}
	dir := t.TempDir()
	for _, bad := range []string{"", "1users", "users; DROP TABLE x", `users"`, "my-users", "public.users", strings.Repeat("u", 49)} {
		if s, err := bunstore.Open(ctx, "sqlite://"+dir+"/users.db", bunstore.WithTable(bad)); err == nil {
			s.Close()
			t.Errorf("WithTable(%q) accepted", bad)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Open with a bad table name created %d files; want none", len(entries))
	}
}

// TestOpenMissingDirectory checks that a SQLite URL in a directory that does
// not exist gives an error that says so.
func TestOpenMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := bunstore.Open(context.Background(), "sqlite://"+dir+"/users.db")
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open in a missing directory: %v; want an error saying the directory does not exist", err)
	}
}

// TestSQLiteSettings checks what Open sets on every SQLite connection.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteFile(t)
	// Hold several connections at once so that the pragmas are read from
	// more than the first one.
	var conns []bun.Conn
	for range 3 {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var busy, sync int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || busy != int(bunstore.SQLiteBusyTimeout.Milliseconds()) || sync != 2 {
			t.Errorf("connection %d: journal_mode %s, busy_timeout %d, synchronous %d; want wal, %d, 2 (FULL)",
				i, mode, busy, sync, bunstore.SQLiteBusyTimeout.Milliseconds())
		}
		c.Close()
	}
}

// TestNewWarnsWithoutBusyTimeout checks the warning New logs for a SQLite
// database whose connections would fail at once on a lock.
func TestNewWarnsWithoutBusyTimeout(t *testing.T) {
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	var logs bytes.Buffer
	if _, err := bunstore.New(context.Background(), db, bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "no busy timeout") {
		t.Errorf("New logged %q; want a warning about the busy timeout", logs.String())
	}
}

// TestMemoryDatabases checks that sqlite://:memory: is one database per
// Open, and that it lives as long as the store, even when the pool closes
// its connection after every query.
func TestMemoryDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := openSQLiteMemory(t), openSQLiteMemory(t)
	if err := a.Create(ctx, testUser("ann@example.com", domain.StatusPending, time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindByEmail(ctx, "ann@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("a second in-memory store sees the first one's user: %v", err)
	}
	a.DB().SetMaxIdleConns(0) // close the connection after each use
	for i := range 3 {
		if _, err := a.FindByEmail(ctx, "ann@example.com"); err != nil {
			t.Fatalf("lookup %d on a fresh connection: %v", i, err)
		}
	}
	if n := a.DB().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("the in-memory store's pool allows %d connections; want 1", n)
	}
}

func emailsOf(list []domain.User) []string {
	out := make([]string, len(list))
	for i, u := range list {
		out[i] = u.Email
	}
	return out
}
