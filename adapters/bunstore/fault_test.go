package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/internal/faultproxy"
	"github.com/authadmin/authadmin/usecase"
)

// The tests of this file put a faultproxy between a store and the
// PostgreSQL test server, to check what the store reports when the network
// fails: a write whose answer is lost after the server ran it
// (CutAfterReply), and a server that stops answering (BlackHole).

// proxied opens a store on a new table through a fault proxy in front of
// the test server, and a second store on the same table through the shared
// pool (no proxy), to check what was really stored.
func proxied(t *testing.T) (s *bunstore.Store, p *faultproxy.Proxy, direct *bunstore.Store) {
	t.Helper()
	needPostgres(t)
	p = faultproxy.Start(t, pgHostPort(t))
	table := uniqueTable()
	s = mustOpen(t, strings.Replace(pg.url, pgHostPort(t), p.Addr(), 1), bunstore.WithTable(table))
	// More connections than the tests' concurrent writers (16): a write
	// whose answer was cut reads its row back within 1 s, and with the
	// default pool (8 on two cores) that read would queue behind the other
	// writers. These tests are about cut answers, not a saturated pool.
	s.DB().SetMaxOpenConns(32)
	direct, err := bunstore.New(context.Background(), pg.db, bunstore.WithTable(table), quiet)
	if err != nil {
		t.Fatal(err)
	}
	return s, p, direct
}

// t0 is the creation time of the users of these tests.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// stored returns u as a store returns it after Create.
func storedUser(u domain.User) domain.User {
	u.Email = domain.EmailKey(u.Email)
	u.Revision = 1
	return u
}

// sameUser reports whether got is want, times compared with Equal.
func sameUser(got, want domain.User) bool {
	return got.Email == want.Email && got.PasswordHash == want.PasswordHash && got.IsAdmin == want.IsAdmin &&
		got.Status == want.Status && got.MustChangePassword == want.MustChangePassword &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) &&
		got.TokenVersion == want.TokenVersion && got.Revision == want.Revision
}

// TestDriverRerunsWriteAfterLostReply documents why bunstore runs its writes
// on a connection of their own (execWrite): through database/sql's pool,
// pgx v5's stdlib driver reports a connection cut after the server answered
// as driver.ErrBadConn, and database/sql runs the statement again on
// another connection, so an INSERT is applied twice. It is skipped if the
// driver no longer does that.
func TestDriverRerunsWriteAfterLostReply(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	p := faultproxy.Start(t, pgHostPort(t))
	sqldb, err := sql.Open("pgx", strings.Replace(pg.url, pgHostPort(t), p.Addr(), 1)+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	table := uniqueTable()
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+" (v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	p.CutAfterReply([]byte("rerun-marker"), 1)
	_, err = db.NewRaw("INSERT INTO "+table+" (v) VALUES (?)", "rerun-marker").Exec(ctx)
	var n int
	if err := pg.db.NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if p.Cuts() != 1 {
		t.Fatalf("the proxy made %d cuts; want 1", p.Cuts())
	}
	if n == 2 && err == nil {
		t.Logf("one INSERT through the pool, its answer cut: %d rows, no error (database/sql ran it again)", n)
		return
	}
	t.Skipf("one INSERT through the pool, its answer cut: %d rows, error %v: the driver no longer runs it again", n, err)
}

// TestCreateAnswerLost cuts the connection after the server ran a Create's
// INSERT, before the answer reached the store: Create must report success
// (the row is its own), not ErrEmailTaken, and the user be stored once.
func TestCreateAnswerLost(t *testing.T) {
	ctx := context.Background()
	s, p, direct := proxied(t)
	u := testUser("lost-answer@example.com", domain.StatusPending, t0)
	rule := p.CutAfterReply([]byte(u.Email), 1)
	err := s.Create(ctx, u)
	if rule.Fired() != 1 || p.Cuts() != 1 {
		t.Fatalf("the proxy cut %d connections; want 1", p.Cuts())
	}
	if err != nil {
		t.Errorf("Create whose answer was lost: %v; want nil (the row is its own)", err)
	}
	got, err := direct.FindByEmail(ctx, u.Email)
	if err != nil || !sameUser(got, storedUser(u)) {
		t.Errorf("stored %+v, %v; want %+v", got, err, storedUser(u))
	}
	// A real duplicate is still one.
	if err := s.Create(ctx, u); !errors.Is(err, domain.ErrEmailTaken) {
		t.Errorf("Create of the same email again: %v; want ErrEmailTaken", err)
	}
}

// TestUpdateAnswerLost cuts the connection after the server ran an Update:
// Update must report success, not ErrConflict, and the change be stored
// once (revision 2).
func TestUpdateAnswerLost(t *testing.T) {
	ctx := context.Background()
	s, p, direct := proxied(t)
	u := testUser("lost-update@example.com", domain.StatusPending, t0)
	if err := s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	u = storedUser(u)
	u.TokenVersion, u.PasswordHash = 1, "$2a$04$changed"
	p.CutAfterReply([]byte("$2a$04$changed"), 1)
	err := s.Update(ctx, u)
	if p.Cuts() != 1 {
		t.Fatalf("the proxy cut %d connections; want 1", p.Cuts())
	}
	if err != nil {
		t.Errorf("Update whose answer was lost: %v; want nil (the change is its own)", err)
	}
	want := u
	want.Revision = 2
	got, err := direct.FindByEmail(ctx, u.Email)
	if err != nil || !sameUser(got, want) {
		t.Errorf("stored %+v, %v; want %+v", got, err, want)
	}
	// A real conflict is still one: u is at revision 1, the store at 2.
	if err := s.Update(ctx, u); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Update of a stale revision: %v; want ErrConflict", err)
	}
}

// TestEnsureAdminAnswerLost cuts EnsureAdmin's transaction on PostgreSQL:
// after the COMMIT ran (the admin was stored: true, nil), and after the
// INSERT ran but before the COMMIT was sent (the transaction can never
// commit: an error that does not say "unknown", and nothing stored).
func TestEnsureAdminAnswerLost(t *testing.T) {
	ctx := context.Background()
	admin := testUser("root@example.com", domain.StatusApproved, t0)
	admin.IsAdmin = true

	t.Run("commit", func(t *testing.T) {
		s, p, direct := proxied(t)
		p.CutAfterReply([]byte("commit"), 1)
		created, err := s.EnsureAdmin(ctx, admin)
		if p.Cuts() != 1 {
			t.Fatalf("the proxy cut %d connections; want 1", p.Cuts())
		}
		if !created || err != nil {
			t.Errorf("EnsureAdmin whose COMMIT's answer was lost = %v, %v; want true, nil", created, err)
		}
		if got, err := direct.FindByEmail(ctx, admin.Email); err != nil || !sameUser(got, storedUser(admin)) {
			t.Errorf("stored %+v, %v; want %+v", got, err, storedUser(admin))
		}
	})
	t.Run("insert", func(t *testing.T) {
		s, p, direct := proxied(t)
		p.CutAfterReply([]byte(admin.Email), 1)
		created, err := s.EnsureAdmin(ctx, admin)
		if p.Cuts() != 1 {
			t.Fatalf("the proxy cut %d connections; want 1", p.Cuts())
		}
		if created || err == nil || errors.Is(err, domain.ErrStoreUnavailable) {
			t.Errorf("EnsureAdmin cut before its COMMIT = %v, %v; want false and an error that does not wrap ErrStoreUnavailable", created, err)
		}
		if _, err := direct.FindByEmail(ctx, admin.Email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("after EnsureAdmin cut before its COMMIT: %v; want ErrUserNotFound", err)
		}
		if created, err := s.EnsureAdmin(ctx, admin); !created || err != nil {
			t.Errorf("EnsureAdmin again = %v, %v; want true, nil", created, err)
		}
	})
}

// TestWritesThroughCuts runs many Creates, then many Updates, from
// concurrent goroutines through a proxy that cuts the answer of some of
// them (as the cutting proxy did): none may be reported as a
// conflict that did not happen, and every write must be stored once.
func TestWritesThroughCuts(t *testing.T) {
	const (
		users   = 400
		workers = 16
		cuts    = 40
	)
	ctx := context.Background()
	s, p, direct := proxied(t)
	each := func(f func(i int) error) (errs []error) {
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					if err := f(i); err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("user %d: %w", i, err))
						mu.Unlock()
					}
				}
			})
		}
		for i := range users {
			next <- i
		}
		close(next)
		wg.Wait()
		return errs
	}
	email := func(i int) string { return fmt.Sprintf("cut%03d@example.com", i) }

	p.CutAfterReply([]byte(`INSERT INTO "`+s.Table()+`"`), cuts)
	for _, err := range each(func(i int) error { return s.Create(ctx, testUser(email(i), domain.StatusPending, t0)) }) {
		t.Errorf("Create: %v", err)
	}
	if p.Cuts() != cuts {
		t.Errorf("the proxy cut %d Creates; want %d", p.Cuts(), cuts)
	}
	list, err := direct.ListPending(ctx, 2*users, 0)
	if err != nil || len(list) != users {
		t.Fatalf("%d users stored (%v); want %d", len(list), err, users)
	}

	p.CutAfterReply([]byte(`UPDATE "`+s.Table()+`"`), cuts)
	for _, err := range each(func(i int) error {
		u := storedUser(testUser(email(i), domain.StatusPending, t0))
		u.Status, u.TokenVersion = domain.StatusApproved, 1
		return s.Update(ctx, u)
	}) {
		t.Errorf("Update: %v", err)
	}
	if p.Cuts() != 2*cuts {
		t.Errorf("the proxy cut %d Updates; want %d", p.Cuts()-cuts, cuts)
	}
	for i := range users {
		u, err := direct.FindByEmail(ctx, email(i))
		if err != nil || u.Revision != 2 || u.Status != domain.StatusApproved {
			t.Errorf("user %d after the updates: revision %d, status %s, %v; want 2, approved", i, u.Revision, u.Status, err)
		}
	}
}

// TestServiceThroughCuts is the scenario through the use cases:
// registrations and password changes while a proxy cuts the answers of
// some of their writes. No registration may fail with ErrEmailTaken (409)
// and no password change with an invalid token or incorrect password
// (401), and each change must be in place afterwards.
func TestServiceThroughCuts(t *testing.T) {
	const (
		users = 60
		cuts  = 20
	)
	ctx := context.Background()
	s, p, direct := proxied(t)
	svc := newService(s)
	email := func(i int) string { return fmt.Sprintf("svc%03d@example.com", i) }

	p.CutAfterReply([]byte(`INSERT INTO "`+s.Table()+`"`), cuts)
	errs := registerAtOnce(svc, users, email)
	for i, err := range errs {
		if err != nil {
			t.Errorf("Register(%s): %v", email(i), err)
		}
	}
	if p.Cuts() != cuts {
		t.Fatalf("the proxy cut %d registrations; want %d", p.Cuts(), cuts)
	}

	// Approve everyone directly, then change every password through the
	// proxy while it cuts some of the updates.
	for i := range users {
		u, err := direct.FindByEmail(ctx, email(i))
		if err != nil {
			t.Fatal(err)
		}
		u.Status = domain.StatusApproved
		if err := direct.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	principals := make([]usecase.Principal, users)
	for i := range users {
		tok, err := svc.Login(ctx, usecase.LoginRequest{Email: email(i), Password: "correct horse battery"})
		if err != nil {
			t.Fatalf("Login(%s): %v", email(i), err)
		}
		if principals[i], err = svc.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	before := p.Cuts()
	p.CutAfterReply([]byte(`UPDATE "`+s.Table()+`"`), cuts)
	var wg sync.WaitGroup
	changeErrs := make([]error, users)
	for i := range users {
		wg.Go(func() {
			changeErrs[i] = svc.ChangePassword(ctx, principals[i], "correct horse battery", "battery staple horse")
		})
	}
	wg.Wait()
	for i, err := range changeErrs {
		if err != nil {
			t.Errorf("ChangePassword(%s): %v", email(i), err)
		}
	}
	if p.Cuts()-before != cuts {
		t.Errorf("the proxy cut %d password changes; want %d", p.Cuts()-before, cuts)
	}
	for i := range users {
		u, err := direct.FindByEmail(ctx, email(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := (authtest.Hasher{}).Compare(ctx, u.PasswordHash, "battery staple horse"); err != nil || u.Revision != 3 {
			t.Errorf("%s after the password change: revision %d, new password: %v; want revision 3 and the new password", email(i), u.Revision, err)
		}
	}
}

// TestWritesThroughResets is the experiment at the store: many
// Creates, then many Updates, from concurrent goroutines while the proxy
// breaks every open connection at random moments (ResetAll), whatever it
// is doing. Every answer must be true: a success is stored, a plain error
// stored nothing, only domain.ErrStoreUnavailable may leave either, and no
// write is reported as taken or conflicting (nobody else writes these
// users).
func TestWritesThroughResets(t *testing.T) {
	const (
		users   = 1500
		workers = 16
	)
	ctx := context.Background()
	s, p, direct := proxied(t)
	email := func(i int) string { return fmt.Sprintf("reset%04d@example.com", i) }

	// run calls f for every user from workers goroutines while the proxy
	// breaks every open connection every 40 ms, and returns each call's
	// error.
	run := func(f func(i int) error) []error {
		errs := make([]error, users)
		stop := make(chan struct{})
		var breaker sync.WaitGroup
		breaker.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(40 * time.Millisecond):
					p.ResetAll()
				}
			}
		})
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					errs[i] = f(i)
				}
			})
		}
		for i := range users {
			next <- i
		}
		close(next)
		wg.Wait()
		close(stop)
		breaker.Wait()
		return errs
	}
	tally := func(what string, errs []error, applied func(i int) bool) {
		t.Helper()
		var ok, unknown, failed int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				if !applied(i) {
					t.Errorf("%s %s succeeded but was not applied", what, email(i))
				}
			case errors.Is(err, domain.ErrEmailTaken), errors.Is(err, domain.ErrConflict):
				t.Errorf("%s %s: %v; nobody else wrote this user", what, email(i), err)
			case errors.Is(err, domain.ErrStoreUnavailable):
				unknown++
				if unknown <= 3 {
					t.Logf("%s %s: %v", what, email(i), err)
				}
			default:
				failed++
				if failed <= 3 {
					t.Logf("%s %s: %v", what, email(i), err)
				}
				if applied(i) {
					t.Errorf("%s %s failed (%v) but was applied", what, email(i), err)
				}
			}
		}
		t.Logf("%d %ss, %d connections reset so far: %d succeeded, %d unknown (ErrStoreUnavailable), %d failed", users, what, p.Resets(), ok, unknown, failed)
	}

	errs := run(func(i int) error { return s.Create(ctx, testUser(email(i), domain.StatusPending, t0)) })
	stored := make([]bool, users)
	for i := range users {
		_, err := direct.FindByEmail(ctx, email(i))
		stored[i] = err == nil
	}
	tally("Create", errs, func(i int) bool { return stored[i] })

	resetsBefore := p.Resets()
	errs = run(func(i int) error {
		if !stored[i] {
			return nil
		}
		u := storedUser(testUser(email(i), domain.StatusPending, t0))
		u.Status, u.TokenVersion = domain.StatusApproved, 1
		return s.Update(ctx, u)
	})
	tally("Update", errs, func(i int) bool {
		u, err := direct.FindByEmail(ctx, email(i))
		return !stored[i] || (err == nil && u.Revision == 2)
	})
	if p.Resets() == resetsBefore {
		t.Error("the proxy broke no connection during the updates")
	}
}
