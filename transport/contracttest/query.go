package contracttest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// badQueryDetail starts the detail of the 400 for a query string that does
// not parse.
const badQueryDetail = "the query string does not parse"

// badQueryString checks "A query string that does not parse is 400;
// unknown query parameters are ignored" (API.md, conventions for new
// behaviour) on the routes of the contract: a ';' separator or a malformed
// %-escape, which url.ParseQuery refuses, is answered 400 with a problem
// document instead of being dropped, once the caller has passed the
// route's authentication (401 without a token, 403 for a non-admin on an
// admin route, whatever the query).
func badQueryString(t *testing.T, c *client) {
	admin := c.adminToken()
	user := c.approvedUser("ann@example.com")
	want400 := func(r *response) {
		c.t.Helper()
		if !c.wantStatus(r, http.StatusBadRequest) {
			return
		}
		d := detail(r)
		if !strings.HasPrefix(d, badQueryDetail) {
			c.errorf(r, "detail %q, want it to start with %q", d, badQueryDetail)
		}
		// No echo of the query beyond the bad escape.
		for _, echo := range []string{"offset", "secret-value"} {
			if strings.Contains(d, echo) {
				c.errorf(r, "detail %q repeats the query string (%q)", d, echo)
			}
		}
	}
	for _, q := range []string{"limit=5;offset=0", "limit=%zz&offset=0", "offset=0&secret-value%"} {
		want400(c.get(c.auth("/pending")+"?"+q, admin))
		want400(c.get(c.auth("/me")+"?"+q, user))
		want400(c.do(http.MethodPost, c.auth("/register")+"?"+q, "application/json", registerBody("bob@example.com"), ""))
		want400(c.do(http.MethodPost, c.auth("/login")+"?"+q, "application/x-www-form-urlencoded",
			url.Values{"username": {"ann@example.com"}, "password": {userPassword}}, ""))
		want400(c.do(http.MethodPost, c.auth("/change-password")+"?"+q, "application/json",
			`{"current_password": "`+userPassword+`", "new_password": "another-pass-1"}`, user))
		want400(c.do(http.MethodPost, c.auth("/reject")+"?"+q, "application/json", `{"email": "ann@example.com"}`, admin))
	}
	// The refused requests changed nothing.
	wantNotCreated(c, "bob@example.com")
	c.wantStatus(c.get(c.auth("/me"), c.login("ann@example.com", userPassword)), http.StatusOK)

	// Authentication comes first.
	c.want401(c.get(c.auth("/me")+"?a;b", ""), false)
	c.want401(c.get(c.auth("/pending")+"?limit=%zz", ""), false)
	c.wantStatus(c.get(c.auth("/pending")+"?limit=%zz", user), http.StatusForbidden)
	c.wantStatus(c.do(http.MethodPost, c.auth("/approve")+"?a;b", "application/json", `{"email": "ann@example.com"}`, user), http.StatusForbidden)

	// Unknown parameters are ignored; a good query is read.
	c.wantStatus(c.get(c.auth("/me")+"?utm_source=x&flag", user), http.StatusOK)
	c.mustStatus(c.postJSON("/register", registerBody("carl@example.com"), ""), http.StatusCreated)
	all := c.pendingEmails(admin, "")
	r := c.get(c.auth("/pending")+"?limit=%31&utm_source=x&offset=1", admin)
	if c.wantStatus(r, http.StatusOK) && len(all) >= 2 {
		if got := c.array(r); len(got) != 1 || got[0]["email"] != all[1] {
			c.errorf(r, "pending with limit=%%31 (1) and offset=1: %v, want only %s of %v", got, all[1], all)
		}
	}
	if len(all) < 2 {
		c.errorf(r, "pending: %v, want at least bob@example.com and carl@example.com", all)
	}
}
