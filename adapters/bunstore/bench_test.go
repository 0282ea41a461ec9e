package bunstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// The lookup benchmarks are in scale_test.go (BenchmarkLookupScale,
// BenchmarkServiceScale), with the population they share.

// benchEngines are the databases the write benchmark runs on. The
// PostgreSQL store is made by Open, so that it has Open's connection
// settings (the exec mode in particular).
var benchEngines = []struct {
	name string
	open func(b *testing.B) *bunstore.Store
}{
	{"sqlite_file", func(b *testing.B) *bunstore.Store { return openSQLiteFile(b) }},
	{"postgres", func(b *testing.B) *bunstore.Store {
		needPostgres(b)
		return mustOpen(b, pg.url, bunstore.WithTable(uniqueTable()))
	}},
}

// BenchmarkCreate registers new users into a table of 1k users (and the
// larger populations AUTHADMIN_BENCH_SCALE asks for, see scale_test.go,
// each seeded afresh since the benchmark writes): the uniqueness check and
// the insert go through the primary key, so the cost must not grow with
// the table. On SQLite it is mostly the sync of each commit.
func BenchmarkCreate(b *testing.B) {
	sizes := scaleSizes(b)
	for _, e := range benchEngines {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/users=%s", e.name, sizeLabel(n)), func(b *testing.B) {
				s := e.open(b)
				ctx := context.Background()
				if err := seedUsers(ctx, s, n, true); err != nil {
					b.Fatal(err)
				}
				now := time.Now().UTC().Truncate(time.Microsecond)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					u := testUser(fmt.Sprintf("new%08d@example.com", i), domain.StatusPending, now)
					if err := s.Create(ctx, u); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPostgresExecModes compares ways of running the lookup by email
// on PostgreSQL, 1k users stored, with benchstat -col /mode:
//
//   - mode=<pgx exec mode>: the store's FindByEmail on a pool whose URL sets
//     default_query_exec_mode; mode=default(Open) is what Open picks
//     (simple_protocol). bun formats arguments into the SQL text, so in
//     pgx's default mode (cache_statement) every lookup is a statement
//     never seen before: prepared (one more round trip) and cached for
//     nothing.
//   - mode=raw_*: the same query without bun, through database/sql with a
//     $1 parameter, scanned field by field: raw_prepared on a *sql.Stmt,
//     raw_cache_statement and raw_exec with pgx's exec mode passed as an
//     argument (a statement prepared once per connection and cached by
//     pgx; an unnamed statement, parsed and planned every time, in one
//     round trip).
//   - mode=raw_select_1: SELECT 1, the floor of one round trip.
func BenchmarkPostgresExecModes(b *testing.B) {
	needPostgres(b)
	ctx := context.Background()
	table := uniqueTable()
	s := mustOpen(b, pg.url, bunstore.WithTable(table))
	const n = 1_000
	if err := seedUsers(ctx, s, n, false); err != nil {
		b.Fatal(err)
	}
	emails, stored := lookupKeys(n, 1<<12)
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol", ""} {
		name := "mode=" + mode
		if mode == "" {
			name = "mode=default(Open)"
		}
		b.Run(name, func(b *testing.B) {
			url := pg.url
			if mode != "" {
				url += "&default_query_exec_mode=" + mode
			}
			s := mustOpen(b, url, bunstore.WithTable(table))
			b.ReportAllocs()
			for k := 0; b.Loop(); k = (k + 1) % len(emails) {
				if _, err := s.FindByEmail(ctx, emails[k]); stored[k] && err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	query := "SELECT email, password_hash, is_admin, status, must_change_password, " +
		"created_at, updated_at, token_version, revision FROM " + table + " WHERE email = $1"
	// raw runs the lookup through row, database/sql's answer for email.
	raw := func(b *testing.B, row func(email string) *sql.Row) {
		var (
			u      domain.User
			status string
		)
		b.ReportAllocs()
		for k := 0; b.Loop(); k = (k + 1) % len(emails) {
			err := row(emails[k]).Scan(&u.Email, &u.PasswordHash, &u.IsAdmin, &status,
				&u.MustChangePassword, &u.CreatedAt, &u.UpdatedAt, &u.TokenVersion, &u.Revision)
			if stored[k] && err != nil {
				b.Fatal(err)
			}
		}
	}
	db, err := sql.Open("pgx", pg.url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("mode=raw_prepared", func(b *testing.B) {
		stmt, err := db.PrepareContext(ctx, query)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		raw(b, func(email string) *sql.Row { return stmt.QueryRowContext(ctx, email) })
	})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		b.Run("mode=raw_"+strings.ReplaceAll(mode.String(), " ", "_"), func(b *testing.B) {
			raw(b, func(email string) *sql.Row { return db.QueryRowContext(ctx, query, mode, email) })
		})
	}
	b.Run("mode=raw_select_1", func(b *testing.B) {
		var one int
		b.ReportAllocs()
		for b.Loop() {
			if err := db.QueryRowContext(ctx, "SELECT 1", pgx.QueryExecModeSimpleProtocol).Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
}
