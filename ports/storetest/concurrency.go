package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// maxConflicts bounds the retries of one read-modify-write loop. With a
// correct store every conflict of a goroutine is caused by a distinct
// successful update of another, so the bound is never reached; it only stops
// a store that keeps failing with ErrConflict from looping forever.
const maxConflicts = 10000

// startLine releases goroutines together, to make them overlap as much as
// possible.
type startLine struct {
	ch chan struct{}
	wg sync.WaitGroup
}

func newStartLine() *startLine { return &startLine{ch: make(chan struct{})} }

// Go runs f in a goroutine that waits for Release first.
func (s *startLine) Go(f func()) {
	s.wg.Go(func() {
		<-s.ch
		f()
	})
}

// ReleaseAndWait releases the goroutines and waits for them all.
func (s *startLine) ReleaseAndWait() {
	close(s.ch)
	s.wg.Wait()
}

// soleWinner checks that exactly one of the calls (described by calls[i])
// won, that is stored the user, and returns its index, or -1 after reporting
// how many won.
func soleWinner(t *testing.T, what string, calls []string, won []bool) int {
	t.Helper()
	var winners []string
	winner := -1
	for i, w := range won {
		if w {
			winner = i
			winners = append(winners, calls[i])
		}
	}
	if len(winners) != 1 {
		errorf(t, "%d of %d concurrent %s stored the user; want exactly 1%s",
			len(winners), len(calls), what, listSome(" (winners: ", winners, ")"))
		return -1
	}
	return winner
}

// listSome formats up to five items of list between prefix and suffix, or
// returns "" for an empty list.
func listSome(prefix string, list []string, suffix string) string {
	if len(list) == 0 {
		return ""
	}
	const most = 5
	out := strings.Join(list[:min(most, len(list))], ", ")
	if len(list) > most {
		out += fmt.Sprintf(", and %d more", len(list)-most)
	}
	return prefix + out + suffix
}

func testConcurrentCreateSameEmail(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const n = 50
	errs := make([]error, n)
	users := make([]domain.User, n)
	start := newStartLine()
	for i := range n {
		users[i] = pending(caseVariant("race@example.com", i), at(time.Duration(i)*time.Second))
		users[i].PasswordHash = fmt.Sprintf("hash-of-goroutine-%d", i)
		start.Go(func() { errs[i] = repo.Create(ctx, users[i]) })
	}
	start.ReleaseAndWait()

	calls := make([]string, n)
	won := make([]bool, n)
	for i, err := range errs {
		calls[i] = fmt.Sprintf("Create(%q)", users[i].Email)
		won[i] = err == nil
		if err != nil && !errors.Is(err, domain.ErrEmailTaken) {
			errorf(t, "concurrent %s: got %s; want nil or an error wrapping domain.ErrEmailTaken", calls[i], gotErr(err))
		}
	}
	winner := soleWinner(t, "Creates of one email in different letter cases", calls, won)
	if winner < 0 {
		return
	}
	// The stored user is the one whose Create reported success.
	checkFind(t, ctx, repo, "race@example.com", stored(users[winner]))
	checkList(t, ctx, repo, 100, 0, []domain.User{stored(users[winner])})
}

func testConcurrentCreateAndEnsureAdmin(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const n = 20 // even i: Create, odd i: EnsureAdmin
	won := make([]bool, n)
	errs := make([]error, n)
	users := make([]domain.User, n)
	calls := make([]string, n)
	start := newStartLine()
	for i := range n {
		u := pending(caseVariant("mixed@example.com", i), base)
		u.PasswordHash = fmt.Sprintf("hash-of-goroutine-%d", i)
		if i%2 == 1 {
			u.IsAdmin, u.Status = true, domain.StatusApproved
			calls[i] = fmt.Sprintf("EnsureAdmin(%q)", u.Email)
			start.Go(func() { won[i], errs[i] = repo.EnsureAdmin(ctx, u) })
		} else {
			calls[i] = fmt.Sprintf("Create(%q)", u.Email)
			start.Go(func() { errs[i] = repo.Create(ctx, u); won[i] = errs[i] == nil })
		}
		users[i] = u
	}
	start.ReleaseAndWait()

	for i, err := range errs {
		switch {
		case i%2 == 0 && err != nil && !errors.Is(err, domain.ErrEmailTaken):
			errorf(t, "concurrent %s racing EnsureAdmin: got %s; want nil or an error wrapping domain.ErrEmailTaken", calls[i], gotErr(err))
		case i%2 == 1 && err != nil:
			errorf(t, "concurrent %s racing Create: unexpected error: %v", calls[i], err)
		}
	}
	winner := soleWinner(t, "Creates and EnsureAdmins of one email", calls, won)
	if winner < 0 {
		return
	}
	checkFind(t, ctx, repo, "mixed@example.com", stored(users[winner]))
}

func testConcurrentNoLostUpdate(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const (
		workers    = 32
		increments = 25
	)
	mustCreate(t, ctx, repo, pending("counter@example.com", base))

	var successes, conflicts atomic.Int64
	start := newStartLine()
	for w := range workers {
		start.Go(func() {
			done, myConflicts := 0, 0
			for done < increments {
				u, err := repo.FindByEmail(ctx, "counter@example.com")
				if err != nil {
					errorf(t, "worker %d: FindByEmail: unexpected error: %v", w, err)
					return
				}
				runtime.Gosched() // widen the window between read and write
				u.TokenVersion++
				err = repo.Update(ctx, u)
				switch {
				case err == nil:
					done++
					successes.Add(1)
				case errors.Is(err, domain.ErrConflict):
					conflicts.Add(1)
					if myConflicts++; myConflicts > maxConflicts {
						errorf(t, "worker %d: gave up after %d errors wrapping domain.ErrConflict from Update with %d of %d increments done",
							w, maxConflicts, done, increments)
						return
					}
				default:
					errorf(t, "worker %d: Update(Revision %d): got %s; want nil or an error wrapping domain.ErrConflict",
						w, u.Revision, gotErr(err))
					return
				}
			}
		})
	}
	start.ReleaseAndWait()

	u := mustFind(t, ctx, repo, "counter@example.com")
	n := successes.Load()
	if n != workers*increments && !t.Failed() {
		errorf(t, "%d successful Updates; want %d", n, workers*increments)
	}
	if u.TokenVersion != n {
		errorf(t, "after %d successful read-increment-Update cycles (%d retries after domain.ErrConflict) TokenVersion = %d; want %d: %d updates were lost (Update must refuse a stale Revision with an error wrapping domain.ErrConflict, atomically)",
			n, conflicts.Load(), u.TokenVersion, n, n-u.TokenVersion)
	}
	if u.Revision != 1+n {
		errorf(t, "after Create and %d successful Updates Revision = %d; want %d", n, u.Revision, 1+n)
	}
	t.Logf("%d workers x %d increments: %d successful Updates, %d conflicts retried", workers, increments, n, conflicts.Load())
}

func testConcurrentEnsureAdmin(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const n = 20
	created := make([]bool, n)
	errs := make([]error, n)
	users := make([]domain.User, n)
	start := newStartLine()
	for i := range n {
		users[i] = domain.User{
			Email:              caseVariant("admin@example.com", i),
			PasswordHash:       fmt.Sprintf("hash-of-goroutine-%d", i),
			IsAdmin:            true,
			Status:             domain.StatusApproved,
			MustChangePassword: true,
			CreatedAt:          at(time.Duration(i) * time.Second),
			UpdatedAt:          at(time.Duration(i) * time.Second),
		}
		start.Go(func() { created[i], errs[i] = repo.EnsureAdmin(ctx, users[i]) })
	}
	start.ReleaseAndWait()

	calls := ensureAdminCalls(t, users, errs)
	winner := soleWinner(t, "EnsureAdmins of one email in different letter cases (reporting true)", calls, created)
	if winner < 0 {
		return
	}
	// The stored admin is the one whose call reported true.
	checkFind(t, ctx, repo, "admin@example.com", stored(users[winner]))
}

func testConcurrentCreateDistinct(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const n = 100
	users := make([]domain.User, n)
	errs := make([]error, n)
	start := newStartLine()
	for i := range n {
		users[i] = pending(fmt.Sprintf("user%03d@example.com", i), at(time.Duration(i)*time.Second))
		start.Go(func() { errs[i] = repo.Create(ctx, users[i]) })
	}
	start.ReleaseAndWait()

	want := make([]domain.User, n)
	for i, err := range errs {
		if err != nil {
			errorf(t, "concurrent Create(%q) of distinct emails: unexpected error: %v", users[i].Email, err)
		}
		want[i] = stored(users[i])
		checkFind(t, ctx, repo, users[i].Email, want[i])
	}
	checkList(t, ctx, repo, 2*n, 0, want)
}

func testConcurrentReadsDuringUpdates(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const (
		nUsers     = 10
		writers    = 4
		increments = 30 // per writer
		readers    = 4
		reads      = 60 // per reader
	)
	all := make([]domain.User, nUsers)
	for i := range nUsers {
		all[i] = pending(fmt.Sprintf("user%02d@example.com", i), at(time.Duration(i)*time.Minute))
		mustCreate(t, ctx, repo, all[i])
	}
	// Writers only ever increment TokenVersion, so every consistent
	// snapshot of a user has TokenVersion == Revision-1.
	consistent := func(who string, u domain.User) {
		if u.TokenVersion != u.Revision-1 || u.Status != domain.StatusPending {
			errorf(t, "%s saw a torn or foreign user %q: TokenVersion %d, Revision %d, Status %q; want TokenVersion == Revision-1 (every successful Update adds 1 to both), Status pending",
				who, u.Email, u.TokenVersion, u.Revision, u.Status)
		}
	}

	var successes atomic.Int64
	start := newStartLine()
	for w := range writers {
		start.Go(func() {
			conflicts := 0
			for k := 0; k < increments; {
				email := all[(w+k)%nUsers].Email
				u, err := repo.FindByEmail(ctx, email)
				if err != nil {
					errorf(t, "writer %d: FindByEmail(%q): unexpected error: %v", w, email, err)
					return
				}
				runtime.Gosched()
				u.TokenVersion++
				switch err := repo.Update(ctx, u); {
				case err == nil:
					k++
					successes.Add(1)
				case errors.Is(err, domain.ErrConflict):
					if conflicts++; conflicts > maxConflicts {
						errorf(t, "writer %d: gave up after %d errors wrapping domain.ErrConflict from Update", w, maxConflicts)
						return
					}
				default:
					errorf(t, "writer %d: Update(%q): got %s; want nil or an error wrapping domain.ErrConflict", w, email, gotErr(err))
					return
				}
			}
		})
	}
	for r := range readers {
		start.Go(func() {
			who := fmt.Sprintf("reader %d", r)
			for k := range reads {
				if k%2 == 0 {
					list, err := repo.ListPending(ctx, 100, 0)
					if err != nil {
						errorf(t, "%s: ListPending during updates: unexpected error: %v", who, err)
						return
					}
					if !equalEmails(list, all) {
						errorf(t, "%s: ListPending during updates returned %q; want %q", who, emails(list), emails(all))
						return
					}
					for _, u := range list {
						consistent(who+" in ListPending", u)
					}
					continue
				}
				email := all[(r+k)%nUsers].Email
				u, err := repo.FindByEmail(ctx, email)
				if err != nil {
					errorf(t, "%s: FindByEmail(%q) during updates: unexpected error: %v", who, email, err)
					return
				}
				consistent(who+" in FindByEmail", u)
			}
		})
	}
	start.ReleaseAndWait()

	var total int64
	for _, u := range mustList(t, ctx, repo, 100, 0) {
		consistent("final ListPending", u)
		total += u.TokenVersion
	}
	if n := successes.Load(); total != n {
		errorf(t, "after %d successful Updates the TokenVersions add up to %d; want %d (updates were lost)", n, total, n)
	}
}

// testConcurrentEnsureAdminDistinct races EnsureAdmins for many different
// emails, each in several letter cases, as instances starting at once with
// different admin emails would: exactly one call reports true and exactly
// one administrator, its user, is stored. Non-admin users already in the
// store do not prevent the seed and are left alone.
func testConcurrentEnsureAdminDistinct(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	bystanders := []domain.User{pending("ann@example.com", base), pending("bob@example.com", at(time.Second))}
	for _, u := range bystanders {
		mustCreate(t, ctx, repo, u)
	}
	const (
		nEmails   = 10
		spellings = 3 // letter-case variants per email
		n         = nEmails * spellings
	)
	created := make([]bool, n)
	errs := make([]error, n)
	users := make([]domain.User, n)
	start := newStartLine()
	for i := range n {
		email := caseVariant(fmt.Sprintf("admin%02d@example.com", i%nEmails), i/nEmails)
		users[i] = seedAdmin(email, at(time.Duration(i)*time.Second))
		users[i].PasswordHash = fmt.Sprintf("hash-of-goroutine-%d", i)
		start.Go(func() { created[i], errs[i] = repo.EnsureAdmin(ctx, users[i]) })
	}
	start.ReleaseAndWait()

	calls := ensureAdminCalls(t, users, errs)
	winner := soleWinner(t, fmt.Sprintf("EnsureAdmins of %d different emails on a store with no administrator (reporting true)", nEmails), calls, created)
	var storedEmails []string
	for i := range nEmails {
		email := fmt.Sprintf("admin%02d@example.com", i)
		switch _, err := repo.FindByEmail(ctx, email); {
		case err == nil:
			storedEmails = append(storedEmails, email)
		case !errors.Is(err, domain.ErrUserNotFound):
			errorf(t, "FindByEmail(%q) after the race: got %s; want nil or an error wrapping domain.ErrUserNotFound", email, gotErr(err))
		}
	}
	if len(storedEmails) != 1 {
		errorf(t, "after %d concurrent EnsureAdmins of %d different emails, %d of those emails hold a user%s; want exactly 1 administrator",
			n, nEmails, len(storedEmails), listSome(" (", storedEmails, ")"))
	}
	if winner >= 0 {
		// The stored admin is the one whose call reported true.
		checkFind(t, ctx, repo, users[winner].Email, stored(users[winner]))
	}
	for _, u := range bystanders {
		checkFind(t, ctx, repo, u.Email, stored(u))
	}
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(bystanders[0]), stored(bystanders[1])})
}

// ensureAdminCalls names the concurrent EnsureAdmin calls of users, for
// soleWinner, and reports any of them that failed.
func ensureAdminCalls(t *testing.T, users []domain.User, errs []error) []string {
	t.Helper()
	calls := make([]string, len(users))
	for i, err := range errs {
		calls[i] = fmt.Sprintf("EnsureAdmin(%q)", users[i].Email)
		if err != nil {
			errorf(t, "concurrent %s: unexpected error: %v", calls[i], err)
		}
	}
	return calls
}
