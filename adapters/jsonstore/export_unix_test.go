//go:build unix && !aix && (!solaris || illumos)

package jsonstore

import (
	"os"
	"syscall"
)

// CrashSteps names the steps of a write, in order, for WithCrashAt.
var CrashSteps = steps

// WithCrashAt makes the process kill itself with SIGKILL at step of its
// next write (see steps: "write" dies with half the data written, "close"
// after closing, every other step just before it), to test what a crash
// leaves on disk. Tests only.
func WithCrashAt(step string) Option {
	return withFS(&faultFS{step: step, times: 1, crash: func() {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never return: the signal is on its way
	}})
}
