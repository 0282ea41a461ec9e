//go:build unix && !aix && (!solaris || illumos)

package jsonstore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an flock(2) on an open lock file. The kernel releases it when
// the file is closed or the process ends, so it cannot go stale. flock
// locks belong to an open file description, so two Opens in one process
// exclude each other as two processes do.
type fileLock struct{ f *os.File }

// acquireLock opens (creating if needed) the lock file at path and locks it
// exclusively without waiting. The lock file is never removed: removing it
// while another process has it open would let a third lock a new file of
// the same name.
func acquireLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: lock file %s is held by another Store, in this or another process; close that Store, or stop the process, first", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// release unlocks and closes the lock file. Closing alone would not do: a
// process being started by another goroutine holds a copy of the descriptor
// (close-on-exec only closes it at exec), and the lock lasts as long as any
// copy does. LOCK_UN releases it at once.
func (l *fileLock) release() error {
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
