package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/ports/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.UserRepository { return memstore.New() })
}

func TestConformanceZeroValue(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.UserRepository { return new(memstore.Store) })
}

func TestCanceledContext(t *testing.T) {
	s := memstore.New()
	u := domain.User{Email: "ann@example.com", Status: domain.StatusPending, CreatedAt: time.Now()}
	if err := s.Create(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	calls := []struct {
		name string
		call func() error
	}{
		{"FindByEmail", func() error { _, err := s.FindByEmail(ctx, u.Email); return err }},
		{"Create", func() error { return s.Create(ctx, domain.User{Email: "bob@example.com"}) }},
		{"Update", func() error { u := u; u.Revision = 1; return s.Update(ctx, u) }},
		{"ListPending", func() error { _, err := s.ListPending(ctx, 10, 0); return err }},
		{"EnsureAdmin", func() error { _, err := s.EnsureAdmin(ctx, domain.User{Email: "root@example.com"}); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context: got error %v; want one wrapping context.Canceled", tc.name, err)
			}
		})
	}
	// Nothing was written.
	got, err := s.FindByEmail(t.Context(), u.Email)
	if err != nil || got.Revision != 1 {
		t.Errorf("FindByEmail after canceled calls = %+v, %v; want the user at Revision 1", got, err)
	}
	for _, email := range []string{"bob@example.com", "root@example.com"} {
		if _, err := s.FindByEmail(t.Context(), email); !errors.Is(err, domain.ErrUserNotFound) {
			t.Errorf("FindByEmail(%q) after a canceled write: got error %v; want ErrUserNotFound", email, err)
		}
	}
}

func TestListPendingInvalidPage(t *testing.T) {
	s := memstore.New()
	for _, p := range []struct {
		name          string
		limit, offset int
	}{
		{"zero limit", 0, 0},
		{"negative limit", -1, 0},
		{"negative offset", 10, -1},
	} {
		t.Run(p.name, func(t *testing.T) {
			list, err := s.ListPending(t.Context(), p.limit, p.offset)
			if !errors.Is(err, domain.ErrInvalidPage) || list != nil {
				t.Errorf("ListPending(%d, %d) = %v, %v; want nil, an error wrapping ErrInvalidPage", p.limit, p.offset, list, err)
			}
		})
	}
}

func TestErrorsDoNotLeakHashes(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	const secret = "$2a$10$very-secret-hash"
	u := domain.User{Email: "ann@example.com", PasswordHash: secret, Status: domain.StatusPending}
	if err := s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	stale := u
	stale.Revision = 7
	ghost := u
	ghost.Email, ghost.Revision = "ghost@example.com", 1
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Create of a taken email", s.Create(ctx, u)},
		{"Update with a stale Revision", s.Update(ctx, stale)},
		{"Update of an unknown email", s.Update(ctx, ghost)},
	} {
		switch msg := fmt.Sprint(tc.err); {
		case tc.err == nil:
			t.Errorf("%s: got nil error; want an error", tc.name)
		case strings.Contains(msg, secret) || !strings.HasPrefix(msg, "memstore: "):
			t.Errorf("%s: error %q: want the prefix \"memstore: \" and no password hash", tc.name, msg)
		}
	}
}
