package fiberauth_test

import (
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
)

// TestContract runs the HTTP contract suite against the Fiber transport.
func TestContract(t *testing.T) {
	contracttest.Run(t, "fiber", fiberauthtest.Start)
}
