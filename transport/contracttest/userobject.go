package contracttest

import (
	"net/http"
	"testing"
)

// userObject checks the user object's shape on every endpoint that returns
// one. (Every response the suite receives is also checked for keys naming a
// password or hash.)
func (s suite) userObject(t *testing.T) {
	s.cases(t, []testCase{
		{"exact keys on every endpoint", func(t *testing.T, c *client) {
			admin := c.adminToken()
			r := c.postJSON("/register", registerBody("ann@example.com"), "")
			c.mustStatus(r, http.StatusCreated)
			c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "pending"})
			c.register("bob@example.com")
			c.pendingEmails(admin, "")

			r = c.postJSON("/approve", map[string]string{"email": "ann@example.com"}, admin)
			c.mustStatus(r, http.StatusOK)
			c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "approved"})

			r = c.postJSON("/reject", map[string]string{"email": "bob@example.com"}, admin)
			c.mustStatus(r, http.StatusOK)
			c.checkUser(r, c.object(r), wantUser{email: "bob@example.com", status: "rejected"})

			r = c.get(c.auth("/me"), c.login("ann@example.com", userPassword))
			c.mustStatus(r, http.StatusOK)
			c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "approved"}, "claims")
		}},
	})
}
