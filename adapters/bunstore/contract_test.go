package bunstore_test

import (
	"testing"

	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/httpauth/httpauthtest"
)

// TestContract runs the HTTP contract suite over net/http with users in
// bunstore, on every engine, so the contract is checked on this store too.
func TestContract(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			if e.name == "postgres" {
				needPostgres(t)
			}
			contracttest.Run(t, "nethttp+bunstore/"+e.name, httpauthtest.Start,
				contracttest.WithStore(func(t *testing.T) ports.UserRepository { return e.open(t) }))
		})
	}
}
