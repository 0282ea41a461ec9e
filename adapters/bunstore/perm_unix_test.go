//go:build unix

package bunstore_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// withUmask runs f with the process's umask set to mask (022, the usual
// one, under which files are made readable by everyone unless their maker
// asks otherwise), then restores it.
func withUmask(mask int, f func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	f()
}

// TestSQLiteFilesPrivate checks that a SQLite database Open creates, and
// the -wal and -shm files SQLite makes next to it, are readable and
// writable by their owner only: they hold password hashes.
func TestSQLiteFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	withUmask(0o022, func() {
		s := mustOpen(t, "sqlite://"+path)
		if err := s.Create(context.Background(), testUser("ann@example.com", domain.StatusPending, time.Now())); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				continue
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s has mode %v; want -rw------- (0600)", filepath.Base(p), perm)
			}
		}
	})
}

// TestSQLiteWarnsAboutOpenFile checks that Open on an existing SQLite file
// that others may read logs a warning naming it, and leaves its mode
// alone; a private file gives no warning.
func TestSQLiteWarnsAboutOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	withUmask(0o022, func() {
		s, err := bunstore.Open(context.Background(), "sqlite://"+path, quiet)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	open := func() string {
		var logs bytes.Buffer
		s, err := bunstore.Open(context.Background(), "sqlite://"+path, bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		return logs.String()
	}
	if logs := open(); strings.Contains(logs, "WARN") {
		t.Errorf("Open of a private file logged %q; want no warning", logs)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	logs := open()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "chmod 600") || !strings.Contains(logs, path) {
		t.Errorf("Open of a file others may read logged %q; want a warning naming the file", logs)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != fs.FileMode(0o644) {
		t.Errorf("after Open the file's mode is %v (%v); want it left at 0644", info.Mode().Perm(), err)
	}
}
