package bunstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// TestHostileValuesRoundTrip stores values that break naive SQL quoting or
// placeholder substitution (bun formats arguments into the SQL text) and
// checks they come back unchanged and touch nothing else.
func TestHostileValuesRoundTrip(t *testing.T) {
	hostile := []string{
		`o'brien@example.com`,
		`x'); DROP TABLE users; --@example.com`,
		`back\slash@example.com`,
		`back\'quote@example.com`,
		`quote"d@example.com`,
		`place?holder@example.com`,
		`dollar$1@example.com`,
		`percent%s@example.com`,
		`ünïcode@exämple.com`,
	}
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		for i, email := range hostile {
			u := testUser(email, domain.StatusPending, now.Add(time.Duration(i)*time.Second))
			u.PasswordHash = "hash'" + email + `\?`
			if err := s.Create(ctx, u); err != nil {
				t.Fatalf("Create(%q): %v", email, err)
			}
			got, err := s.FindByEmail(ctx, email)
			if err != nil {
				t.Fatalf("FindByEmail(%q): %v", email, err)
			}
			if got.Email != domain.EmailKey(email) || got.PasswordHash != u.PasswordHash {
				t.Errorf("round trip of %q: got email %q, hash %q", email, got.Email, got.PasswordHash)
			}
			got.PasswordHash = `new'\hash?`
			if err := s.Update(ctx, got); err != nil {
				t.Errorf("Update(%q): %v", email, err)
			}
		}
		list, err := s.ListPending(ctx, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(hostile) {
			t.Fatalf("ListPending returned %d users; want %d", len(list), len(hostile))
		}
		for i, u := range list {
			if u.Email != domain.EmailKey(hostile[i]) || u.PasswordHash != `new'\hash?` || u.Revision != 2 {
				t.Errorf("ListPending[%d] = %q, hash %q, revision %d", i, u.Email, u.PasswordHash, u.Revision)
			}
		}
		if _, err := s.FindByEmail(ctx, `' OR '1'='1`); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("FindByEmail of an injection string: %v; want ErrUserNotFound", err)
		}
	})
}

// TestRefusesUnrepresentableUsers checks the ErrValidation answers of
// ports.UserRepository: an empty email or an unknown status is refused
// before any SQL runs.
func TestRefusesUnrepresentableUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		for name, u := range map[string]domain.User{
			"empty email":    testUser("  ", domain.StatusPending, time.Now()),
			"unknown status": testUser("ann@example.com", domain.Status("superuser"), time.Now()),
		} {
			if err := s.Create(ctx, u); !errors.Is(err, domain.ErrValidation) {
				t.Errorf("Create with %s: %v; want ErrValidation", name, err)
			}
			if _, err := s.EnsureAdmin(ctx, u); !errors.Is(err, domain.ErrValidation) {
				t.Errorf("EnsureAdmin with %s: %v; want ErrValidation", name, err)
			}
			u.Revision = 1
			if err := s.Update(ctx, u); !errors.Is(err, domain.ErrValidation) {
				t.Errorf("Update with %s: %v; want ErrValidation", name, err)
			}
		}
		if list, _ := s.ListPending(ctx, 10, 0); len(list) != 0 {
			t.Errorf("a refused user was stored: %v", emailsOf(list))
		}
	})
}
