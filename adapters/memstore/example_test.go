package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
)

func Example() {
	ctx := context.Background()
	store := memstore.New()
	now := time.Date(2024, time.March, 14, 12, 0, 0, 0, time.UTC)

	err := store.Create(ctx, domain.User{
		Email:        "Ann@Example.com",
		PasswordHash: "(a bcrypt hash)",
		Status:       domain.StatusPending,
		CreatedAt:    now,
		UpdatedAt:    now,
	})
	fmt.Println("create:", err)

	// Emails match in any letter case and are stored lower-cased.
	u, err := store.FindByEmail(ctx, "ANN@example.com")
	fmt.Println("find:", u.Email, u.Status, u.Revision, err)

	pending, _ := store.ListPending(ctx, 10, 0)
	fmt.Println("pending:", len(pending))

	// A second registration of the same address fails.
	err = store.Create(ctx, domain.User{Email: "ann@example.com"})
	fmt.Println("duplicate taken:", errors.Is(err, domain.ErrEmailTaken))

	// Output:
	// create: <nil>
	// find: ann@example.com pending 1 <nil>
	// pending: 1
	// duplicate taken: true
}

// Update is a compare-and-swap on Revision: a write based on a stale read
// fails with domain.ErrConflict, and the caller reads again and retries.
func ExampleStore_Update() {
	ctx := context.Background()
	store := memstore.New()
	_ = store.Create(ctx, domain.User{Email: "bob@example.com", Status: domain.StatusPending})

	admin, _ := store.FindByEmail(ctx, "bob@example.com") // an admin opens the account
	user, _ := store.FindByEmail(ctx, "bob@example.com")  // so does its owner

	admin.Status = domain.StatusRejected
	admin.TokenVersion++
	fmt.Println("reject:", store.Update(ctx, admin))

	user.PasswordHash = "(new hash)"
	err := store.Update(ctx, user)
	fmt.Println("stale write is a conflict:", errors.Is(err, domain.ErrConflict))

	// Retry from a fresh read: the rejection is not undone.
	user, _ = store.FindByEmail(ctx, "bob@example.com")
	user.PasswordHash = "(new hash)"
	fmt.Println("retry:", store.Update(ctx, user))

	u, _ := store.FindByEmail(ctx, "bob@example.com")
	fmt.Println(u.Status, u.Revision)

	// Output:
	// reject: <nil>
	// stale write is a conflict: true
	// retry: <nil>
	// rejected 3
}

func ExampleStore_EnsureAdmin() {
	ctx := context.Background()
	store := memstore.New()
	admin := domain.User{Email: "admin@example.com", IsAdmin: true, Status: domain.StatusApproved, MustChangePassword: true}

	created, err := store.EnsureAdmin(ctx, admin)
	fmt.Println(created, err)
	created, err = store.EnsureAdmin(ctx, admin) // e.g. on the next start
	fmt.Println(created, err)

	// A start configured with another admin email seeds nobody: an
	// administrator exists already.
	boss := admin
	boss.Email = "boss@example.com"
	created, err = store.EnsureAdmin(ctx, boss)
	_, findErr := store.FindByEmail(ctx, boss.Email)
	fmt.Println(created, err, errors.Is(findErr, domain.ErrUserNotFound))

	// Output:
	// true <nil>
	// false <nil>
	// false <nil> true
}
