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
