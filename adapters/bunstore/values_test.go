package bunstore_test

import (
	"context"
	"errors"
	"strings"
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
		badHash := testUser("bob@example.com", domain.StatusPending, time.Now())
		badHash.PasswordHash = "abc\xffdef"
		nulHash := testUser("bob@example.com", domain.StatusPending, time.Now())
		nulHash.PasswordHash = "abc\x00def"
		for name, u := range map[string]domain.User{
			"empty email":            testUser("  ", domain.StatusPending, time.Now()),
			"unknown status":         testUser("ann@example.com", domain.Status("superuser"), time.Now()),
			"invalid UTF-8 in email": testUser("ann\xff@example.com", domain.StatusPending, time.Now()),
			"NUL in email":           testUser("ann\x00@example.com", domain.StatusPending, time.Now()),
			"invalid UTF-8 in hash":  badHash,
			"NUL in hash":            nulHash,
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

// TestListPendingOrderMixedTimes checks the listing order with times that
// differ only in their fraction, whole seconds (which the text form of
// SQLite writes without a fraction) and times given in other time zones.
func TestListPendingOrderMixedTimes(t *testing.T) {
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	newYork := time.FixedZone("EST", -5*3600)
	users := []domain.User{ // in the order ListPending must return them
		testUser("a@example.com", domain.StatusPending, base.In(newYork)),
		testUser("b@example.com", domain.StatusPending, base.Add(time.Microsecond)),
		testUser("c@example.com", domain.StatusPending, base.Add(500*time.Millisecond).In(tokyo)),
		testUser("d@example.com", domain.StatusPending, base.Add(time.Second)),
		testUser("e@example.com", domain.StatusPending, base.Add(time.Second)),
		testUser("f@example.com", domain.StatusPending, base.Add(time.Second+time.Microsecond).In(newYork)),
		testUser("g@example.com", domain.StatusPending, base.Add(10*time.Second).In(tokyo)),
	}
	forEachEngine(t, func(t *testing.T, s *bunstore.Store) {
		ctx := context.Background()
		for _, i := range []int{6, 3, 0, 5, 1, 4, 2} {
			if err := s.Create(ctx, users[i]); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.ListPending(ctx, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := emailsOf(list), emailsOf(users); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ListPending order = %v; want %v", got, want)
		}
		for i, u := range list {
			if !u.CreatedAt.Equal(users[i].CreatedAt) || u.CreatedAt.Location() != time.UTC {
				t.Errorf("%s: CreatedAt %v; want %v in UTC", u.Email, u.CreatedAt, users[i].CreatedAt)
			}
		}
	})
}
