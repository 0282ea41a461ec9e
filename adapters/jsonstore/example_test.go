package jsonstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/authadmin/authadmin/adapters/jsonstore"
	"github.com/authadmin/authadmin/domain"
)

func Example() {
	dir, err := os.MkdirTemp("", "jsonstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.json")

	// Open creates the file if it is missing and locks it until Close.
	store, err := jsonstore.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2025, time.January, 2, 3, 4, 5, 0, time.UTC)
	created, err := store.EnsureAdmin(ctx, domain.User{
		Email: "admin@example.com", PasswordHash: "(a bcrypt hash)", IsAdmin: true,
		Status: domain.StatusApproved, MustChangePassword: true, CreatedAt: now, UpdatedAt: now,
	})
	fmt.Println("admin created:", created, err)
	err = store.Create(ctx, domain.User{
		Email: "Ann@Example.com", PasswordHash: "(a bcrypt hash)",
		Status: domain.StatusPending, CreatedAt: now, UpdatedAt: now,
	})
	fmt.Println("ann created:", err)

	// A second Store on the same file is refused.
	_, err = jsonstore.Open(path)
	fmt.Println("second Open locked:", errors.Is(err, jsonstore.ErrLocked))
	store.Close()

	// Everything is there after reopening.
	store, err = jsonstore.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	pending, _ := store.ListPending(ctx, 10, 0)
	for _, u := range pending {
		fmt.Println("pending:", u.Email, "revision", u.Revision)
	}
	// Output:
	// admin created: true <nil>
	// ann created: <nil>
	// second Open locked: true
	// pending: ann@example.com revision 1
}

// A Store warns once, through the logger given with WithLogger (by default
// slog.Default()), when it comes to hold more than RecommendedMaxUsers
// users: past that size every write is slow, and a database store such as
// bunstore on SQLite is the better home for the users.
func ExampleWithLogger() {
	dir, err := os.MkdirTemp("", "jsonstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store, err := jsonstore.Open(filepath.Join(dir, "users.json"), jsonstore.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println("meant for up to", jsonstore.RecommendedMaxUsers, "users")
	// Output:
	// meant for up to 1000 users
}
