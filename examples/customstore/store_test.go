package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/ports/storetest"
)

// TestConformance runs authadmin's conformance suite against the custom
// store: what every ports.UserRepository must pass (case-insensitive emails,
// Revision compare-and-swap, ListPending order and paging, EnsureAdmin,
// races under -race).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.UserRepository { return newAuditStore() })
}

// TestAuditTrail checks the store's own feature: every successful write is
// recorded, refused writes (EnsureAdmin seeding nobody among them) are not.
func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	s := newAuditStore()
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return at }

	u := domain.User{Email: "Ann@Example.com", PasswordHash: "secret-hash-1", Status: domain.StatusPending, CreatedAt: at, UpdatedAt: at}
	if err := s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, u); !errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("second Create: %v, want ErrEmailTaken", err)
	}
	got, err := s.FindByEmail(ctx, "ANN@example.com")
	if err != nil {
		t.Fatal(err)
	}
	stale := got
	got.Status = domain.StatusApproved
	if err := s.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	stale.PasswordHash = "secret-hash-2"
	if err := s.Update(ctx, stale); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}
	got, _ = s.FindByEmail(ctx, "ann@example.com")
	got.PasswordHash = "secret-hash-2"
	if err := s.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	if created, err := s.EnsureAdmin(ctx, domain.User{Email: "ann@example.com", IsAdmin: true}); created || err != nil {
		t.Fatalf("EnsureAdmin on an existing user = %v, %v; want false, nil", created, err)
	}
	root := domain.User{Email: "Root@Example.com", IsAdmin: true, Status: domain.StatusApproved, CreatedAt: at, UpdatedAt: at}
	if created, err := s.EnsureAdmin(ctx, root); !created || err != nil {
		t.Fatalf("EnsureAdmin with no administrator = %v, %v; want true, nil", created, err)
	}
	boss := root
	boss.Email = "boss@example.com"
	if created, err := s.EnsureAdmin(ctx, boss); created || err != nil {
		t.Fatalf("EnsureAdmin of another email while an administrator exists = %v, %v; want false, nil", created, err)
	}

	want := []AuditEvent{
		{At: at, Op: "create", Email: "ann@example.com", Status: domain.StatusPending, Revision: 1},
		{At: at, Op: "update", Email: "ann@example.com", Status: domain.StatusApproved, Revision: 2},
		{At: at, Op: "update", Email: "ann@example.com", Status: domain.StatusApproved, Revision: 3, PasswordChanged: true},
		{At: at, Op: "ensure_admin", Email: "root@example.com", Status: domain.StatusApproved, IsAdmin: true, Revision: 1},
	}
	trail := s.Trail()
	if len(trail) != len(want) {
		t.Fatalf("trail has %d events, want %d: %+v", len(trail), len(want), trail)
	}
	for i := range want {
		if trail[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, trail[i], want[i])
		}
	}
	// Trail returns a copy.
	trail[0].Op = "changed"
	if s.Trail()[0].Op != "create" {
		t.Error("Trail shares its slice with the store")
	}
}
