package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// testEnsureAdminOtherAdmin checks that EnsureAdmin seeds nobody once an
// administrator exists under another email, however that administrator was
// stored: restarting with another configured admin email must not hand out
// a second administrator account.
func testEnsureAdminOtherAdmin(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	// Each way of making "first@example.com" an administrator returns the
	// user the store must then hold.
	ways := []struct {
		name string
		make func(t *testing.T, repo ports.UserRepository) domain.User
	}{
		{"seeded by EnsureAdmin", func(t *testing.T, repo ports.UserRepository) domain.User {
			u := seedAdmin("First@Example.com", base)
			if created, err := repo.EnsureAdmin(t.Context(), u); err != nil || !created {
				t.Fatalf("EnsureAdmin(%q) on an empty store = %v, %v; want true, nil", u.Email, created, err)
			}
			return stored(u)
		}},
		{"created approved", func(t *testing.T, repo ports.UserRepository) domain.User {
			u := seedAdmin("first@example.com", base)
			u.MustChangePassword = false
			mustCreate(t, t.Context(), repo, u)
			return stored(u)
		}},
		{"created pending", func(t *testing.T, repo ports.UserRepository) domain.User {
			u := pending("first@example.com", base)
			u.IsAdmin = true
			mustCreate(t, t.Context(), repo, u)
			return stored(u)
		}},
		{"created rejected", func(t *testing.T, repo ports.UserRepository) domain.User {
			u := pending("first@example.com", base)
			u.IsAdmin, u.Status = true, domain.StatusRejected
			mustCreate(t, t.Context(), repo, u)
			return stored(u)
		}},
		{"promoted by Update", func(t *testing.T, repo ports.UserRepository) domain.User {
			ctx := t.Context()
			mustCreate(t, ctx, repo, pending("first@example.com", base))
			u := mustFind(t, ctx, repo, "first@example.com")
			u.IsAdmin, u.Status, u.UpdatedAt = true, domain.StatusApproved, at(time.Minute)
			mustUpdate(t, ctx, repo, u)
			u.Revision++
			return u
		}},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			ctx, repo := t.Context(), newRepo(t)
			bystander := pending("zoe@example.com", at(time.Second))
			mustCreate(t, ctx, repo, bystander)
			first := way.make(t, repo)
			wantPending := []domain.User{stored(bystander)}
			if first.Status == domain.StatusPending {
				wantPending = []domain.User{first, stored(bystander)}
			}

			for i, email := range []string{"boss@corp.example", "Boss@Corp.Example", "admin@example.com", "second@example.com"} {
				u := seedAdmin(email, at(time.Duration(i+1)*time.Hour))
				created, err := repo.EnsureAdmin(ctx, u)
				if err != nil || created {
					errorf(t, "EnsureAdmin(%q) while %q is an administrator (%s) = %v, %v; want false, nil",
						email, first.Email, way.name, created, err)
				}
				if !created {
					checkAbsent(t, ctx, repo, email, fmt.Sprintf("EnsureAdmin must store nothing while another administrator (%s) exists", way.name))
				}
			}
			checkFind(t, ctx, repo, "first@example.com", first)
			checkFind(t, ctx, repo, bystander.Email, stored(bystander))
			checkList(t, ctx, repo, 10, 0, wantPending)
		})
	}
}

// testEnsureAdminIgnoresNonAdmins checks that users without IsAdmin, under
// other emails, do not keep EnsureAdmin from seeding the administrator, and
// are left as they were.
func testEnsureAdminIgnoresNonAdmins(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	t.Run("users of every status", func(t *testing.T) {
		ctx, repo := t.Context(), newRepo(t)
		var others []domain.User
		for i, st := range []domain.Status{domain.StatusPending, domain.StatusApproved, domain.StatusRejected} {
			u := pending(fmt.Sprintf("%s@example.com", st), at(time.Duration(i)*time.Second))
			u.Status = st
			mustCreate(t, ctx, repo, u)
			others = append(others, stored(u))
		}
		admin := seedAdmin("Admin@Example.com", at(time.Hour))
		if created, err := repo.EnsureAdmin(ctx, admin); err != nil || !created {
			t.Fatalf("EnsureAdmin(%q) with only non-admin users under other emails = %v, %v; want true, nil", admin.Email, created, err)
		}
		checkFind(t, ctx, repo, "admin@example.com", stored(admin))
		for _, u := range others {
			checkFind(t, ctx, repo, u.Email, u)
		}
		checkList(t, ctx, repo, 10, 0, others[:1])

		// Now an administrator exists: the next seed under another email
		// is refused.
		again := seedAdmin("root@example.com", at(2*time.Hour))
		if created, err := repo.EnsureAdmin(ctx, again); err != nil || created {
			errorf(t, "EnsureAdmin(%q) after %q was seeded = %v, %v; want false, nil", again.Email, admin.Email, created, err)
		}
		checkAbsent(t, ctx, repo, again.Email, "an administrator was seeded before")
	})

	t.Run("demoted former administrator", func(t *testing.T) {
		// Whether an administrator exists is a question about the stored
		// users now, not a flag set once by the first seed.
		ctx, repo := t.Context(), newRepo(t)
		old := seedAdmin("old@example.com", base)
		if created, err := repo.EnsureAdmin(ctx, old); err != nil || !created {
			t.Fatalf("EnsureAdmin(%q) on an empty store = %v, %v; want true, nil", old.Email, created, err)
		}
		u := mustFind(t, ctx, repo, old.Email)
		u.IsAdmin, u.UpdatedAt = false, at(time.Minute)
		mustUpdate(t, ctx, repo, u)
		u.Revision++

		admin := seedAdmin("new@example.com", at(time.Hour))
		if created, err := repo.EnsureAdmin(ctx, admin); err != nil || !created {
			t.Fatalf("EnsureAdmin(%q) after the only administrator was demoted (IsAdmin false) = %v, %v; want true, nil", admin.Email, created, err)
		}
		checkFind(t, ctx, repo, admin.Email, stored(admin))
		checkFind(t, ctx, repo, old.Email, u)
	})
}
