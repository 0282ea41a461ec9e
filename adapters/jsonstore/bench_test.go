package jsonstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// benchUsers returns n users as the store keeps them (canonical), with
// bcrypt-sized hashes, so that the file has a realistic size.
func benchUsers(n int) map[string]domain.User {
	users := make(map[string]domain.User, n)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		u := domain.User{
			Email:        fmt.Sprintf("user%06d@example.com", i),
			PasswordHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
			Status:       []domain.Status{domain.StatusPending, domain.StatusApproved, domain.StatusRejected}[i%3],
			CreatedAt:    at, UpdatedAt: at, TokenVersion: int64(i % 5), Revision: 1 + int64(i%7),
		}
		users[u.Email] = u
	}
	return users
}

// writeUserFile writes a user file holding users at path, as the store
// would write it.
func writeUserFile(tb testing.TB, path string, users map[string]domain.User) {
	tb.Helper()
	data, err := encode(users)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkWrite measures durable writes (Create of a new user, Update of
// an existing one) on a file that already holds 0, 100, 1000 and 5000
// users, and reports writes/s. Every write re-encodes, rewrites and fsyncs
// the whole file, so the rate falls as the file grows; the package
// documentation's recommended size (RecommendedMaxUsers) comes from this
// benchmark:
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 2s ./adapters/jsonstore/
//
// The temporary files are written under $JSONSTORE_BENCH_DIR if it is set
// (to measure a particular disk), else under the test's temporary
// directory. Create keeps the size near its nominal value by rewriting the
// file, outside the timer, after every max(10, n/10) creates.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, op := range []string{"Create", "Update"} {
		for _, n := range []int{0, 100, 1000, 5000} {
			b.Run(fmt.Sprintf("%s/users=%d", op, n), func(b *testing.B) {
				dir := b.TempDir()
				if d := os.Getenv("JSONSTORE_BENCH_DIR"); d != "" {
					var err error
					if dir, err = os.MkdirTemp(d, "jsonstore-bench-"); err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { os.RemoveAll(dir) })
				}
				path := filepath.Join(dir, "users.json")
				users := benchUsers(n)
				var s *Store
				reopen := func() {
					if s != nil {
						if err := s.Close(); err != nil {
							b.Fatal(err)
						}
					}
					writeUserFile(b, path, users)
					var err error
					if s, err = Open(path, WithLogger(quiet)); err != nil {
						b.Fatal(err)
					}
				}
				reopen()
				b.Cleanup(func() { s.Close() })
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}

				switch op {
				case "Create":
					every := max(10, n/10)
					b.ResetTimer()
					for i := range b.N {
						if i > 0 && i%every == 0 {
							b.StopTimer()
							reopen()
							b.StartTimer()
						}
						u := domain.User{
							Email: fmt.Sprintf("new%07d@example.com", i), PasswordHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
							Status: domain.StatusPending, CreatedAt: t0, UpdatedAt: t0,
						}
						if err := s.Create(ctx, u); err != nil {
							b.Fatal(err)
						}
					}
				case "Update":
					target := "target@example.com"
					if err := s.Create(ctx, user(target, domain.StatusPending, t0)); err != nil {
						b.Fatal(err)
					}
					u, err := s.FindByEmail(ctx, target)
					if err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
					for range b.N {
						u.TokenVersion++
						if err := s.Update(ctx, u); err != nil {
							b.Fatal(err)
						}
						u.Revision++
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
				b.ReportMetric(float64(fi.Size()), "file-bytes")
			})
		}
	}
}
