package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

func testFindEmpty(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	u, err := repo.FindByEmail(ctx, "nobody@example.com")
	wantErr(t, `FindByEmail("nobody@example.com") on an empty store`, err, domain.ErrUserNotFound)
	if err == nil {
		errorf(t, "FindByEmail on an empty store returned user %+v", u)
	}
}

func testCreateRoundTrip(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	cases := []struct {
		name string
		user domain.User
	}{
		{"pending user", domain.User{
			Email:        "ann@example.com",
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuuJ3s8dT1rX7lQe9tCQb5Ykq0vF2mWnGa",
			Status:       domain.StatusPending,
			CreatedAt:    base,
			UpdatedAt:    base,
		}},
		{"seeded admin, Revision ignored", domain.User{
			Email:              "admin@example.com",
			PasswordHash:       "$2a$12$seeded-admin-hash",
			IsAdmin:            true,
			Status:             domain.StatusApproved,
			MustChangePassword: true,
			CreatedAt:          at(time.Microsecond),
			UpdatedAt:          at(time.Hour + 999999*time.Microsecond),
			TokenVersion:       3,
			Revision:           42,
		}},
		{"rejected user, negative Revision ignored", domain.User{
			Email:        "rex@example.com",
			PasswordHash: "argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
			Status:       domain.StatusRejected,
			CreatedAt:    at(-365 * 24 * time.Hour),
			UpdatedAt:    at(48 * time.Hour),
			TokenVersion: 1 << 40,
			Revision:     -5,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, repo := t.Context(), newRepo(t)
			mustCreate(t, ctx, repo, tc.user)
			got := mustFind(t, ctx, repo, tc.user.Email)
			checkUser(t, fmt.Sprintf("FindByEmail(%q) after Create (Create was given Revision %d; the store must set 1)",
				tc.user.Email, tc.user.Revision), got, stored(tc.user))
		})
	}
}

func testEmailCaseInsensitive(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	u := pending("Ann@Example.COM", base)
	mustCreate(t, ctx, repo, u)
	want := stored(u)
	if want.Email != "ann@example.com" {
		t.Fatalf("fixture: domain.EmailKey(%q) = %q", u.Email, want.Email)
	}
	for _, email := range []string{"ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.COM", "aNN@eXAMPLE.cOM", "  ann@example.com\t"} {
		checkFind(t, ctx, repo, email, want)
	}
}

func testCreateDuplicate(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	orig := pending("ann@example.com", base)
	mustCreate(t, ctx, repo, orig)
	for i, email := range []string{"ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.com", " ann@example.com "} {
		dup := domain.User{
			Email:        email,
			PasswordHash: "$2a$10$second-registration",
			IsAdmin:      true,
			Status:       domain.StatusPending,
			CreatedAt:    at(time.Duration(i+1) * time.Minute),
			UpdatedAt:    at(time.Duration(i+1) * time.Minute),
			TokenVersion: 7,
		}
		err := repo.Create(ctx, dup)
		wantErr(t, fmt.Sprintf("Create(%q) after Create(%q)", email, orig.Email), err, domain.ErrEmailTaken)
	}
	checkFind(t, ctx, repo, "ann@example.com", stored(orig))
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(orig)})
}

func testValuesAreCopies(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	// scribble changes every field of *u.
	scribble := func(u *domain.User) {
		u.Email = "mallory@example.com"
		u.PasswordHash = "scribbled"
		u.IsAdmin = !u.IsAdmin
		u.Status = domain.StatusRejected
		u.MustChangePassword = !u.MustChangePassword
		u.CreatedAt = u.CreatedAt.Add(time.Hour)
		u.UpdatedAt = u.UpdatedAt.Add(time.Hour)
		u.TokenVersion += 100
		u.Revision += 100
	}

	t.Run("FindByEmail result", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		u := pending("ann@example.com", base)
		mustCreate(t, ctx, repo, u)
		got := mustFind(t, ctx, repo, u.Email)
		scribble(&got)
		checkFind(t, ctx, repo, u.Email, stored(u))
	})

	t.Run("ListPending result", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		a, b := pending("ann@example.com", base), pending("bob@example.com", at(time.Second))
		mustCreate(t, ctx, repo, a)
		mustCreate(t, ctx, repo, b)
		want := []domain.User{stored(a), stored(b)}

		list := mustList(t, ctx, repo, 10, 0)
		for i := range list {
			scribble(&list[i])
		}
		checkList(t, ctx, repo, 10, 0, want)
		checkFind(t, ctx, repo, a.Email, stored(a))

		// Appending to a short page must not write into memory the store
		// hands out again.
		first := mustList(t, ctx, repo, 1, 0)
		_ = append(first, pending("mallory@example.com", base))
		checkList(t, ctx, repo, 10, 0, want)
	})

	t.Run("Create argument", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		u := pending("ann@example.com", base)
		want := stored(u)
		mustCreate(t, ctx, repo, u)
		scribble(&u)
		checkFind(t, ctx, repo, "ann@example.com", want)
	})

	t.Run("EnsureAdmin argument", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		u := pending("root@example.com", base)
		u.IsAdmin, u.Status = true, domain.StatusApproved
		want := stored(u)
		if created, err := repo.EnsureAdmin(ctx, u); err != nil || !created {
			t.Fatalf("EnsureAdmin(%q) on an empty store = %v, %v; want true, nil", u.Email, created, err)
		}
		scribble(&u)
		checkFind(t, ctx, repo, "root@example.com", want)
	})

	t.Run("Update argument", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		mustCreate(t, ctx, repo, pending("ann@example.com", base))
		u := mustFind(t, ctx, repo, "ann@example.com")
		u.Status = domain.StatusApproved
		u.UpdatedAt = at(time.Minute)
		mustUpdate(t, ctx, repo, u)
		want := u
		want.Revision++
		scribble(&u)
		checkFind(t, ctx, repo, "ann@example.com", want)
	})
}

func testUpdateSuccess(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	mustCreate(t, ctx, repo, pending("ann@example.com", base))

	// Every field but Email changes; Update replaces the whole user.
	u := mustFind(t, ctx, repo, "ann@example.com")
	u.PasswordHash = "$2a$10$new-password-hash"
	u.IsAdmin = true
	u.Status = domain.StatusApproved
	u.MustChangePassword = true
	u.CreatedAt = at(-time.Hour)
	u.UpdatedAt = at(time.Hour + time.Microsecond)
	u.TokenVersion = 5
	mustUpdate(t, ctx, repo, u)
	want := u
	want.Revision = 2
	checkFind(t, ctx, repo, "ann@example.com", want)

	// A second cycle from a fresh read succeeds as well.
	u = mustFind(t, ctx, repo, "ann@example.com")
	u.MustChangePassword = false
	u.TokenVersion++
	u.UpdatedAt = at(2 * time.Hour)
	mustUpdate(t, ctx, repo, u)
	want = u
	want.Revision = 3
	checkFind(t, ctx, repo, "ann@example.com", want)
}

func testUpdateStaleRevision(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	mustCreate(t, ctx, repo, pending("ann@example.com", base))

	// Two read-modify-write cycles interleave: both read Revision 1.
	first := mustFind(t, ctx, repo, "ann@example.com")
	second := mustFind(t, ctx, repo, "ann@example.com")

	first.Status = domain.StatusRejected
	first.TokenVersion++
	first.UpdatedAt = at(time.Minute)
	mustUpdate(t, ctx, repo, first)
	want := first
	want.Revision = 2

	second.PasswordHash = "$2a$10$changed-by-the-user"
	second.UpdatedAt = at(2 * time.Minute)
	err := repo.Update(ctx, second)
	wantErr(t, "Update with a stale Revision (read at Revision 1, stored Revision is 2)", err, domain.ErrConflict)
	checkFind(t, ctx, repo, "ann@example.com", want)

	// Only an equal Revision matches: one from the future conflicts too.
	ahead := want
	ahead.Revision = want.Revision + 1
	ahead.PasswordHash = "$2a$10$from-the-future"
	err = repo.Update(ctx, ahead)
	wantErr(t, fmt.Sprintf("Update with Revision %d (stored Revision is %d)", ahead.Revision, want.Revision), err, domain.ErrConflict)
	checkFind(t, ctx, repo, "ann@example.com", want)

	// And so does the zero Revision of a User that was never read.
	fresh := pending("ann@example.com", at(time.Hour))
	err = repo.Update(ctx, fresh)
	wantErr(t, fmt.Sprintf("Update with Revision 0 (stored Revision is %d)", want.Revision), err, domain.ErrConflict)
	checkFind(t, ctx, repo, "ann@example.com", want)
}

func testUpdateUnknown(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	mustCreate(t, ctx, repo, pending("ann@example.com", base))
	for _, rev := range []int64{0, 1} {
		ghost := pending("ghost@example.com", base)
		ghost.Revision = rev
		err := repo.Update(ctx, ghost)
		wantErr(t, fmt.Sprintf("Update(%q, Revision %d) of an email never created", ghost.Email, rev), err, domain.ErrUserNotFound)
	}
	if u, err := repo.FindByEmail(ctx, "ghost@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		errorf(t, "FindByEmail(%q) after a failed Update = %+v, %v; want an error wrapping domain.ErrUserNotFound (Update must not create users)",
			"ghost@example.com", u, err)
	}
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(pending("ann@example.com", base))})
}

func testUpdateOtherCase(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	mustCreate(t, ctx, repo, pending("ann@example.com", base))
	u := mustFind(t, ctx, repo, "ann@example.com")
	u.Email = "ANN@Example.COM"
	u.PasswordHash = "$2a$10$updated-via-upper-case"
	u.UpdatedAt = at(time.Minute)
	mustUpdate(t, ctx, repo, u)

	want := u
	want.Email = "ann@example.com"
	want.Revision = 2
	checkFind(t, ctx, repo, "ann@example.com", want)
	checkFind(t, ctx, repo, "ANN@Example.COM", want)
	// Still one user: the update did not add a second, differently spelled one.
	checkList(t, ctx, repo, 10, 0, []domain.User{want})
}

func testListPendingEmpty(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	for _, p := range []struct{ limit, offset int }{{1, 0}, {10, 0}, {10, 5}} {
		if list := mustList(t, ctx, repo, p.limit, p.offset); len(list) != 0 {
			errorf(t, "ListPending(limit %d, offset %d) on an empty store returned %q; want none", p.limit, p.offset, emails(list))
		}
	}
}

func testListPendingOrder(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	withStatus := func(u domain.User, s domain.Status) domain.User { u.Status = s; return u }
	var (
		zed   = pending("zed@example.com", base)                 // oldest pending
		amy   = pending("amy@example.com", at(time.Microsecond)) // 1µs later: time beats email
		tieA  = pending("tiea@example.com", at(time.Hour))       // tieA, tieB, tieC: same time,
		tieB  = pending("TieB@Example.com", at(time.Hour))       // ordered by (lower-case) email
		tieC  = pending("tiec@example.com", at(time.Hour))
		late  = pending("late@example.com", at(3*time.Hour))
		okay  = withStatus(pending("aaron@example.com", at(-time.Hour)), domain.StatusApproved)
		nope  = withStatus(pending("abby@example.com", at(-time.Minute)), domain.StatusRejected)
		admin = withStatus(pending("admin@example.com", at(time.Hour)), domain.StatusApproved)
	)
	admin.IsAdmin = true
	// Insert in an order unrelated to the expected one.
	for _, u := range []domain.User{late, tieC, okay, tieA, amy, nope, tieB, admin, zed} {
		mustCreate(t, ctx, repo, u)
	}
	want := []domain.User{stored(zed), stored(amy), stored(tieA), stored(tieB), stored(tieC), stored(late)}
	checkList(t, ctx, repo, 100, 0, want)
	checkList(t, ctx, repo, len(want), 0, want)
}

func testListPendingPaging(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	const n = 25
	all := make([]domain.User, n)
	for i := range n {
		all[i] = stored(pending(fmt.Sprintf("user%02d@example.com", i), at(time.Duration(i)*time.Minute)))
	}
	// Create newest first, with approved users interleaved: offset counts
	// pending users only.
	for i := n - 1; i >= 0; i-- {
		mustCreate(t, ctx, repo, all[i])
		if i%5 == 0 {
			other := pending(fmt.Sprintf("approved%02d@example.com", i), at(time.Duration(i)*time.Minute+time.Second))
			other.Status = domain.StatusApproved
			mustCreate(t, ctx, repo, other)
		}
	}

	var got []domain.User
	for _, p := range []struct{ offset, wantLen int }{{0, 10}, {10, 10}, {20, 5}} {
		page := mustList(t, ctx, repo, 10, p.offset)
		if len(page) != p.wantLen {
			errorf(t, "ListPending(limit 10, offset %d) with %d pending users returned %d users; want %d",
				p.offset, n, len(page), p.wantLen)
		}
		got = append(got, page...)
	}
	if !equalEmails(got, all) {
		errorf(t, "pages of 10 concatenated give %q; want %q", emails(got), emails(all))
	}

	for _, off := range []int{n, n + 1, 1000} {
		if page := mustList(t, ctx, repo, 10, off); len(page) != 0 {
			errorf(t, "ListPending(limit 10, offset %d) with %d pending users returned %q; want none", off, n, emails(page))
		}
	}
	checkList(t, ctx, repo, 100, 0, all)
	checkList(t, ctx, repo, n, 0, all)
	checkList(t, ctx, repo, 1, 0, all[:1])
	checkList(t, ctx, repo, 1, n-1, all[n-1:])
	checkList(t, ctx, repo, 3, 7, all[7:10])
	checkList(t, ctx, repo, 10, 23, all[23:])
}

func equalEmails(a, b []domain.User) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Email != b[i].Email {
			return false
		}
	}
	return true
}

func testListPendingAfterUpdate(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	a := pending("ann@example.com", base)
	b := pending("bob@example.com", at(time.Second))
	c := pending("cat@example.com", at(2*time.Second))
	for _, u := range []domain.User{a, b, c} {
		mustCreate(t, ctx, repo, u)
	}
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(a), stored(b), stored(c)})

	u := mustFind(t, ctx, repo, b.Email)
	u.Status = domain.StatusApproved
	mustUpdate(t, ctx, repo, u)
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(a), stored(c)})

	u = mustFind(t, ctx, repo, a.Email)
	u.Status = domain.StatusRejected
	mustUpdate(t, ctx, repo, u)
	checkList(t, ctx, repo, 10, 0, []domain.User{stored(c)})

	// An update that keeps a user pending keeps it listed, with new values.
	u = mustFind(t, ctx, repo, c.Email)
	u.TokenVersion = 9
	mustUpdate(t, ctx, repo, u)
	u.Revision++
	checkList(t, ctx, repo, 10, 0, []domain.User{u})
}

func testEnsureAdminCreates(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	ctx, repo := t.Context(), newRepo(t)
	admin := domain.User{
		Email:              "Admin@Example.com",
		PasswordHash:       "$2a$10$default-admin-password-hash",
		IsAdmin:            true,
		Status:             domain.StatusApproved,
		MustChangePassword: true,
		CreatedAt:          base,
		UpdatedAt:          base,
		TokenVersion:       2,
		Revision:           9,
	}
	created, err := repo.EnsureAdmin(ctx, admin)
	if err != nil || !created {
		t.Fatalf("EnsureAdmin(%q) on an empty store = %v, %v; want true, nil", admin.Email, created, err)
	}
	checkFind(t, ctx, repo, "admin@example.com", stored(admin))
}

func testEnsureAdminKeepsExisting(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	other := func(email string) domain.User {
		return domain.User{
			Email:        email,
			PasswordHash: "$2a$10$another-admin-hash",
			IsAdmin:      true,
			Status:       domain.StatusApproved,
			CreatedAt:    at(time.Hour),
			UpdatedAt:    at(time.Hour),
			TokenVersion: 5,
			Revision:     1,
		}
	}
	ensureNotCreated := func(t *testing.T, repo ports.UserRepository, u domain.User) {
		t.Helper()
		created, err := repo.EnsureAdmin(t.Context(), u)
		if err != nil || created {
			errorf(t, "EnsureAdmin(%q) when the user exists = %v, %v; want false, nil", u.Email, created, err)
		}
	}

	t.Run("existing admin", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		first := domain.User{
			Email:              "admin@example.com",
			PasswordHash:       "$2a$10$default-admin-password-hash",
			IsAdmin:            true,
			Status:             domain.StatusApproved,
			MustChangePassword: true,
			CreatedAt:          base,
			UpdatedAt:          base,
		}
		if created, err := repo.EnsureAdmin(ctx, first); err != nil || !created {
			t.Fatalf("EnsureAdmin(%q) on an empty store = %v, %v; want true, nil", first.Email, created, err)
		}
		for _, email := range []string{"admin@example.com", "ADMIN@EXAMPLE.COM", "Admin@example.com"} {
			ensureNotCreated(t, repo, other(email))
		}
		checkFind(t, ctx, repo, "admin@example.com", stored(first))
	})

	t.Run("existing regular user is not promoted", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		u := pending("boss@example.com", base)
		mustCreate(t, ctx, repo, u)
		for _, email := range []string{"boss@example.com", "Boss@Example.com"} {
			ensureNotCreated(t, repo, other(email))
		}
		checkFind(t, ctx, repo, "boss@example.com", stored(u))
		checkList(t, ctx, repo, 10, 0, []domain.User{stored(u)})
	})

	t.Run("existing user after updates", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		mustCreate(t, ctx, repo, pending("ann@example.com", base))
		u := mustFind(t, ctx, repo, "ann@example.com")
		u.Status = domain.StatusRejected
		mustUpdate(t, ctx, repo, u)
		u.Revision++
		ensureNotCreated(t, repo, other("ANN@example.com"))
		checkFind(t, ctx, repo, "ann@example.com", u)
	})
}
