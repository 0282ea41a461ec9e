package jsonstore_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jsonstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/ports/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.UserRepository {
		s, err := jsonstore.Open(filepath.Join(t.TempDir(), "users.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	})
}

// hash is a password hash that must never appear in an error.
const hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

var t0 = time.Date(2025, time.January, 2, 3, 4, 5, 123456789, time.UTC)

func open(t *testing.T, path string, opts ...jsonstore.Option) *jsonstore.Store {
	t.Helper()
	s, err := jsonstore.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkMode checks the permission bits of the file at path, where the
// system has Unix permissions.
func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" && fi.Mode().Perm() != want {
		t.Errorf("%s has mode %v; want %v", path, fi.Mode().Perm(), want)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPersistence writes users of every kind, reopens the file and finds
// every field, Revision included, exactly as before.
func TestPersistence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.json")
	s := open(t, path)

	// A zone other than UTC and a monotonic reading: the store keeps the
	// instant, in UTC, as the file will.
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	now := time.Now().In(zone)
	users := []domain.User{
		{Email: "Zed@Example.com", PasswordHash: hash, Status: domain.StatusPending, CreatedAt: now, UpdatedAt: now},
		{Email: "amy@example.com", PasswordHash: "h-amy", Status: domain.StatusPending, CreatedAt: t0, UpdatedAt: t0.Add(time.Nanosecond), TokenVersion: 1 << 40},
		{Email: "bob@example.com", PasswordHash: "h-bob", Status: domain.StatusRejected, CreatedAt: t0, UpdatedAt: t0, TokenVersion: 3},
		{Email: "odd&<chars>@example.com", PasswordHash: "h\"quoted\"\\", Status: domain.StatusApproved},
	}
	for _, u := range users {
		if err := s.Create(ctx, u); err != nil {
			t.Fatalf("Create(%s): %v", u.Email, err)
		}
	}
	admin := domain.User{
		Email: "admin@example.com", PasswordHash: "h-admin", IsAdmin: true, Status: domain.StatusApproved,
		MustChangePassword: true, CreatedAt: t0, UpdatedAt: t0,
	}
	if created, err := s.EnsureAdmin(ctx, admin); err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	for range 3 {
		u, err := s.FindByEmail(ctx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		u.TokenVersion++
		u.UpdatedAt = u.UpdatedAt.Add(time.Second)
		if err := s.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}

	emails := []string{"zed@example.com", "amy@example.com", "bob@example.com", "odd&<chars>@example.com", "admin@example.com"}
	before := map[string]domain.User{}
	for _, e := range emails {
		u, err := s.FindByEmail(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		before[e] = u
	}
	if u := before["zed@example.com"]; !u.CreatedAt.Equal(now) || u.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v; want %v in UTC", u.CreatedAt, now)
	}
	if u := before["bob@example.com"]; u.Revision != 4 || u.TokenVersion != 6 {
		t.Errorf("bob after 3 updates: Revision %d, TokenVersion %d; want 4, 6", u.Revision, u.TokenVersion)
	}
	listBefore, err := s.ListPending(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	file := readFile(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := open(t, path)
	for _, e := range emails {
		u, err := s2.FindByEmail(ctx, strings.ToUpper(e))
		if err != nil {
			t.Fatalf("after reopening: FindByEmail(%s): %v", e, err)
		}
		if u != before[e] {
			t.Errorf("after reopening: FindByEmail(%s) =\n\t%+v\nwant\n\t%+v", e, u, before[e])
		}
	}
	listAfter, err := s2.ListPending(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(listAfter) != len(listBefore) || len(listAfter) != 2 {
		t.Fatalf("after reopening: ListPending = %v; want %v", listAfter, listBefore)
	}
	for i := range listAfter {
		if listAfter[i] != listBefore[i] {
			t.Errorf("after reopening: ListPending[%d] = %+v; want %+v", i, listAfter[i], listBefore[i])
		}
	}

	// A write that changes nothing else re-encodes the other users to the
	// same bytes: only bob's record differs.
	u := before["bob@example.com"]
	if err := s2.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	after := readFile(t, path)
	want := bytes.Replace(file, []byte(`"revision": 4`), []byte(`"revision": 5`), 1)
	if !bytes.Equal(after, want) {
		t.Errorf("after a no-op Update of bob the file is\n%s\nwant\n%s", after, want)
	}
}

// TestFileFormat pins the exact bytes of a file: sorted by email, snake_case
// names, RFC 3339 UTC times with nine fractional digits, mode 0600, and the
// same bytes whatever the order of the writes.
func TestFileFormat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := domain.User{Email: "b@example.com", PasswordHash: "hb", Status: domain.StatusPending, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
	b := domain.User{Email: "A@example.com", PasswordHash: "$2a$10$x/y.z", IsAdmin: true, Status: domain.StatusApproved,
		MustChangePassword: true, CreatedAt: t0.In(time.FixedZone("", -7*3600)), UpdatedAt: t0, TokenVersion: 2}
	const want = `{
  "format": "authadmin-users",
  "version": 1,
  "users": [
    {
      "email": "a@example.com",
      "password_hash": "$2a$10$x/y.z",
      "is_admin": true,
      "status": "approved",
      "must_change_password": true,
      "created_at": "2025-01-02T03:04:05.123456789Z",
      "updated_at": "2025-01-02T03:04:05.123456789Z",
      "token_version": 2,
      "revision": 1
    },
    {
      "email": "b@example.com",
      "password_hash": "hb",
      "is_admin": false,
      "status": "pending",
      "must_change_password": false,
      "created_at": "2025-01-02T03:04:05.123456789Z",
      "updated_at": "2025-01-02T04:04:05.123456789Z",
      "token_version": 0,
      "revision": 1
    }
  ]
}
`
	for _, order := range [][]domain.User{{a, b}, {b, a}} {
		path := filepath.Join(t.TempDir(), "users.json")
		s := open(t, path)
		for _, u := range order {
			if err := s.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if got := string(readFile(t, path)); got != want {
			t.Errorf("file after creating %s then %s:\n%s\nwant:\n%s", order[0].Email, order[1].Email, got, want)
		}
		checkMode(t, path, 0o600)
	}
}

func TestFileModeOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	s := open(t, path, jsonstore.WithFileMode(0o640))
	if err := s.Create(context.Background(), domain.User{Email: "a@example.com", Status: domain.StatusPending}); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o640)
	for _, mode := range []fs.FileMode{0o400, 0o200, 0o000, fs.ModeDir | 0o700} {
		if s, err := jsonstore.Open(filepath.Join(dir, "other.json"), jsonstore.WithFileMode(mode)); err == nil {
			s.Close()
			t.Errorf("Open with WithFileMode(%v) succeeded; want an error", mode)
		}
	}
}

// validFile is a correct file with two users, for the corruption cases.
const validFile = `{
  "format": "authadmin-users",
  "version": 1,
  "users": [
    {
      "email": "ann@example.com",
      "password_hash": "` + hash + `",
      "is_admin": false,
      "status": "pending",
      "must_change_password": false,
      "created_at": "2025-01-02T03:04:05.000000000Z",
      "updated_at": "2025-01-02T03:04:05.000000000Z",
      "token_version": 0,
      "revision": 1
    },
    {
      "email": "bob@example.com",
      "password_hash": "` + hash + `",
      "is_admin": true,
      "status": "approved",
      "must_change_password": false,
      "created_at": "2025-01-02T03:04:05+02:00",
      "updated_at": "2025-01-02T03:04:05.5Z",
      "token_version": 4,
      "revision": 9
    }
  ]
}
`

// TestOpenValidFile reads a hand-written file: other offsets and fraction
// lengths are accepted and read as UTC.
func TestOpenValidFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	writeFile(t, path, validFile)
	s := open(t, path)
	u, err := s.FindByEmail(context.Background(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := domain.User{
		Email: "bob@example.com", PasswordHash: hash, IsAdmin: true, Status: domain.StatusApproved,
		CreatedAt: time.Date(2025, 1, 2, 1, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 5e8, time.UTC),
		TokenVersion: 4, Revision: 9,
	}
	if u != want {
		t.Errorf("FindByEmail = %+v; want %+v", u, want)
	}
	if got := readFile(t, path); string(got) != validFile {
		t.Error("Open changed a valid file")
	}
}

// TestOpenCorrupt checks that Open refuses every damaged or foreign file,
// naming the path and the problem, without touching it, and never starts
// empty instead.
func TestOpenCorrupt(t *testing.T) {
	t.Parallel()
	replace := func(old, new string) string {
		if !strings.Contains(validFile, old) {
			panic("fixture lacks " + old)
		}
		return strings.Replace(validFile, old, new, 1)
	}
	cases := []struct {
		name, content, wantErr string
	}{
		{"empty", "", "file is empty"},
		{"white space only", " \n\t\n", "file is empty"},
		{"open brace", "{", "truncated"},
		{"truncated valid file", validFile[:len(validFile)*2/3], "truncated"},
		{"truncated before the last brace", strings.TrimSuffix(validFile, "}\n"), "truncated"},
		{"trailing garbage", validFile + "garbage", "unexpected data after the JSON document"},
		{"a second document", validFile + "{}", "after the JSON document"},
		{"not an object", `[]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"missing format", `{"version": 1, "users": []}`, `no "format" field`},
		{"wrong format", replace(`"authadmin-users"`, `"something-else"`), `not an authadmin-users file`},
		{"future version", replace(`"version": 1`, `"version": 2`), "newer than this release reads"},
		{"version 0", replace(`"version": 1`, `"version": 0`), "unsupported format version 0"},
		{"version not a number", replace(`"version": 1`, `"version": "1"`), `"version" is "1"`},
		{"missing users", `{"format": "authadmin-users", "version": 1}`, `no "users" field`},
		{"users null", `{"format": "authadmin-users", "version": 1, "users": null}`, `"users" is not an array`},
		{"unknown top-level field", replace(`"version": 1,`, `"version": 1, "extra": true,`), `unknown top-level field "extra"`},
		{"duplicate top-level key", replace(`"version": 1,`, `"version": 1, "users": [],`), `duplicate key "users"`},
		{"duplicate email in another case", replace(`"email": "bob@example.com"`, `"email": "Ann@Example.com"`), `is also users[0]`},
		{"duplicate email", replace(`"email": "bob@example.com"`, `"email": "ann@example.com"`), `is also users[0]`},
		{"non-canonical email", replace(`"email": "bob@example.com"`, `"email": "Bob@example.com"`), "not in canonical form"},
		{"empty email", replace(`"email": "bob@example.com"`, `"email": ""`), "empty email"},
		{"bad status", replace(`"status": "approved"`, `"status": "aproved"`), `unknown status "aproved"`},
		{"revision 0", replace(`"revision": 9`, `"revision": 0`), "revision 0, want at least 1"},
		{"negative revision", replace(`"revision": 9`, `"revision": -1`), "revision -1"},
		{"fractional revision", replace(`"revision": 9`, `"revision": 1.5`), `field "revision"`},
		{"missing field", replace(`"must_change_password": false,
      "created_at": "2025-01-02T03:04:05+02:00",`, `"created_at": "2025-01-02T03:04:05+02:00",`), `missing field "must_change_password"`},
		{"null field", replace(`"password_hash": "`+hash+`",
      "is_admin": true`, `"password_hash": null,
      "is_admin": true`), `field "password_hash" is null`},
		{"unknown field", replace(`"revision": 9`, `"revision": 9, "role": "x"`), `unknown field "role"`},
		{"duplicate field", replace(`"revision": 9`, `"revision": 9, "status": "pending"`), `duplicate key "status"`},
		{"hash of the wrong type", replace(`"password_hash": "`+hash+`",
      "is_admin": true`, `"password_hash": 12,
      "is_admin": true`), `field "password_hash"`},
		{"user not an object", `{"format": "authadmin-users", "version": 1, "users": [1]}`, "users[0]: not a JSON object"},
		{"bad time", replace(`"updated_at": "2025-01-02T03:04:05.5Z"`, `"updated_at": "yesterday"`), `updated_at: "yesterday" is not an RFC 3339 time`},
		{"invalid UTF-8", replace(`"bob@example.com"`, "\"bob\xff@example.com\""), "not valid UTF-8 at byte " + strconv.Itoa(strings.Index(validFile, "bob@example.com")+3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "users.json")
			writeFile(t, path, tc.content)
			for range 2 { // the failed Open releases its lock: the second gives the same error
				s, err := jsonstore.Open(path)
				if err == nil {
					s.Close()
					t.Fatalf("Open succeeded on a file with %s", tc.name)
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, "jsonstore: open "+path+": ") || !strings.Contains(msg, tc.wantErr) {
					t.Errorf("Open error = %q; want the prefix %q and %q", msg, "jsonstore: open "+path+": ", tc.wantErr)
				}
				if strings.Contains(msg, hash) {
					t.Errorf("Open error quotes a password hash: %q", msg)
				}
				if errors.Is(err, jsonstore.ErrLocked) {
					t.Errorf("Open error wraps ErrLocked: %v", err)
				}
				// The error says what to do.
				advice := "; repair the file or restore it from a backup (Open never replaces a file it cannot read)"
				if tc.name == "future version" {
					advice = "upgrade the program, or restore a backup in this format"
				}
				if !strings.HasSuffix(msg, advice) {
					t.Errorf("Open error = %q; want it to end with %q", msg, advice)
				}
			}
			if got := readFile(t, path); string(got) != tc.content {
				t.Errorf("Open changed the file to:\n%s", got)
			}
		})
	}
}

// TestOpenMissingFile creates an empty user file at Open, with mode 0600.
func TestOpenMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	s := open(t, path)
	list, err := s.ListPending(context.Background(), 10, 0)
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListPending on a new store = %#v, %v; want an empty slice", list, err)
	}
	checkMode(t, path, 0o600)
	const want = "{\n  \"format\": \"authadmin-users\",\n  \"version\": 1,\n  \"users\": []\n}\n"
	if got := string(readFile(t, path)); got != want {
		t.Errorf("new file:\n%s\nwant:\n%s", got, want)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("missing directory", func(t *testing.T) {
		_, err := jsonstore.Open(filepath.Join(dir, "nope", "users.json"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "directory "+filepath.Join(dir, "nope")+" does not exist") {
			t.Errorf("Open error = %v; want one saying the directory does not exist", err)
		}
	})
	t.Run("parent is a file", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "file"), "x")
		if _, err := jsonstore.Open(filepath.Join(dir, "file", "users.json")); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("Open error = %v; want one saying the parent is not a directory", err)
		}
	})
	t.Run("path is a directory", func(t *testing.T) {
		if err := os.Mkdir(filepath.Join(dir, "d.json"), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := jsonstore.Open(filepath.Join(dir, "d.json")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Open error = %v; want one saying it is not a regular file", err)
		}
	})
	t.Run("path is a symbolic link", func(t *testing.T) {
		target := filepath.Join(dir, "target.json")
		writeFile(t, target, validFile)
		if err := os.Symlink(target, filepath.Join(dir, "link.json")); err != nil {
			t.Skip("no symbolic links:", err)
		}
		if _, err := jsonstore.Open(filepath.Join(dir, "link.json")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Open error = %v; want one saying it is not a regular file", err)
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if _, err := jsonstore.Open(""); err == nil {
			t.Error("Open(\"\") succeeded")
		}
	})
}

// TestOpenRemovesTempFiles deletes what a crashed write left behind, and
// nothing else.
func TestOpenRemovesTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	writeFile(t, path, validFile)
	writeFile(t, filepath.Join(dir, ".users.json.tmp-123456"), validFile[:100])
	writeFile(t, filepath.Join(dir, ".other.json.tmp-123456"), "not ours")
	open(t, path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), ".other.json.tmp-123456 users.json users.json.lock"; got != want {
		t.Errorf("directory after Open: %s; want %s", got, want)
	}
}

// TestLock refuses a second Store on the same file in the same process,
// whatever the spelling of the path, until the first is closed.
func TestLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	s, err := jsonstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(dir, ".", "x", "..", "users.json")} {
		s2, err := jsonstore.Open(p)
		if !errors.Is(err, jsonstore.ErrLocked) {
			if err == nil {
				s2.Close()
			}
			t.Fatalf("second Open(%s) error = %v; want ErrLocked", p, err)
		}
		if !strings.Contains(err.Error(), path+".lock") {
			t.Errorf("ErrLocked error %q does not name the lock file", err)
		}
		if want := "close that Store, or stop the process, first"; runtime.GOOS == "linux" && !strings.Contains(err.Error(), want) {
			t.Errorf("ErrLocked error %q does not say what to do (%q)", err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := jsonstore.Open(path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

// TestEnsureAdminAfterRestart is the restart of the security fix: an
// administrator was seeded and the process restarts (a new Store on the
// same file) configured with another admin email. Nobody is seeded and the
// file is unchanged.
func TestEnsureAdminAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.json")
	seed := func(s *jsonstore.Store, email string) bool {
		t.Helper()
		created, err := s.EnsureAdmin(ctx, domain.User{
			Email: email, PasswordHash: hash, IsAdmin: true, Status: domain.StatusApproved,
			MustChangePassword: true, CreatedAt: t0, UpdatedAt: t0,
		})
		if err != nil {
			t.Fatalf("EnsureAdmin(%q): %v", email, err)
		}
		return created
	}
	s := open(t, path)
	if !seed(s, "admin@admin.com") {
		t.Fatal("EnsureAdmin on a new file = false; want true")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)

	s = open(t, path)
	if seed(s, "boss@corp.example") {
		t.Error("EnsureAdmin of another email after a restart = true; want false: an administrator exists")
	}
	if _, err := s.FindByEmail(ctx, "boss@corp.example"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("FindByEmail(boss@corp.example) = %v; want ErrUserNotFound", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("an EnsureAdmin that seeded nobody changed the file")
	}
}

// TestClosed checks that every method fails with ErrClosed after Close and
// that Close may be called twice.
func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := jsonstore.Open(filepath.Join(t.TempDir(), "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	u := domain.User{Email: "a@example.com", Status: domain.StatusPending}
	if err := s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, errFind := s.FindByEmail(ctx, u.Email)
	errCreate := s.Create(ctx, domain.User{Email: "b@example.com", Status: domain.StatusPending})
	u.Revision = 1
	errUpdate := s.Update(ctx, u)
	_, errList := s.ListPending(ctx, 1, 0)
	_, errEnsure := s.EnsureAdmin(ctx, domain.User{Email: "c@example.com", Status: domain.StatusApproved})
	for name, err := range map[string]error{"FindByEmail": errFind, "Create": errCreate, "Update": errUpdate, "ListPending": errList, "EnsureAdmin": errEnsure} {
		if !errors.Is(err, jsonstore.ErrClosed) {
			t.Errorf("%s after Close: error = %v; want ErrClosed", name, err)
		}
	}
}

// TestContextDone checks that a done context fails every method with its
// error and writes nothing.
func TestContextDone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	s := open(t, path)
	u := domain.User{Email: "a@example.com", Status: domain.StatusPending}
	if err := s.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, errFind := s.FindByEmail(ctx, u.Email)
	errCreate := s.Create(ctx, domain.User{Email: "b@example.com", Status: domain.StatusPending})
	u.Revision = 1
	errUpdate := s.Update(ctx, u)
	_, errList := s.ListPending(ctx, 1, 0)
	_, errEnsure := s.EnsureAdmin(ctx, domain.User{Email: "c@example.com", Status: domain.StatusApproved})
	for name, err := range map[string]error{"FindByEmail": errFind, "Create": errCreate, "Update": errUpdate, "ListPending": errList, "EnsureAdmin": errEnsure} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v; want context.Canceled", name, err)
		}
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("a call with a cancelled context changed the file")
	}
}

// TestRefusesUnstorableUsers checks that a user the file could not hold
// faithfully is refused before anything is written.
func TestRefusesUnstorableUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.json")
	s := open(t, path)
	before := readFile(t, path)
	ok := domain.User{Email: "a@example.com", PasswordHash: hash, Status: domain.StatusPending, CreatedAt: t0, UpdatedAt: t0}
	cases := []struct {
		name   string
		edit   func(u *domain.User)
		target error
	}{
		{"empty email", func(u *domain.User) { u.Email = "  " }, domain.ErrInvalidEmail},
		{"hash not UTF-8", func(u *domain.User) { u.PasswordHash = hash + "\xff" }, domain.ErrValidation},
		{"zero status", func(u *domain.User) { u.Status = "" }, domain.ErrValidation},
		{"unknown status", func(u *domain.User) { u.Status = "banned" }, domain.ErrValidation},
		{"year 10000", func(u *domain.User) { u.UpdatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, domain.ErrValidation},
	}
	for _, tc := range cases {
		u := ok
		tc.edit(&u)
		errCreate := s.Create(ctx, u)
		_, errEnsure := s.EnsureAdmin(ctx, u)
		for _, err := range []error{errCreate, errEnsure} {
			if !errors.Is(err, tc.target) || !errors.Is(err, domain.ErrValidation) {
				t.Errorf("%s: error = %v; want one wrapping %v", tc.name, err, tc.target)
			}
			if err != nil && strings.Contains(err.Error(), hash) {
				t.Errorf("%s: error quotes the password hash: %v", tc.name, err)
			}
		}
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("a refused write changed the file")
	}
	if err := s.Create(ctx, ok); err != nil {
		t.Fatal(err)
	}
	u := ok
	u.Revision, u.Status = 1, "gone"
	if err := s.Update(ctx, u); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("Update to an unknown status: error = %v; want ErrValidation", err)
	}
	if got, err := s.FindByEmail(ctx, ok.Email); err != nil || got.Status != domain.StatusPending || got.Revision != 1 {
		t.Errorf("after the refused Update: %+v, %v", got, err)
	}
}

func TestListPendingBadPage(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "users.json"))
	for _, p := range [][2]int{{0, 0}, {-1, 0}, {1, -1}} {
		if _, err := s.ListPending(context.Background(), p[0], p[1]); !errors.Is(err, domain.ErrInvalidPage) {
			t.Errorf("ListPending(%d, %d): error = %v; want ErrInvalidPage", p[0], p[1], err)
		}
	}
}
