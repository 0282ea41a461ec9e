package httpauth_test

import (
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/httpauth/httpauthtest"
)

// TestContract runs the HTTP contract suite against the net/http
// transport.
func TestContract(t *testing.T) {
	contracttest.Run(t, "nethttp", httpauthtest.Start)
}
