package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// deadline is the context deadline of the calls the deadline tests make
// against a server that stopped answering, and slack how much later than
// it (plus, for a write, the read that looks for it) they may return.
const (
	deadline = 300 * time.Millisecond
	slack    = time.Second
)

// timed runs f with a context that ends after deadline and returns how long
// it took and its error.
func timed(f func(ctx context.Context) error) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	return time.Since(start), err
}

// TestPostgresStopsAnswering black-holes the connections of some calls
// (the proxy keeps both sockets open and forwards nothing, as a stuck
// server or network would): each call must return soon after its context
// deadline, with an error wrapping context.DeadlineExceeded; a write, whose
// outcome is then unknown and whose confirming read is black-holed too,
// also wraps domain.ErrStoreUnavailable. Other connections keep working,
// and nothing was written.
func TestPostgresStopsAnswering(t *testing.T) {
	ctx := context.Background()
	s, p, direct := proxied(t)
	ann := testUser("ann@example.com", domain.StatusPending, t0)
	if err := direct.Create(ctx, ann); err != nil {
		t.Fatal(err)
	}
	for _, marker := range []string{"ann@example.com", "held@example.com", "LIMIT 7 OFFSET 3", "root@example.com"} {
		p.BlackHole([]byte(marker), 0)
	}
	root := testUser("root@example.com", domain.StatusApproved, t0)
	root.IsAdmin = true
	calls := []struct {
		name    string
		write   bool
		unknown bool // the write's outcome is unknown
		call    func(ctx context.Context) error
	}{
		{"FindByEmail", false, false, func(ctx context.Context) error { _, err := s.FindByEmail(ctx, ann.Email); return err }},
		{"ListPending", false, false, func(ctx context.Context) error { _, err := s.ListPending(ctx, 7, 3); return err }},
		{"Create", true, true, func(ctx context.Context) error {
			return s.Create(ctx, testUser("held@example.com", domain.StatusPending, t0))
		}},
		{"Update", true, true, func(ctx context.Context) error {
			u := storedUser(ann)
			u.TokenVersion = 7
			return s.Update(ctx, u)
		}},
		// The INSERT of EnsureAdmin's transaction is held: its COMMIT is
		// never sent, so the outcome is known (nothing stored).
		{"EnsureAdmin", true, false, func(ctx context.Context) error { _, err := s.EnsureAdmin(ctx, root); return err }},
	}
	for _, c := range calls {
		took, err := timed(c.call)
		limit := deadline + slack
		if c.unknown {
			limit += time.Second // the read that looks for the write (bunstore's confirmTimeout)
		}
		switch {
		case took > limit:
			t.Errorf("%s on a held connection took %v; want at most %v", c.name, took, limit)
		case !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("%s on a held connection: %v; want an error wrapping context.DeadlineExceeded", c.name, err)
		case c.unknown != errors.Is(err, domain.ErrStoreUnavailable):
			t.Errorf("%s on a held connection: %v; wraps ErrStoreUnavailable: %v, want %v", c.name, err,
				errors.Is(err, domain.ErrStoreUnavailable), c.unknown)
		default:
			t.Logf("%s returned after %v: %v", c.name, took, err)
		}
	}
	if p.Held() == 0 {
		t.Error("the proxy held no connection")
	}

	// Other calls still work while those connections are held.
	if err := s.Create(ctx, testUser("bob@example.com", domain.StatusPending, t0)); err != nil {
		t.Errorf("Create of another user while connections are held: %v", err)
	}
	p.Release()
	// The held statements never reached the server.
	if got, err := direct.FindByEmail(ctx, ann.Email); err != nil || got.TokenVersion != 0 || got.Revision != 1 {
		t.Errorf("ann after the held Update: %+v, %v; want her unchanged", got, err)
	}
	for _, email := range []string{"held@example.com", "root@example.com"} {
		if _, err := direct.FindByEmail(ctx, email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("%s after its held write: %v; want ErrUserNotFound", email, err)
		}
	}
	// The held EnsureAdmin's transaction ended with its connection: the
	// seeding lock is free again.
	if created, err := direct.EnsureAdmin(ctx, root); !created || err != nil {
		t.Errorf("EnsureAdmin after the held one was released = %v, %v; want true, nil", created, err)
	}
}

// TestSQLiteDeadlines checks that writes waiting for SQLite's write lock,
// held by another connection (another process, say), return soon after
// their context deadline: the one waiting in SQLite's busy handler, and the
// one queued behind it for the store's write slot. Both report the
// deadline, not an unknown outcome (a SQLite statement that returned is
// over), and nothing is written.
func TestSQLiteDeadlines(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/users.db"
	s := mustOpen(t, "sqlite://"+path)
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck // the test is over

	type result struct {
		err  error
		took time.Duration
	}
	results := make(chan result, 2)
	for _, email := range []string{"first@example.com", "second@example.com"} {
		go func() {
			took, err := timed(func(ctx context.Context) error {
				return s.Create(ctx, testUser(email, domain.StatusPending, t0))
			})
			results <- result{err, took}
		}()
	}
	for range 2 {
		r := <-results
		if r.took > deadline+slack || !errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, domain.ErrStoreUnavailable) {
			t.Errorf("Create while another connection holds the write lock: %v after %v; "+
				"want an error wrapping context.DeadlineExceeded (and not ErrStoreUnavailable) within %v", r.err, r.took, deadline+slack)
		}
	}
	if list, err := s.ListPending(ctx, 10, 0); err != nil || len(list) != 0 {
		t.Errorf("stored %v, %v; want nobody", emailsOf(list), err)
	}
}
