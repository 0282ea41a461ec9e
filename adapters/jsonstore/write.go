package jsonstore

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileSystem is the seam every write goes through. Production code uses
// osFS; internal tests substitute one that fails at a chosen step.
type fileSystem interface {
	// createTemp creates a new file in dir, named by pattern as
	// os.CreateTemp does, with exactly the permission bits perm.
	createTemp(dir, pattern string, perm fs.FileMode) (tempFile, error)
	rename(oldpath, newpath string) error
	remove(name string) error
	// syncDir flushes the directory dir, making a rename in it durable.
	syncDir(dir string) error
}

// tempFile is the part of *os.File a write uses.
type tempFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// osFS is the real file system.
type osFS struct{}

func (osFS) createTemp(dir, pattern string, perm fs.FileMode) (tempFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	// CreateTemp uses 0600 less the umask; set the mode exactly.
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

func (osFS) rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) remove(name string) error             { return os.Remove(name) }
func (osFS) syncDir(dir string) error             { return syncDir(dir) }

// tempPrefix is how temporary files of this store's file begin.
func (s *Store) tempPrefix() string { return "." + filepath.Base(s.path) + ".tmp-" }

// writeFile atomically replaces the file by data: write a temporary file in
// the same directory, fsync it, close it, rename it over the file, fsync the
// directory. On an error before the rename the temporary file is removed and
// the file is untouched. replaced reports that the rename happened, i.e.
// that only the directory fsync failed and the file now holds data, which
// may or may not survive a crash.
func (s *Store) writeFile(data []byte) (replaced bool, err error) {
	f, err := s.fs.createTemp(s.dir, s.tempPrefix()+"*", s.mode)
	if err != nil {
		return false, fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	step := "write"
	if _, err = f.Write(data); err == nil {
		step = "fsync"
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		s.fs.remove(tmp)
		return false, fmt.Errorf("%s %s: %w", step, tmp, err)
	}
	if err := f.Close(); err != nil {
		s.fs.remove(tmp)
		return false, fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := s.fs.rename(tmp, s.path); err != nil {
		s.fs.remove(tmp)
		return false, fmt.Errorf("rename %s: %w", tmp, err)
	}
	if err := s.fs.syncDir(s.dir); err != nil {
		return true, fmt.Errorf("fsync directory %s: %w", s.dir, err)
	}
	return false, nil
}

// removeTempFiles deletes temporary files a crashed writer left behind. It
// runs in Open with the lock held, so no other Store is writing them.
func (s *Store) removeTempFiles() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return // harmless: leftovers only take space
	}
	prefix := s.tempPrefix()
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix) {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}
