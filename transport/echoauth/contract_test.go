package echoauth_test

import (
	"testing"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/echoauth/echoauthtest"
)

// TestContract runs the HTTP contract suite against the Echo transport.
func TestContract(t *testing.T) {
	contracttest.Run(t, "echo", echoauthtest.Start)
}
