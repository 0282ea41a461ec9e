package jsonstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// logBuffer collects log records as JSON lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the records logged so far whose message is msg.
func (b *logBuffer) lines(msg string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, fmt.Sprintf("%q", msg)) {
			out = append(out, line)
		}
	}
	return out
}

// TestSizeWarning checks that a Store warns once, through its logger, when
// it comes to hold more than RecommendedMaxUsers users, and not before.
func TestSizeWarning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.json")
	writeUserFile(t, path, benchUsers(RecommendedMaxUsers))
	var logs logBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	warnings := func() []string { return logs.lines(sizeWarning) }

	s, err := Open(path, WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w := warnings(); len(w) != 0 {
		t.Fatalf("Open of a file with exactly RecommendedMaxUsers (%d) users logged %q; want no warning", RecommendedMaxUsers, w)
	}
	// Writes that do not add a user, or do not store anything, change
	// nothing.
	u, err := s.FindByEmail(ctx, "user000000@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u.TokenVersion++
	if err := s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, user(u.Email, domain.StatusPending, t0)); !errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("Create of a taken email: %v", err)
	}
	if w := warnings(); len(w) != 0 {
		t.Fatalf("writes at %d users logged %q; want no warning", RecommendedMaxUsers, w)
	}

	// The user that takes the store past the size: one warning.
	if err := s.Create(ctx, user("one-more@example.com", domain.StatusPending, t0)); err != nil {
		t.Fatal(err)
	}
	w := warnings()
	if len(w) != 1 {
		t.Fatalf("after the Create of user %d: %d size warnings (%q); want 1", RecommendedMaxUsers+1, len(w), w)
	}
	for _, want := range []string{`"level":"WARN"`, "bunstore on SQLite", fmt.Sprintf(`"users":%d`, RecommendedMaxUsers+1),
		fmt.Sprintf(`"recommended_max_users":%d`, RecommendedMaxUsers), "users.json"} {
		if !strings.Contains(w[0], want) {
			t.Errorf("size warning %s: want it to contain %s", w[0], want)
		}
	}

	// Not again from this Store.
	if err := s.Create(ctx, user("two-more@example.com", domain.StatusPending, t0)); err != nil {
		t.Fatal(err)
	}
	if created, err := s.EnsureAdmin(ctx, domain.User{Email: "root@example.com", IsAdmin: true, Status: domain.StatusApproved}); err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	if w := warnings(); len(w) != 1 {
		t.Errorf("after more Creates: %d size warnings; want still 1", len(w))
	}

	// A new Store on the larger file warns once, at Open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if w := warnings(); len(w) != 2 {
		t.Errorf("Open of a file with %d users: %d size warnings in all; want 2 (one per Store)", RecommendedMaxUsers+3, len(w))
	}
	if err := s2.Create(ctx, user("three-more@example.com", domain.StatusPending, t0)); err != nil {
		t.Fatal(err)
	}
	if w := warnings(); len(w) != 2 {
		t.Errorf("after a Create on the reopened Store: %d size warnings in all; want 2", len(w))
	}
}

// TestWriteWaitEndsWithContext holds the write lock, as a slow write in
// progress would, and checks that a queued write gives up when its context
// ends, with an error wrapping ctx.Err(), and changes nothing.
func TestWriteWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := user("old@example.com", domain.StatusPending, t0)
	if err := s.Create(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)
	old.Revision = 1

	writes := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"Create", func(ctx context.Context) error {
			return s.Create(ctx, user("new@example.com", domain.StatusPending, t0))
		}},
		{"Update", func(ctx context.Context) error { return s.Update(ctx, old) }},
		{"EnsureAdmin", func(ctx context.Context) error {
			_, err := s.EnsureAdmin(ctx, domain.User{Email: "root@example.com", IsAdmin: true, Status: domain.StatusApproved})
			return err
		}},
	}
	s.wmu <- struct{}{} // a write in progress
	for _, w := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		err := w.do(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "jsonstore: ") {
			t.Errorf("%s while another write holds the lock: error = %v; want a \"jsonstore: \" error wrapping context.DeadlineExceeded", w.name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s returned %v after its 50ms deadline; want soon after", w.name, d)
		}
	}
	// Readers are not held up by a write in progress.
	if _, err := s.FindByEmail(context.Background(), old.Email); err != nil {
		t.Errorf("FindByEmail during a write: %v", err)
	}
	<-s.wmu
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("a write that gave up waiting changed the file")
	}
	for _, w := range writes {
		if err := w.do(context.Background()); err != nil {
			t.Errorf("%s once the lock is free: %v", w.name, err)
		}
	}
}
