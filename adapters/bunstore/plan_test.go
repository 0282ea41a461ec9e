package bunstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/authadmin/authadmin/domain"
)

// planUsers is how many users TestQueryPlans seeds: enough that neither
// planner would pick an index by default on a table this size unless the
// index is the cheaper plan (PostgreSQL reads a table of a few pages
// sequentially).
const planUsers = 20_000

// TestQueryPlans checks that every statement of the login and Authenticate
// paths (lookupStatements: FindByEmail, and Update for Login's rehash) is a
// single-row lookup through the primary key, and that ListPending reads the
// pending index in order (no scan, no sort), and that EnsureAdmin looks for
// an administrator in the index of administrators, on a table of planUsers users
// of which one in ten is pending, with ANALYZE run on PostgreSQL (seedUsers
// runs VACUUM ANALYZE, as autovacuum would after a bulk load) and no
// planner setting changed. So their cost does not grow with the number of
// users; BenchmarkLookupScale and BenchmarkServiceScale measure it, and
// check the lookup plans again on each population they seed (up to 1M users).
// Run with -v to see the plans.
func TestQueryPlans(t *testing.T) {
	checks := append(slices.Clone(lookupStatements),
		planCheck{"ListPending", "listPending", func(domain.User) []any { return []any{10, 0} }, "pending"},
		planCheck{"EnsureAdmin", "ensureAdmin", func(u domain.User) []any {
			return []any{"new-admin@example.com", u.PasswordHash, true, "approved", true, u.CreatedAt, u.UpdatedAt, 0, "write-id"}
		}, "admin"})
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			s := e.open(t)
			if err := seedUsers(ctx, s, planUsers, false); err != nil {
				t.Fatal(err)
			}
			if err := checkPlansLog(ctx, s, checks, t.Logf); err != nil {
				t.Error(err)
			}
		})
	}
}
