package bunstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/authadmin/authadmin/adapters/bunstore"
)

// postgresEnv names the variable that holds the DSN of the PostgreSQL
// server the tests use. CI always sets it; without it the PostgreSQL leg of
// every test is skipped with a message saying so.
const postgresEnv = "AUTH_TEST_POSTGRES_URL"

// pg is the PostgreSQL test environment of this run, set up by TestMain:
// a schema of the run's own, dropped at the end, so that concurrent runs on
// one server do not collide.
var pg struct {
	url    string  // AUTH_TEST_POSTGRES_URL with search_path set to the run's schema
	schema string  // the run's schema
	db     *bun.DB // a pool Open made on url, shared by the tests that call New
}

// quiet sends a store's logs nowhere; tests that check logs pass their own
// logger after it.
var quiet = bunstore.WithLogger(slog.New(slog.DiscardHandler))

// tableSeq makes the table names of stores on the shared pool unique.
var tableSeq atomic.Int64

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer removeScaleFixtures()
	base := os.Getenv(postgresEnv)
	if base == "" {
		fmt.Fprintf(os.Stderr, "bunstore: %s is unset: the PostgreSQL leg of the tests is skipped\n", postgresEnv)
		return m.Run()
	}
	cleanup, err := setUpPostgres(base)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bunstore: %s is set but the PostgreSQL test schema cannot be made: %v\n", postgresEnv, err)
		return 1
	}
	defer cleanup()
	return m.Run()
}

// setUpPostgres creates the run's schema and the shared pool.
func setUpPostgres(base string) (cleanup func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse %s: cannot parse", postgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	schema := "bunstore_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	pg.url, pg.schema = u.String(), schema

	// The shared pool is one Open made, so that the tests run with Open's
	// connection settings (exec mode, standard strings); Open also checks
	// that the server answers.
	shared, err := bunstore.Open(ctx, pg.url, bunstore.WithTable("users_shared"), quiet)
	if err != nil {
		admin.Close()
		return nil, err
	}
	pg.db = shared.DB()
	pg.db.SetMaxOpenConns(24)
	pg.db.SetMaxIdleConns(24)
	return func() {
		shared.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "bunstore: drop test schema %s: %v\n", schema, err)
		}
		admin.Close()
	}, nil
}

var _ = stdlib.GetDefaultDriver // the pgx driver registers itself as "pgx"

// needPostgres skips t when the PostgreSQL leg is off.
func needPostgres(t testing.TB) {
	t.Helper()
	if pg.url == "" {
		t.Skipf("%s is unset: skipping the PostgreSQL leg", postgresEnv)
	}
}

// uniqueTable returns a table name no other test of this run uses.
func uniqueTable() string { return fmt.Sprintf("users_%d", tableSeq.Add(1)) }

// An engine is one way of getting a fresh, empty store.
type engine struct {
	name string
	open func(t testing.TB) *bunstore.Store
}

// engines lists the legs every store test runs on.
var engines = []engine{
	{"sqlite_file", openSQLiteFile},
	{"sqlite_memory", openSQLiteMemory},
	{"postgres", openPostgres},
}

// openSQLiteFile opens a store on a new SQLite file in t's temporary
// directory.
func openSQLiteFile(t testing.TB) *bunstore.Store {
	t.Helper()
	return mustOpen(t, "sqlite://"+t.TempDir()+"/users.db")
}

// openSQLiteMemory opens a store on a new in-memory SQLite database.
func openSQLiteMemory(t testing.TB) *bunstore.Store {
	t.Helper()
	return mustOpen(t, "sqlite://:memory:")
}

// openPostgres returns a store on a new table of the shared PostgreSQL pool.
func openPostgres(t testing.TB) *bunstore.Store {
	t.Helper()
	needPostgres(t)
	s, err := bunstore.New(context.Background(), pg.db, bunstore.WithTable(uniqueTable()), quiet)
	if err != nil {
		t.Fatalf("bunstore.New on PostgreSQL: %v", err)
	}
	return s
}

// mustOpen opens the store at url and closes it when t ends.
func mustOpen(t testing.TB, url string, opts ...bunstore.Option) *bunstore.Store {
	t.Helper()
	s, err := bunstore.Open(context.Background(), url, append([]bunstore.Option{quiet}, opts...)...)
	if err != nil {
		t.Fatalf("bunstore.Open(%q): %v", url, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
