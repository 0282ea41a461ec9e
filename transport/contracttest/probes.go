package contracttest

import (
	"net/http"
	"strconv"
	"testing"
)

// probes checks the transport's RequireLogin and RequireAdmin through the
// probe routes Start mounts.
func (s suite) probes(t *testing.T) {
	s.cases(t, []testCase{
		{"login 200 with sub and company_id", func(t *testing.T, c *client) {
			r := c.get("/probe/login", c.approvedUser("ann@example.com"))
			c.mustStatus(r, http.StatusOK)
			obj := c.object(r)
			if got := obj["sub"]; got != "ann@example.com" {
				c.errorf(r, "sub %v, want %q", got, "ann@example.com")
			}
			if n, ok := number(obj["company_id"]); !ok || n.String() != strconv.FormatInt(companyID, 10) {
				c.errorf(r, "company_id %v, want exactly %d", obj["company_id"], companyID)
			}
			if got := obj["is_admin"]; got != false {
				c.errorf(r, "is_admin %v, want false", got)
			}
		}},
		{"login 200 for the admin", func(t *testing.T, c *client) {
			r := c.get("/probe/login", c.adminToken())
			c.mustStatus(r, http.StatusOK)
			obj := c.object(r)
			if got := obj["sub"]; got != adminEmail {
				c.errorf(r, "sub %v, want %q", got, adminEmail)
			}
			if got, ok := obj["company_id"]; !ok || got != nil {
				c.errorf(r, "company_id %v, want null", got)
			}
			if got := obj["is_admin"]; got != true {
				c.errorf(r, "is_admin %v, want true", got)
			}
		}},
		{"login 401 without or with a bad token", func(t *testing.T, c *client) {
			c.want401(c.get("/probe/login", ""), false)
			c.want401(c.get("/probe/login", "not-a-jwt"), true)
		}},
		{"admin 403 for a non-admin", func(t *testing.T, c *client) {
			c.wantStatus(c.get("/probe/admin", c.approvedUser("ann@example.com")), http.StatusForbidden)
		}},
		{"admin 200 for the admin", func(t *testing.T, c *client) {
			r := c.get("/probe/admin", c.adminToken())
			if c.wantStatus(r, http.StatusOK) {
				if got := c.object(r)["ok"]; got != true {
					c.errorf(r, "ok %v, want true", got)
				}
			}
		}},
		{"admin 401 without a token", func(t *testing.T, c *client) {
			c.want401(c.get("/probe/admin", ""), false)
		}},
	})
}
