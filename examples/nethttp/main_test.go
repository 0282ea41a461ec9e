//go:build unix

package main

import (
	"testing"

	"github.com/authadmin/authadmin/examples/internal/walktest"
)

// TestWorkflow builds this example, runs it on a fresh SQLite file and
// walks the six-step workflow over HTTP, then stops it with SIGTERM.
func TestWorkflow(t *testing.T) {
	walktest.Run(t, "nethttp", ".", walktest.Options{})
}

// TestShutdown stops this example with SIGTERM while a POST /auth/register
// is in flight: completed within the grace period it is answered and the
// exit status is 0; left unfinished it is cut off when the (shortened)
// grace period runs out and the exit status is 1, with the store intact.
func TestShutdown(t *testing.T) {
	walktest.Shutdown(t, "nethttp", ".", walktest.Options{})
}
