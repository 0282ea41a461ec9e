package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/ports/storetest"
)

// childEnv tells a test binary started by TestReportOfRevisionBlindStore to
// run the suite against the broken store instead of checking a report.
const childEnv = "STORETEST_RUN_REVISION_BLIND_STORE"

// maxReportLines bounds the report of a store that breaks the Revision rule.
// The suite finds about 30 distinct failures in such a store; without a
// limit per kind, the reads racing the updates alone report hundreds.
const maxReportLines = 150

// TestReportOfRevisionBlindStore runs the suite, in a child process, against
// a store whose Update neither checks nor bumps Revision, and checks the
// failure report: the suite fails, the report stays short, repeated
// failures are counted rather than listed, and the messages name the Go
// identifier of the error the store should have returned.
func TestReportOfRevisionBlindStore(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		storetest.Run(t, func(*testing.T) ports.UserRepository { return newRevisionBlindStore() })
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReportOfRevisionBlindStore$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	report := string(out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child test run: got %v; want it to fail (exit status 1). Output:\n%s", err, report)
	}

	lines := strings.Split(strings.TrimSpace(report), "\n")
	if len(lines) > maxReportLines {
		t.Errorf("the report has %d lines; want at most %d. Report:\n%s", len(lines), maxReportLines, report)
	}
	for _, want := range []string{
		// The stale-revision rule, with the identifier of the sentinel.
		"--- FAIL: TestReportOfRevisionBlindStore/Update_StaleRevision",
		"Update with a stale Revision (read at Revision 1, stored Revision is 2): got nil; want an error wrapping domain.ErrConflict",
		// The racing reads see the same inconsistency over and over: a few
		// are shown, the rest counted.
		"--- FAIL: TestReportOfRevisionBlindStore/Concurrent_ReadsDuringUpdates",
		"more like this: ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q. Report:\n%s", want, report)
		}
	}

	// No message of one test repeats more than a few times: count the
	// lines that report a failure ("file.go:123: ..."), per test, with
	// the numbers in them blanked out.
	failure := regexp.MustCompile(`^\s+\w+\.go:\d+: (.*)$`)
	digits := regexp.MustCompile(`\d+`)
	counts := make(map[string]int)
	test := ""
	for _, line := range lines {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: "); ok {
			test = name
			continue
		}
		if m := failure.FindStringSubmatch(line); m != nil {
			counts[test+"\x00"+digits.ReplaceAllString(m[1], "N")]++
		}
	}
	for key, n := range counts {
		if n > 3 {
			test, msg, _ := strings.Cut(key, "\x00")
			t.Errorf("%s reports %d times %q; want at most 3 and then a count", test, n, msg)
		}
	}
}

// revisionBlindStore is a ports.UserRepository that is right in everything
// but Revision: Update stores the user it is given as it is, without
// comparing or bumping the Revision.
type revisionBlindStore struct {
	mu    sync.Mutex
	users map[string]domain.User
}

func newRevisionBlindStore() *revisionBlindStore {
	return &revisionBlindStore{users: make(map[string]domain.User)}
}

func (s *revisionBlindStore) FindByEmail(_ context.Context, email string) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[domain.EmailKey(email)]
	if !ok {
		return domain.User{}, fmt.Errorf("blind: find %q: %w", email, domain.ErrUserNotFound)
	}
	return u, nil
}

func (s *revisionBlindStore) Create(_ context.Context, u domain.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.insert(u) {
		return fmt.Errorf("blind: create %q: %w", u.Email, domain.ErrEmailTaken)
	}
	return nil
}

func (s *revisionBlindStore) Update(_ context.Context, u domain.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := domain.EmailKey(u.Email)
	if _, ok := s.users[key]; !ok {
		return fmt.Errorf("blind: update %q: %w", u.Email, domain.ErrUserNotFound)
	}
	u.Email = key
	s.users[key] = u
	return nil
}

func (s *revisionBlindStore) ListPending(_ context.Context, limit, offset int) ([]domain.User, error) {
	if limit < 1 || offset < 0 {
		return nil, fmt.Errorf("blind: list pending: %w", domain.ErrInvalidPage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []domain.User{}
	for _, u := range s.users {
		if u.Status == domain.StatusPending {
			list = append(list, u)
		}
	}
	slices.SortFunc(list, func(a, b domain.User) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	list = list[min(offset, len(list)):]
	return list[:min(limit, len(list))], nil
}

func (s *revisionBlindStore) EnsureAdmin(_ context.Context, u domain.User) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.users {
		if v.IsAdmin {
			return false, nil
		}
	}
	return s.insert(u), nil
}

// insert stores u with Revision 1 unless its email is taken. The caller
// holds s.mu.
func (s *revisionBlindStore) insert(u domain.User) bool {
	key := domain.EmailKey(u.Email)
	if _, ok := s.users[key]; ok {
		return false
	}
	u.Email, u.Revision = key, 1
	s.users[key] = u
	return true
}
