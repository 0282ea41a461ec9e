package bunstore_test

import (
	"testing"

	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/ports/storetest"
)

// TestConformance runs ports/storetest, unchanged, on every engine.
func TestConformance(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			if e.name == "postgres" {
				needPostgres(t)
			}
			storetest.Run(t, func(t *testing.T) ports.UserRepository { return e.open(t) })
		})
	}
}
