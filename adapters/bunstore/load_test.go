package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// newService returns the use cases on repo, with the test kit's fast hasher
// so that the load tests measure the store. Passwords are checked with
// authtest.Hasher.
func newService(repo ports.UserRepository) *usecase.Service {
	return authtest.New(authtest.WithStore(repo), authtest.WithConfig(func(c *usecase.Config) {
		// These tests load the store, not the hashing cap: every
		// concurrent registration may wait for a slot, also many for one
		// account.
		c.HashQueue, c.HashQueuePerClient, c.HashWait = 1000, 1000, time.Minute
	})).Service
}

// forEachEngine runs f as a subtest on a fresh store of every engine.
func forEachEngine(t *testing.T, f func(t *testing.T, s *bunstore.Store)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { f(t, e.open(t)) })
	}
}

// TestLoadDistinctRegistrations registers 100 users from 100 goroutines at
// once: every registration succeeds and every user is stored.
func TestLoadDistinctRegistrations(t *testing.T) {
	const n = 100
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		errs := registerAtOnce(newService(s), n, func(i int) string { return fmt.Sprintf("user%03d@example.com", i) })
		for i, err := range errs {
			if err != nil {
				t.Errorf("Register(user%03d): %v", i, err)
			}
		}
		list, err := s.ListPending(ctx, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != n {
			t.Errorf("%d pending users stored; want %d", len(list), n)
		}
	})
}

// TestLoadSameEmailCaseVariants registers one address in 50 letter cases
// from 50 goroutines at once: exactly one succeeds, the others get
// ErrEmailTaken and nothing else, and one user is stored.
func TestLoadSameEmailCaseVariants(t *testing.T) {
	const n = 50
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		errs := registerAtOnce(newService(s), n, func(i int) string { return caseVariant("load.test@example.com", i) })
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrEmailTaken):
				t.Errorf("Register(%s): %v; want nil or ErrEmailTaken", caseVariant("load.test@example.com", i), err)
			}
		}
		if won != 1 {
			t.Errorf("%d registrations succeeded; want exactly 1", won)
		}
		list, err := s.ListPending(ctx, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Email != "load.test@example.com" {
			t.Errorf("stored %v; want only load.test@example.com", emailsOf(list))
		}
	})
}

// registerAtOnce registers email(0) .. email(n-1) from n goroutines released
// together, and returns each registration's error.
func registerAtOnce(svc *usecase.Service, n int, email func(i int) string) []error {
	ctx := context.Background()
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = svc.Register(ctx, email(i), "correct horse battery")
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// caseVariant upper-cases the letters of email at the set bits of i.
func caseVariant(email string, i int) string {
	b := []byte(email)
	bit := 0
	for j, c := range b {
		if c >= 'a' && c <= 'z' {
			if i>>bit&1 == 1 {
				b[j] = c - 'a' + 'A'
			}
			bit++
		}
	}
	return string(b)
}

// callAll calls every method of repo and returns their errors by name.
func callAll(ctx context.Context, repo ports.UserRepository, u domain.User) map[string]error {
	errs := map[string]error{}
	_, errs["FindByEmail"] = repo.FindByEmail(ctx, u.Email)
	errs["Create"] = repo.Create(ctx, u)
	u.Revision = 1
	errs["Update"] = repo.Update(ctx, u)
	_, errs["ListPending"] = repo.ListPending(ctx, 10, 0)
	_, errs["EnsureAdmin"] = repo.EnsureAdmin(ctx, u)
	return errs
}

// checkAllFail checks that every call failed with an error that is not one
// of the domain's answers (the transports map it to 500).
func checkAllFail(t *testing.T, errs map[string]error) {
	t.Helper()
	for name, err := range errs {
		switch {
		case err == nil:
			t.Errorf("%s succeeded on an unusable database", name)
		case errors.Is(err, domain.ErrUserNotFound), errors.Is(err, domain.ErrEmailTaken),
			errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrValidation):
			t.Errorf("%s: %v; an unusable database must not look like a domain answer", name, err)
		case !strings.HasPrefix(err.Error(), "bunstore: "):
			t.Errorf("%s: %q does not start with \"bunstore: \"", name, err)
		}
	}
}

// TestClosedStore checks that every method of a closed store returns an
// error, without panicking, and that nothing was written.
func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	u := testUser("late@example.com", domain.StatusPending, time.Now())
	t.Run("sqlite_file", func(t *testing.T) {
		url := "sqlite://" + t.TempDir() + "/users.db"
		s, err := bunstore.Open(ctx, url, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		checkAllFail(t, callAll(ctx, s, u))
		if _, err := mustOpen(t, url).FindByEmail(ctx, u.Email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("after reopening: %v; want ErrUserNotFound (no partial user)", err)
		}
	})
	t.Run("sqlite_memory", func(t *testing.T) {
		s, err := bunstore.Open(ctx, "sqlite://:memory:", quiet)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		checkAllFail(t, callAll(ctx, s, u))
	})
	t.Run("postgres", func(t *testing.T) {
		needPostgres(t)
		table := uniqueTable()
		s, err := bunstore.Open(ctx, pg.url, bunstore.WithTable(table), quiet)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		checkAllFail(t, callAll(ctx, s, u))
		check, err := bunstore.New(ctx, pg.db, bunstore.WithTable(table), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := check.FindByEmail(ctx, u.Email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("through another pool: %v; want ErrUserNotFound (no partial user)", err)
		}
	})
}

// TestPostgresUnreachable checks a server that cannot be reached: at Open,
// and after it, when the network between a working store and its server
// goes away.
func TestPostgresUnreachable(t *testing.T) {
	ctx := context.Background()
	t.Run("at_open", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := bunstore.Open(ctx, "postgres://app@127.0.0.1:1/app?sslmode=disable")
		if err == nil {
			s.Close()
			t.Fatal("Open of an unreachable server succeeded")
		}
	})
	t.Run("after_open", func(t *testing.T) {
		needPostgres(t)
		proxy := faultproxy.Start(t, pgHostPort(t))
		table := uniqueTable()
		s := mustOpen(t, strings.Replace(pg.url, pgHostPort(t), proxy.Addr(), 1), bunstore.WithTable(table))
		if err := s.Create(ctx, testUser("before@example.com", domain.StatusPending, time.Now())); err != nil {
			t.Fatalf("Create through the proxy: %v", err)
		}
		proxy.Close() // every connection closed, and no new one accepted

		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		u := testUser("during@example.com", domain.StatusPending, time.Now())
		checkAllFail(t, callAll(ctx, s, u))

		check, err := bunstore.New(ctx, pg.db, bunstore.WithTable(table), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := check.FindByEmail(ctx, "before@example.com"); err != nil {
			t.Errorf("the user stored before the cut: %v", err)
		}
		if _, err := check.FindByEmail(ctx, u.Email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("the user created during the cut: %v; want ErrUserNotFound (no partial user)", err)
		}
	})
}

// pgHostPort returns the host:port of the test server.
func pgHostPort(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(pg.url)
	if err != nil || u.Port() == "" {
		t.Skipf("%s names no host:port to put a proxy in front of", postgresEnv)
	}
	return u.Host
}

// TestSQLiteSharedFile writes to one SQLite file through two stores at once,
// each with its own pool, as two processes of one deployment would: the
// busy timeout makes each wait for the other's write, so no write fails
// with "database is locked".
func TestSQLiteSharedFile(t *testing.T) {
	const perStore = 100
	ctx := context.Background()
	url := "sqlite://" + t.TempDir() + "/users.db"
	stores := []*bunstore.Store{mustOpen(t, url), mustOpen(t, url)}
	start := make(chan struct{})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for si, s := range stores {
		for i := range perStore {
			wg.Go(func() {
				<-start
				u := testUser(fmt.Sprintf("s%d-u%03d@example.com", si, i), domain.StatusPending, time.Now())
				err := s.Create(ctx, u)
				if err == nil {
					u.Email = domain.EmailKey(u.Email)
					u.Revision = 1
					u.TokenVersion++
					err = s.Update(ctx, u)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	list, err := stores[0].ListPending(ctx, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2*perStore {
		t.Errorf("%d users stored; want %d", len(list), 2*perStore)
	}
}

// TestPostgresStandardStrings checks the guard against PostgreSQL's
// backslash escapes in string literals: New refuses a connection with
// standard_conforming_strings off, and Open turns the setting on even when
// the URL turns it off, so an email crafted to end a literal early finds
// nothing.
func TestPostgresStandardStrings(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	off := pg.url + "&standard_conforming_strings=off"

	sqldb, err := sql.Open("pgx", off+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	if _, err := bunstore.New(ctx, db, bunstore.WithTable(uniqueTable()), quiet); !errors.Is(err, bunstore.ErrUnsafeConnection) {
		t.Errorf("New with standard_conforming_strings off: %v; want ErrUnsafeConnection", err)
	}

	s := mustOpen(t, off, bunstore.WithTable(uniqueTable()))
	if err := s.Create(ctx, testUser("victim@example.com", domain.StatusPending, time.Now())); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []string{`x\'' OR TRUE --`, `x\' OR TRUE --`} {
		if u, err := s.FindByEmail(ctx, probe); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("FindByEmail(%q) = %q, %v; want ErrUserNotFound", probe, u.Email, err)
		}
	}
}
