package bunstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// seedUser returns an administrator as usecase.Service.EnsureAdmin seeds
// one.
func seedUser(email string) domain.User {
	u := testUser(email, domain.StatusApproved, t0)
	u.IsAdmin, u.MustChangePassword = true, true
	return u
}

// countAdmins returns how many users of s's table have is_admin set,
// counted in SQL.
func countAdmins(t *testing.T, s *bunstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().NewRaw(`SELECT count(*) FROM "`+s.Table()+`" WHERE is_admin`).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEnsureAdminAcrossStores starts many EnsureAdmin calls at once, each
// with its own email, from several stores on one database, each with its
// own pool, as several instances of a deployment starting together (each
// configured with another admin email) would: exactly one reports true and
// exactly one administrator is stored, in every round.
func TestEnsureAdminAcrossStores(t *testing.T) {
	const (
		stores  = 4
		perPool = 8
		rounds  = 5
	)
	legs := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite_file", func(t *testing.T) string { return "sqlite://" + t.TempDir() + "/users.db" }},
		{"postgres", func(t *testing.T) string { needPostgres(t); return pg.url }},
	}
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			for round := range rounds {
				ensureAdminRound(t, round, leg.url(t), stores, perPool)
			}
		})
	}
}

// ensureAdminRound opens stores stores on a new table of the database at
// url and runs perPool EnsureAdmin calls on each at once, each with its own
// email: exactly one must report true and one administrator be stored.
func ensureAdminRound(t *testing.T, round int, url string, stores, perPool int) {
	t.Helper()
	ctx := context.Background()
	table := uniqueTable()
	var all []*bunstore.Store
	for range stores {
		s, err := bunstore.Open(ctx, url, bunstore.WithTable(table), quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		all = append(all, s)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	start := make(chan struct{})
	for si, s := range all {
		for j := range perPool {
			wg.Go(func() {
				u := seedUser(fmt.Sprintf("admin-%d-%d@example.com", si, j))
				<-start
				created, err := s.EnsureAdmin(ctx, u)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("round %d: EnsureAdmin(%s): %v", round, u.Email, err)
				}
				if created {
					winners = append(winners, u.Email)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("round %d: %d EnsureAdmin calls reported true (%v); want exactly 1", round, len(winners), winners)
	}
	if n := countAdmins(t, all[0]); n != 1 {
		t.Fatalf("round %d: %d administrators stored; want 1", round, n)
	}
	if u, err := all[1].FindByEmail(ctx, winners[0]); err != nil || !u.IsAdmin {
		t.Errorf("round %d: the winner %s: %+v, %v", round, winners[0], u, err)
	}
}

// TestEnsureAdminOtherEmail is the operator's case from the issue: a
// deployment restarted with another admin email seeds nobody, on every
// engine, and stores nothing; an administrator who was demoted no longer
// counts.
func TestEnsureAdminOtherEmail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		if created, err := s.EnsureAdmin(ctx, seedUser("admin@example.com")); !created || err != nil {
			t.Fatalf("first EnsureAdmin = %v, %v; want true, nil", created, err)
		}
		if created, err := s.EnsureAdmin(ctx, seedUser("other-admin@example.com")); created || err != nil {
			t.Errorf("EnsureAdmin with another email = %v, %v; want false, nil", created, err)
		}
		if _, err := s.FindByEmail(ctx, "other-admin@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("after EnsureAdmin with another email: %v; want ErrUserNotFound", err)
		}
		// Demote the first: there is no administrator left, so one is
		// seeded again.
		u, err := s.FindByEmail(ctx, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		u.IsAdmin = false
		if err := s.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
		if created, err := s.EnsureAdmin(ctx, seedUser("other-admin@example.com")); !created || err != nil {
			t.Errorf("EnsureAdmin after the only administrator was demoted = %v, %v; want true, nil", created, err)
		}
	})
}

// TestEnsureAdminWaitsForSeedingLock checks the PostgreSQL serialisation
// directly: while another transaction holds EnsureAdmin's lock, EnsureAdmin
// waits; when that transaction commits an administrator and ends, the
// waiting call sees it (its INSERT's snapshot is taken after the lock is
// granted) and stores nothing.
func TestEnsureAdminWaitsForSeedingLock(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	s := openPostgres(t)
	tx, err := pg.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it only reports that
	lock := `SELECT pg_advisory_xact_lock(hashtext('bunstore:ensure_admin'), hashtext(current_schema() || '.' || ?))`
	if _, err := tx.NewRaw(lock, s.Table()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	type result struct {
		created bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		created, err := s.EnsureAdmin(ctx, seedUser("late@example.com"))
		done <- result{created, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("EnsureAdmin returned %v, %v while another transaction held the seeding lock; want it to wait", r.created, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	first := seedUser("first@example.com")
	_, err = tx.NewRaw(`INSERT INTO "`+s.Table()+`" (email, password_hash, is_admin, status, created_at, updated_at) VALUES (?, ?, TRUE, 'approved', ?, ?)`,
		first.Email, first.PasswordHash, first.CreatedAt, first.UpdatedAt).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.created || r.err != nil {
			t.Errorf("EnsureAdmin after an administrator was committed under the lock = %v, %v; want false, nil", r.created, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("EnsureAdmin did not return after the lock was released")
	}
	if n := countAdmins(t, s); n != 1 {
		t.Errorf("%d administrators stored; want 1", n)
	}
}
