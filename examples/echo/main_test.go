//go:build unix

package main

import (
	"testing"

	"github.com/authadmin/authadmin/examples/internal/walktest"
)

// TestWorkflow builds this example, runs it on a fresh SQLite file and
// walks the six-step workflow over HTTP, then stops it with SIGTERM.
func TestWorkflow(t *testing.T) {
	walktest.Run(t, "echo", ".", walktest.Options{})
}
