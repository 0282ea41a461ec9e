package contracttest

import (
	"net/http"
	"testing"
)

// customPrefix checks that the routes move with Config.Prefix.
func (s suite) customPrefix(t *testing.T) {
	t.Parallel()
	const prefix = "/api/v1/auth"
	c := s.server(t, options{prefix: prefix})
	// Not served under the default prefix.
	for _, r := range []*response{
		c.request(http.MethodPost, "/auth/register", "application/json", registerBody("ann@example.com"), "", false),
		c.request(http.MethodPost, "/auth/login", "application/json", `{"email": "boss@example.com", "password": "boss-password-1"}`, "", false),
	} {
		if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			c.errorf(r, "status %d, want 404 (the prefix is %s)", r.status, prefix)
		}
	}
	r := c.postJSON("/register", registerBody("ann@example.com"), "")
	if !c.wantStatus(r, http.StatusCreated) {
		t.FailNow()
	}
	admin := c.adminToken()
	c.wantEmails(prefix+"/pending", c.pendingEmails(admin, ""), "ann@example.com")
	c.setStatus("/approve", admin, "ann@example.com")
	tok := c.login("ann@example.com", userPassword)
	c.wantStatus(c.get(prefix+"/me", tok), http.StatusOK)
	c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
	c.wantStatus(c.get("/probe/admin", admin), http.StatusOK)
}
