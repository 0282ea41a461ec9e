package jsonstore_test

import (
	"path/filepath"
	"testing"

	"github.com/authadmin/authadmin/adapters/jsonstore"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/httpauth/httpauthtest"
)

// TestContract runs the HTTP contract suite over net/http with users in a
// JSON file, so the contract is checked on this store too.
func TestContract(t *testing.T) {
	contracttest.Run(t, "nethttp+jsonstore", httpauthtest.Start, contracttest.WithStore(func(t *testing.T) ports.UserRepository {
		s, err := jsonstore.Open(filepath.Join(t.TempDir(), "users.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}
