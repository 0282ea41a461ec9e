//go:build !unix || aix || (solaris && !illumos)

package jsonstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// fileLock is a lock file created exclusively and removed on release. After
// a crash it remains and must be removed by hand.
type fileLock struct {
	f    *os.File
	path string
}

// acquireLock creates the lock file at path, failing with ErrLocked if it
// exists. The file records the owner's process id for whoever finds it.
func acquireLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w: lock file %s exists; if no process uses the store, a crash left it behind: delete it", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f, path: path}, nil
}

// release closes and removes the lock file.
func (l *fileLock) release() error {
	err := l.f.Close()
	if rerr := os.Remove(l.path); err == nil {
		err = rerr
	}
	return err
}
