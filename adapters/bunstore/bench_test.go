package bunstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// benchSizes are the table sizes the store benchmarks run at: the cost of a
// lookup or an insert must not grow with them (both go through an index).
var benchSizes = []int{1_000, 100_000}

// benchEngines are the databases the store benchmarks run on. The
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

// seed stores n users (one in ten pending) in batches, and returns a
// function that gives the email of the i-th one.
func seed(b *testing.B, s *bunstore.Store, n int) func(i int) string {
	b.Helper()
	ctx := context.Background()
	email := func(i int) string { return fmt.Sprintf("user%07d@example.com", i) }
	const batch = 500
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var (
			values []string
			args   []any
		)
		for i := lo; i < hi; i++ {
			status := domain.StatusApproved
			if i%10 == 0 {
				status = domain.StatusPending
			}
			created := t0.Add(time.Duration(i) * time.Second)
			values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, email(i), "$2a$12$fixture-hash", false, string(status), false, created, created, 0, 1)
		}
		query := "INSERT INTO " + s.Table() + " (email, password_hash, is_admin, status, must_change_password, " +
			"created_at, updated_at, token_version, revision) VALUES " + strings.Join(values, ", ")
		if _, err := s.DB().NewRaw(query, args...).Exec(ctx); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE "+s.Table()); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	return email
}

// BenchmarkFindByEmail looks up stored users by email, with 1k and 100k users
// in the table.
func BenchmarkFindByEmail(b *testing.B) {
	for _, e := range benchEngines {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/users=%d", e.name, n), func(b *testing.B) {
				s := e.open(b)
				email := seed(b, s, n)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if _, err := s.FindByEmail(ctx, email(i*7919%n)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCreate registers new users, with 1k and 100k users already in the
// table.
func BenchmarkCreate(b *testing.B) {
	for _, e := range benchEngines {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/users=%d", e.name, n), func(b *testing.B) {
				s := e.open(b)
				seed(b, s, n)
				ctx := context.Background()
				now := time.Now().UTC().Truncate(time.Microsecond)
				b.ReportAllocs()
				b.ResetTimer()
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

// BenchmarkPostgresExecModes compares pgx's query exec modes for the lookup
// by email, 1k users stored, against a raw prepared statement on the same
// table. bun formats arguments into the SQL text, so in pgx's default mode
// (cache_statement) every lookup is a statement never seen before: prepared
// (one more round trip) and cached for nothing. Open uses simple_protocol.
func BenchmarkPostgresExecModes(b *testing.B) {
	needPostgres(b)
	ctx := context.Background()
	table := uniqueTable()
	s := mustOpen(b, pg.url, bunstore.WithTable(table))
	const n = 1_000
	email := seed(b, s, n)
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
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := s.FindByEmail(ctx, email(i*7919%n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("raw_prepared_statement", func(b *testing.B) {
		db, err := sql.Open("pgx", pg.url)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		stmt, err := db.PrepareContext(ctx, "SELECT email, password_hash, is_admin, status, must_change_password, "+
			"created_at, updated_at, token_version, revision FROM "+table+" WHERE email = $1")
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		var u domain.User
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := stmt.QueryRowContext(ctx, email(i*7919%n)).Scan(&u.Email, &u.PasswordHash, &u.IsAdmin, &u.Status,
				&u.MustChangePassword, &u.CreatedAt, &u.UpdatedAt, &u.TokenVersion, &u.Revision)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
