package bunstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// TestQueryPlans checks that the lookup by email and the pending listing are
// served by indexes (no full scan, no sort), so that their cost does not grow
// with the number of users. The benchmarks show the same with 1k and 100k
// users stored.
func TestQueryPlans(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			s := e.open(t)
			for _, email := range []string{"a@example.com", "b@example.com"} {
				if err := s.Create(ctx, testUser(email, domain.StatusPending, time.Now())); err != nil {
					t.Fatal(err)
				}
			}
			find, list := s.QueriesForTest()
			conn, err := s.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()

			explain := "EXPLAIN QUERY PLAN "
			findWant := []string{"SEARCH " + s.Table() + " USING PRIMARY KEY (email=?)"}
			listWant := []string{s.Table() + "_pending_idx"}
			refuse := []string{"TEMP B-TREE"}
			if e.name == "postgres" {
				// Tiny tables make a sequential scan (or a bitmap scan and
				// a sort) the cheapest plan; rule those out to see whether
				// an index can serve the query in order.
				for _, set := range []string{"enable_seqscan", "enable_bitmapscan"} {
					if _, err := conn.ExecContext(ctx, "SET "+set+" = off"); err != nil {
						t.Fatal(err)
					}
					defer conn.ExecContext(context.WithoutCancel(ctx), "RESET "+set)
				}
				explain = "EXPLAIN "
				findWant = []string{"Index", s.Table() + "_pkey"}
				refuse = []string{"Sort", "Seq Scan"}
			}
			for _, q := range []struct {
				name, sql string
				args      []any
				want      []string
			}{
				{"FindByEmail", find, []any{"a@example.com"}, findWant},
				{"ListPending", list, []any{10, 0}, listWant},
			} {
				var lines []string
				rows, err := conn.QueryContext(ctx, explain+q.sql, q.args...)
				if err != nil {
					t.Fatalf("explain %s: %v", q.name, err)
				}
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					// The plan's text is the last column on both engines.
					lines = append(lines, toString(vals[len(vals)-1]))
				}
				rows.Close()
				plan := strings.Join(lines, "\n")
				for _, w := range q.want {
					if !strings.Contains(plan, w) {
						t.Errorf("%s plan lacks %q:\n%s", q.name, w, plan)
					}
				}
				for _, r := range refuse {
					if strings.Contains(plan, r) {
						t.Errorf("%s plan has %q:\n%s", q.name, r, plan)
					}
				}
				if e.name != "postgres" && strings.Contains(plan, "SCAN "+s.Table()) && !strings.Contains(plan, "USING INDEX") {
					t.Errorf("%s plan scans the table:\n%s", q.name, plan)
				}
				t.Logf("%s plan:\n%s", q.name, plan)
			}
		})
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}
