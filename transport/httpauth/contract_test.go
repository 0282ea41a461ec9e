package httpauth_test

import (
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
)

// TestContract runs the HTTP contract suite against the net/http
// transport (contracttest.NetHTTP mounts it with httpauth.Setup).
func TestContract(t *testing.T) {
	contracttest.Run(t, "nethttp", contracttest.NetHTTP)
}
