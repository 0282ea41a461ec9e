package jsonstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// withFS replaces the file system writes go through. Tests only.
func withFS(fsys fileSystem) Option { return func(o *options) { o.fs = fsys } }

var errInjected = errors.New("injected fault")

// The steps of a write, as faultFS names them.
var steps = []string{"create", "write", "fsync", "close", "rename", "fsync dir"}

// faultFS is the real file system, except that the step it is armed for
// fails, a given number of times (negative: every time).
type faultFS struct {
	osFS
	mu    sync.Mutex
	step  string
	times int
	// crash, if set, is called at the armed step instead of failing it.
	crash func()
}

func (f *faultFS) arm(step string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.step, f.times = step, times
}

// armed reports whether step would fail now.
func (f *faultFS) armed(step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.step == step && f.times != 0
}

func (f *faultFS) fail(step string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step != step || f.times == 0 {
		return nil
	}
	if f.times > 0 {
		f.times--
	}
	if f.crash != nil {
		f.crash()
	}
	return fmt.Errorf("%s: %w", step, errInjected)
}

func (f *faultFS) createTemp(dir, pattern string, perm fs.FileMode) (tempFile, error) {
	if err := f.fail("create"); err != nil {
		return nil, err
	}
	file, err := f.osFS.createTemp(dir, pattern, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: file, fs: f}, nil
}

func (f *faultFS) rename(oldpath, newpath string) error {
	if err := f.fail("rename"); err != nil {
		return err
	}
	return f.osFS.rename(oldpath, newpath)
}

func (f *faultFS) syncDir(dir string) error {
	if err := f.fail("fsync dir"); err != nil {
		return err
	}
	return f.osFS.syncDir(dir)
}

type faultFile struct {
	tempFile
	fs *faultFS
}

// Write fails after writing half of p, as a full disk would.
func (f *faultFile) Write(p []byte) (int, error) {
	if f.fs.armed("write") {
		n, _ := f.tempFile.Write(p[:len(p)/2])
		return n, f.fs.fail("write")
	}
	return f.tempFile.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.fail("fsync"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

// Close closes the file, then reports a failure (as NFS may on close).
func (f *faultFile) Close() error {
	err := f.tempFile.Close()
	if ferr := f.fs.fail("close"); ferr != nil {
		return ferr
	}
	return err
}

// secretHash is a password hash that must never appear in an error.
const secretHash = "$2a$10$SECRET-HASH-never-in-errors"

var t0 = time.Date(2025, time.January, 2, 3, 4, 5, 123456789, time.UTC)

func user(email string, status domain.Status, created time.Time) domain.User {
	return domain.User{
		Email: email, PasswordHash: secretHash, Status: status,
		CreatedAt: created, UpdatedAt: created,
	}
}

// tempFiles lists the store's temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteFaults fails each step of a write once, for each kind of write,
// and checks that the write reports it and changes nothing, in memory or on
// disk, and that the next write succeeds.
func TestWriteFaults(t *testing.T) {
	ctx := context.Background()
	old := user("old@example.com", domain.StatusPending, t0)
	ops := []struct {
		name string
		// do performs the write; check verifies the store after a failed
		// (applied=false) or successful (applied=true) do.
		do    func(s *Store) error
		check func(t *testing.T, s *Store, applied bool)
	}{
		{
			name: "Create",
			do: func(s *Store) error {
				return s.Create(ctx, user("New@Example.com", domain.StatusPending, t0.Add(time.Hour)))
			},
			check: func(t *testing.T, s *Store, applied bool) {
				u, err := s.FindByEmail(ctx, "new@example.com")
				switch {
				case applied && (err != nil || u.Revision != 1):
					t.Errorf("after a successful Create: FindByEmail = %+v, %v", u.Revision, err)
				case !applied && !errors.Is(err, domain.ErrUserNotFound):
					t.Errorf("after a failed Create: FindByEmail error = %v, want ErrUserNotFound", err)
				}
			},
		},
		{
			name: "Update",
			do: func(s *Store) error {
				u, err := s.FindByEmail(ctx, old.Email)
				if err != nil {
					return err
				}
				u.Status, u.TokenVersion = domain.StatusRejected, 7
				return s.Update(ctx, u)
			},
			check: func(t *testing.T, s *Store, applied bool) {
				u, err := s.FindByEmail(ctx, old.Email)
				if err != nil {
					t.Fatalf("FindByEmail: %v", err)
				}
				want := old
				want.Revision = 1
				if applied {
					want.Status, want.TokenVersion, want.Revision = domain.StatusRejected, 7, 2
				}
				if u != want {
					t.Errorf("after Update (applied=%v): FindByEmail = %+v, want %+v", applied, u, want)
				}
			},
		},
		{
			name: "EnsureAdmin",
			do: func(s *Store) error {
				a := user("admin@example.com", domain.StatusApproved, t0)
				a.IsAdmin = true
				created, err := s.EnsureAdmin(ctx, a)
				if err == nil && !created {
					return errors.New("EnsureAdmin reported false for an absent admin")
				}
				return err
			},
			check: func(t *testing.T, s *Store, applied bool) {
				u, err := s.FindByEmail(ctx, "admin@example.com")
				switch {
				case applied && (err != nil || !u.IsAdmin):
					t.Errorf("after a successful EnsureAdmin: FindByEmail = %+v, %v", u, err)
				case !applied && !errors.Is(err, domain.ErrUserNotFound):
					t.Errorf("after a failed EnsureAdmin: FindByEmail error = %v, want ErrUserNotFound", err)
				}
				// The pending list is unchanged either way.
				list, err := s.ListPending(ctx, 10, 0)
				if err != nil || len(list) != 1 || list[0].Email != old.Email {
					t.Errorf("ListPending = %v, %v; want just %s", list, err, old.Email)
				}
			},
		},
	}
	for _, op := range ops {
		for _, step := range steps {
			t.Run(op.name+"/"+strings.ReplaceAll(step, " ", "_"), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				path := filepath.Join(dir, "users.json")
				ffs := &faultFS{}
				s, err := Open(path, withFS(ffs))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.Create(ctx, old); err != nil {
					t.Fatal(err)
				}
				before := readFile(t, path)

				ffs.arm(step, 1)
				err = op.do(s)
				if !errors.Is(err, errInjected) {
					t.Fatalf("%s with %q failing: error = %v, want the injected fault", op.name, step, err)
				}
				if !strings.HasPrefix(err.Error(), "jsonstore: ") || strings.Contains(err.Error(), secretHash) {
					t.Errorf("error %q: want the prefix \"jsonstore: \" and no password hash", err)
				}
				op.check(t, s, false)
				if after := readFile(t, path); !bytes.Equal(after, before) {
					t.Errorf("the file changed after a failed write:\nbefore:\n%s\nafter:\n%s", before, after)
				}
				if tmp := tempFiles(t, dir); len(tmp) > 0 {
					t.Errorf("temporary files left after a failed write: %q", tmp)
				}

				// The fault has passed: the same write now succeeds.
				if err := op.do(s); err != nil {
					t.Fatalf("%s after the fault: %v", op.name, err)
				}
				op.check(t, s, true)
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s2, err := Open(path)
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
				defer s2.Close()
				op.check(t, s2, true)
			})
		}
	}
}

// TestWriteFaultRestoreFails makes the directory fsync fail every time, so
// that restoring the previous file fails too: the write reports both, memory
// keeps the old state, and once the fault passes the next write makes the
// file agree with memory again.
func TestWriteFaultRestoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.json")
	ffs := &faultFS{}
	s, err := Open(path, withFS(ffs))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ffs.arm("fsync dir", -1)
	err = s.Create(ctx, user("lost@example.com", domain.StatusPending, t0))
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "restoring the previous file also failed") {
		t.Fatalf("Create error = %v; want the injected fault and the failed restore", err)
	}
	if _, err := s.FindByEmail(ctx, "lost@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("FindByEmail after the failed Create: error = %v, want ErrUserNotFound", err)
	}
	ffs.arm("", 0)
	if err := s.Create(ctx, user("kept@example.com", domain.StatusPending, t0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	list, err := s2.ListPending(ctx, 10, 0)
	if err != nil || len(list) != 1 || list[0].Email != "kept@example.com" {
		t.Errorf("after reopening: ListPending = %v, %v; want only kept@example.com", list, err)
	}
}

// TestOpenCreateFaults fails each step of the write that creates a missing
// file at Open: Open fails, leaves no file, no temporary file and no lock.
func TestOpenCreateFaults(t *testing.T) {
	for _, step := range steps {
		t.Run(strings.ReplaceAll(step, " ", "_"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "users.json")
			ffs := &faultFS{}
			ffs.arm(step, 1)
			if s, err := Open(path, withFS(ffs)); !errors.Is(err, errInjected) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("Open with %q failing: error = %v, want the injected fault", step, err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after a failed Open the file exists (Lstat error %v)", err)
			}
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left after a failed Open: %q", tmp)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open after a failed Open: %v", err)
			}
			s.Close()
		})
	}
}

// TestCheckStructure covers the token walk's edge cases directly.
func TestCheckStructure(t *testing.T) {
	cases := []struct {
		name, in string
		wantErr  string // "" for valid
	}{
		{"nested ok", `{"a":[{"b":1,"c":{"b":2}},[],{}],"b":"x"}`, ""},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, ""},
		{"duplicate nested key", `{"a":{"b":1,"b":2}}`, `duplicate key "b"`},
		{"duplicate after array value", `{"a":[1,2],"a":3}`, `duplicate key "a"`},
		{"truncated in string", `{"a":"x`, "truncated"},
		{"truncated after key", `{"a"`, "truncated"},
		{"two documents", `{} {}`, "after the JSON document"},
		{"garbage", `{}x`, "after the JSON document"},
		{"garbage inside", `{"a":x}`, "invalid JSON at byte"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkStructure([]byte(tc.in))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("checkStructure(%s) = %v, want nil", tc.in, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("checkStructure(%s) = %v, want an error containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}
