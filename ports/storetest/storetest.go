// Package storetest is the conformance suite for ports.UserRepository: every
// store shipped with authadmin runs it, and so should a custom one.
//
// Run checks the whole contract documented on ports.UserRepository:
// case-insensitive emails (domain.EmailKey), Revision bookkeeping and the
// optimistic-concurrency check of Update, value semantics of the Users going
// in and out, the filtering, order and paging of ListPending, the seeding
// rule of EnsureAdmin, what a call with a done context may do, and the
// behaviour under concurrent use (exactly one of many racing Creates wins,
// no update is ever lost). Run the suite with the race detector
// (go test -race) so that the concurrent subtests can also catch
// unsynchronised access.
//
// EnsureAdmin seeds the first administrator and nothing else: it stores its
// user only if no administrator exists at all and the email is free. The
// suite counts as an administrator every user with IsAdmin set, whatever
// its Status and however it got there (EnsureAdmin, Create, or an Update
// that promoted it); users without IsAdmin, including a demoted former
// administrator, do not count. It checks that an administrator under
// another email makes EnsureAdmin report false and store nothing, that
// other users do not prevent seeding, and that of concurrent EnsureAdmins
// on an empty store, for one email in different letter cases or for many
// different emails, exactly one reports true and exactly one administrator
// is stored. A store that checks only the email fails; so does one that
// checks for an administrator and inserts in two steps.
//
// A call whose context is already done (cancelled, or past its deadline)
// may either do its work, as a store that never waits may, or return an
// error wrapping ctx.Err() and then have changed nothing (unless the error
// also wraps domain.ErrStoreUnavailable, which says the outcome of a write
// is unknown). Either way it must return promptly and leave the store
// usable. The suite cannot make a store wait, so whether a call that is
// blocked returns soon after its context ends is for the store's own tests.
//
// Call Run from an ordinary test of the store's package, giving it a function
// that returns a fresh, empty store. The function is called once per subtest
// and the subtests run in parallel (t.Parallel), so it must not hand out
// shared state; register clean-up with t.Cleanup:
//
//	package mystore_test
//
//	import (
//		"testing"
//
//		"github.com/authadmin/authadmin/ports"
//		"github.com/authadmin/authadmin/ports/storetest"
//		"example.com/mystore"
//	)
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) ports.UserRepository {
//			s, err := mystore.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// A store backed by a shared database can return a store on a fresh schema,
// database or table prefix per call.
//
// A failure that repeats within a test (one check failing for many users,
// goroutines or iterations) is reported three times, and then as a count
// when the test ends. Messages name the errors a store must wrap by their Go
// identifiers, such as domain.ErrConflict.
//
// The fixtures use UTC times truncated to the microsecond, the precision SQL
// databases keep, and compare times with time.Time.Equal, so a store may
// return times in another location. Ties in ListPending are broken by email;
// the fixtures use emails that sort the same under byte order and common
// database collations.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// Run runs the conformance suite against the stores newRepo returns, one
// named subtest per rule of the ports.UserRepository contract. newRepo is
// called by each (sub)test that needs a store, with that test's T, and must
// return an empty store that no other test uses; the top-level subtests call
// t.Parallel, so calls of newRepo may overlap.
func Run(t *testing.T, newRepo func(t *testing.T) ports.UserRepository) {
	t.Helper()
	if newRepo == nil {
		t.Fatal("storetest.Run: newRepo is nil")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, func(*testing.T) ports.UserRepository)
	}{
		{"FindByEmail_EmptyStore", testFindEmpty},
		{"Create_RoundTrip", testCreateRoundTrip},
		{"Email_CaseInsensitive", testEmailCaseInsensitive},
		{"Create_DuplicateEmail", testCreateDuplicate},
		{"Values_AreCopies", testValuesAreCopies},
		{"Update_Success", testUpdateSuccess},
		{"Update_StaleRevision", testUpdateStaleRevision},
		{"Update_UnknownEmail", testUpdateUnknown},
		{"Update_OtherLetterCase", testUpdateOtherCase},
		{"ListPending_EmptyStore", testListPendingEmpty},
		{"ListPending_FilterAndOrder", testListPendingOrder},
		{"ListPending_Paging", testListPendingPaging},
		{"ListPending_AfterStatusChange", testListPendingAfterUpdate},
		{"EnsureAdmin_CreatesWhenAbsent", testEnsureAdminCreates},
		{"EnsureAdmin_KeepsExisting", testEnsureAdminKeepsExisting},
		{"EnsureAdmin_RefusedWhenAnotherAdminExists", testEnsureAdminOtherAdmin},
		{"EnsureAdmin_IgnoresNonAdmins", testEnsureAdminIgnoresNonAdmins},
		{"Context_Done", testContextDone},
		{"Concurrent_CreateSameEmail", testConcurrentCreateSameEmail},
		{"Concurrent_CreateAndEnsureAdminSameEmail", testConcurrentCreateAndEnsureAdmin},
		{"Concurrent_UpdateNoLostUpdate", testConcurrentNoLostUpdate},
		{"Concurrent_EnsureAdmin", testConcurrentEnsureAdmin},
		{"Concurrent_EnsureAdminDistinctEmails", testConcurrentEnsureAdminDistinct},
		{"Concurrent_CreateDistinct", testConcurrentCreateDistinct},
		{"Concurrent_ReadsDuringUpdates", testConcurrentReadsDuringUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newRepo)
		})
	}
}

// base is the reference time of the fixtures: UTC, whole microseconds.
var base = time.Date(2024, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// at returns base+d; d must be a whole number of microseconds.
func at(d time.Duration) time.Time { return base.Add(d) }

// pending returns a pending, non-admin user registered at created.
func pending(email string, created time.Time) domain.User {
	return domain.User{
		Email:        email,
		PasswordHash: "$2a$10$fixture-hash-of-" + domain.EmailKey(email),
		Status:       domain.StatusPending,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

// stored returns what a store must hold after Create(u) or a winning
// EnsureAdmin(u): the email key and Revision 1.
func stored(u domain.User) domain.User {
	u.Email = domain.EmailKey(u.Email)
	u.Revision = 1
	return u
}

// userDiff lists the fields in which got differs from want, comparing times
// with Equal.
func userDiff(got, want domain.User) []string {
	var d []string
	add := func(field string, g, w any) {
		d = append(d, fmt.Sprintf("%s: got %#v, want %#v", field, g, w))
	}
	if got.Email != want.Email {
		add("Email", got.Email, want.Email)
	}
	if got.PasswordHash != want.PasswordHash {
		add("PasswordHash", got.PasswordHash, want.PasswordHash)
	}
	if got.IsAdmin != want.IsAdmin {
		add("IsAdmin", got.IsAdmin, want.IsAdmin)
	}
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if got.MustChangePassword != want.MustChangePassword {
		add("MustChangePassword", got.MustChangePassword, want.MustChangePassword)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		d = append(d, fmt.Sprintf("CreatedAt: got %s, want %s", fmtTime(got.CreatedAt), fmtTime(want.CreatedAt)))
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		d = append(d, fmt.Sprintf("UpdatedAt: got %s, want %s", fmtTime(got.UpdatedAt), fmtTime(want.UpdatedAt)))
	}
	if got.TokenVersion != want.TokenVersion {
		add("TokenVersion", got.TokenVersion, want.TokenVersion)
	}
	if got.Revision != want.Revision {
		add("Revision", got.Revision, want.Revision)
	}
	return d
}

func fmtTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// checkUser reports every field of got that differs from want; what says
// which operation produced got.
func checkUser(t *testing.T, what string, got, want domain.User) {
	t.Helper()
	if d := userDiff(got, want); len(d) > 0 {
		errorf(t, "%s returned a user that differs from the expected one:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

// mustCreate creates u or stops the test.
func mustCreate(t *testing.T, ctx context.Context, repo ports.UserRepository, u domain.User) {
	t.Helper()
	if err := repo.Create(ctx, u); err != nil {
		t.Fatalf("Create(%q): unexpected error: %v", u.Email, err)
	}
}

// mustFind returns the user with the given email or stops the test.
func mustFind(t *testing.T, ctx context.Context, repo ports.UserRepository, email string) domain.User {
	t.Helper()
	u, err := repo.FindByEmail(ctx, email)
	if err != nil {
		t.Fatalf("FindByEmail(%q): unexpected error: %v", email, err)
	}
	return u
}

// mustUpdate updates u or stops the test.
func mustUpdate(t *testing.T, ctx context.Context, repo ports.UserRepository, u domain.User) {
	t.Helper()
	if err := repo.Update(ctx, u); err != nil {
		t.Fatalf("Update(%q, Revision %d): unexpected error: %v", u.Email, u.Revision, err)
	}
}

// checkFind checks that FindByEmail(email) returns want.
func checkFind(t *testing.T, ctx context.Context, repo ports.UserRepository, email string, want domain.User) {
	t.Helper()
	got, err := repo.FindByEmail(ctx, email)
	if err != nil {
		errorf(t, "FindByEmail(%q): unexpected error: %v", email, err)
		return
	}
	checkUser(t, fmt.Sprintf("FindByEmail(%q)", email), got, want)
}

// mustList returns ListPending(limit, offset) or stops the test. It fails
// the test if the slice is nil.
func mustList(t *testing.T, ctx context.Context, repo ports.UserRepository, limit, offset int) []domain.User {
	t.Helper()
	list, err := repo.ListPending(ctx, limit, offset)
	if err != nil {
		t.Fatalf("ListPending(limit %d, offset %d): unexpected error: %v", limit, offset, err)
	}
	if list == nil {
		errorf(t, "ListPending(limit %d, offset %d) returned a nil slice; want a non-nil (possibly empty) slice", limit, offset)
	}
	return list
}

func emails(list []domain.User) []string {
	out := make([]string, len(list))
	for i, u := range list {
		out[i] = u.Email
	}
	return out
}

// checkList checks that ListPending(limit, offset) returns exactly want, in
// order, field by field.
func checkList(t *testing.T, ctx context.Context, repo ports.UserRepository, limit, offset int, want []domain.User) {
	t.Helper()
	got := mustList(t, ctx, repo, limit, offset)
	if !slices.Equal(emails(got), emails(want)) {
		errorf(t, "ListPending(limit %d, offset %d) returned emails %q; want %q", limit, offset, emails(got), emails(want))
		return
	}
	for i := range got {
		checkUser(t, fmt.Sprintf("ListPending(limit %d, offset %d)[%d]", limit, offset, i), got[i], want[i])
	}
}

// wantErr checks that err wraps target; what names the call.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		errorf(t, "%s: got %s; want an error wrapping %s", what, gotErr(err), errName(target))
	}
}

// caseVariant returns email with the letters at the positions of the set bits
// of i upper-cased, so that i = 0, 1, 2, ... give distinct spellings of one
// address (as long as email has enough letters).
func caseVariant(email string, i int) string {
	b := []byte(email)
	bit := 0
	for j, c := range b {
		if c < 'a' || c > 'z' {
			continue
		}
		if i>>bit&1 == 1 {
			b[j] = c - 'a' + 'A'
		}
		bit++
	}
	return string(b)
}

// seedAdmin returns an approved administrator with the default password's
// flag set, as a use case seeds one, created at created.
func seedAdmin(email string, created time.Time) domain.User {
	return domain.User{
		Email:              email,
		PasswordHash:       "$2a$10$seed-hash-of-" + domain.EmailKey(email),
		IsAdmin:            true,
		Status:             domain.StatusApproved,
		MustChangePassword: true,
		CreatedAt:          created,
		UpdatedAt:          created,
	}
}

// checkAbsent checks that no user has the given email.
func checkAbsent(t *testing.T, ctx context.Context, repo ports.UserRepository, email, why string) {
	t.Helper()
	u, err := repo.FindByEmail(ctx, email)
	switch {
	case err == nil:
		errorf(t, "FindByEmail(%q) found %+v; want no such user: %s", email, u, why)
	case !errors.Is(err, domain.ErrUserNotFound):
		errorf(t, "FindByEmail(%q): got %s; want an error wrapping domain.ErrUserNotFound (%s)", email, gotErr(err), why)
	}
}
