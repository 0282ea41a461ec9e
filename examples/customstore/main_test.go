//go:build unix

package main

import (
	"testing"

	"github.com/authadmin/authadmin/examples/internal/walktest"
)

// TestWorkflow builds this example, runs it and walks the six-step workflow
// over HTTP on the custom store, then stops it with SIGTERM. The store is in
// memory, so there is no database to check afterwards.
func TestWorkflow(t *testing.T) {
	walktest.Run(t, "customstore", ".", walktest.Options{NoDatabase: true})
}

// TestShutdown stops this example with SIGTERM while a POST /auth/register
// is in flight: completed within the grace period it is answered and the
// exit status is 0; left unfinished it is cut off when the (shortened)
// grace period runs out and the exit status is 1. The store is in memory:
// there is no file to check afterwards.
func TestShutdown(t *testing.T) {
	walktest.Shutdown(t, "customstore", ".", walktest.Options{NoDatabase: true})
}
