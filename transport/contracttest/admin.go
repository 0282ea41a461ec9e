package contracttest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/usecase"
)

// pendingEmails lists GET /auth/pending with query as admin and returns the
// emails, checking every element is a pending user object.
func (c *client) pendingEmails(admin, query string) []string {
	c.t.Helper()
	r := c.get(c.auth("/pending")+query, admin)
	c.mustStatus(r, http.StatusOK)
	var emails []string
	for _, u := range c.array(r) {
		email, _ := u["email"].(string)
		c.checkUser(r, u, wantUser{email: email, status: "pending"})
		emails = append(emails, email)
	}
	return emails
}

// wantEmails compares two lists of emails.
func (c *client) wantEmails(what string, got []string, want ...string) {
	c.t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		c.t.Errorf("%s: GET %s: emails %v, want %v", c.name, what, got, want)
	}
}

// pending checks GET /auth/pending.
func (s suite) pending(t *testing.T) {
	s.cases(t, []testCase{
		{"200 array oldest first", func(t *testing.T, c *client) {
			admin := c.adminToken()
			for _, e := range []string{"carol@example.com", "alice@example.com", "bob@example.com", "dave@example.com"} {
				c.register(e)
			}
			c.setStatus("/approve", admin, "dave@example.com")
			c.wantEmails("pending", c.pendingEmails(admin, ""), "carol@example.com", "alice@example.com", "bob@example.com")
		}},
		{"200 [] when none", func(t *testing.T, c *client) {
			r := c.get(c.auth("/pending"), c.adminToken())
			if c.wantStatus(r, http.StatusOK) && strings.TrimSpace(string(r.raw)) != "[]" {
				c.errorf(r, "body %s, want []", snippet(r.raw))
			}
		}},
		{"limit and offset", func(t *testing.T, c *client) {
			admin := c.adminToken()
			for _, e := range []string{"carol@example.com", "alice@example.com", "bob@example.com"} {
				c.register(e)
			}
			c.wantEmails("pending?limit=2", c.pendingEmails(admin, "?limit=2"), "carol@example.com", "alice@example.com")
			c.wantEmails("pending?limit=2&offset=2", c.pendingEmails(admin, "?limit=2&offset=2"), "bob@example.com")
			c.wantEmails("pending?offset=1", c.pendingEmails(admin, "?offset=1"), "alice@example.com", "bob@example.com")
			c.wantEmails("pending?limit=1000&offset=0", c.pendingEmails(admin, "?limit=1000&offset=0"), "carol@example.com", "alice@example.com", "bob@example.com")
			r := c.get(c.auth("/pending")+"?offset=3", admin)
			if c.wantStatus(r, http.StatusOK) && strings.TrimSpace(string(r.raw)) != "[]" {
				c.errorf(r, "body %s, want []", snippet(r.raw))
			}
		}},
		{"422 limit or offset out of range", func(t *testing.T, c *client) {
			admin := c.adminToken()
			for _, q := range []string{"?limit=0", "?limit=1001", "?limit=-1", "?limit=abc", "?offset=-1"} {
				c.wantStatus(c.get(c.auth("/pending")+q, admin), http.StatusUnprocessableEntity)
			}
		}},
		{"403 non-admin", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			c.wantStatus(c.get(c.auth("/pending"), tok), http.StatusForbidden)
			c.wantStatus(c.get(c.auth("/pending")+"?limit=0", tok), http.StatusForbidden)
			c.wantStatus(c.get(c.auth("/pending")+"?limit=abc", tok), http.StatusForbidden)
		}},
		{"401 no token", func(t *testing.T, c *client) {
			c.want401(c.get(c.auth("/pending"), ""), false)
		}},
	})
}

// approveReject checks POST /auth/approve and POST /auth/reject.
func (s suite) approveReject(t *testing.T) {
	s.cases(t, []testCase{
		{"200 approve, twice", func(t *testing.T, c *client) {
			admin := c.adminToken()
			c.register("ann@example.com")
			for range 2 {
				r := c.postJSON("/approve", map[string]string{"email": "ann@example.com"}, admin)
				if c.wantStatus(r, http.StatusOK) {
					c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "approved"})
				}
			}
			c.wantEmails("pending", c.pendingEmails(admin, ""))
		}},
		{"approved user can log in", func(t *testing.T, c *client) {
			c.register("ann@example.com")
			c.wantStatus(c.loginResp("ann@example.com", userPassword), http.StatusForbidden)
			c.setStatus("/approve", c.adminToken(), " ANN@example.com")
			c.checkTokenResponse(c.loginResp("ann@example.com", userPassword), "ann@example.com")
		}},
		{"200 reject", func(t *testing.T, c *client) {
			admin := c.adminToken()
			c.register("ann@example.com")
			c.register("bob@example.com")
			c.setStatus("/approve", admin, "bob@example.com")
			for _, e := range []string{"ann@example.com", "bob@example.com", "bob@example.com"} {
				r := c.postJSON("/reject", map[string]string{"email": e}, admin)
				if c.wantStatus(r, http.StatusOK) {
					c.checkUser(r, c.object(r), wantUser{email: e, status: "rejected"})
				}
			}
			c.wantEmails("pending", c.pendingEmails(admin, ""))
		}},
		{"rejected user gets 403 at login", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			c.setStatus("/reject", c.adminToken(), "ann@example.com")
			c.wantStatus(c.loginResp("ann@example.com", userPassword), http.StatusForbidden)
		}},
		{"404 no such user", func(t *testing.T, c *client) {
			admin := c.adminToken()
			c.wantStatus(c.postJSON("/approve", map[string]string{"email": "nobody@example.com"}, admin), http.StatusNotFound)
			c.wantStatus(c.postJSON("/reject", map[string]string{"email": "nobody@example.com"}, admin), http.StatusNotFound)
		}},
		{"409 reject an admin", func(t *testing.T, c *client) {
			admin := c.adminToken()
			c.wantStatus(c.postJSON("/reject", map[string]string{"email": adminEmail}, admin), http.StatusConflict)
			c.wantStatus(c.get(c.auth("/pending"), admin), http.StatusOK)
		}},
		{"403 non-admin", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			c.register("bob@example.com")
			c.wantStatus(c.postJSON("/approve", map[string]string{"email": "bob@example.com"}, tok), http.StatusForbidden)
			c.wantStatus(c.postJSON("/reject", map[string]string{"email": "bob@example.com"}, tok), http.StatusForbidden)
			c.wantStatus(c.postJSON("/reject", map[string]string{"email": adminEmail}, tok), http.StatusForbidden)
			// The caller is checked before the body: a non-admin learns
			// nothing from the answer to a malformed request.
			c.wantStatus(c.postJSON("/approve", `{"email": 1}`, tok), http.StatusForbidden)
			c.wantStatus(c.postJSON("/approve", `{}`, tok), http.StatusForbidden)
			c.wantEmails("pending", c.pendingEmails(c.adminToken(), ""), "bob@example.com")
		}},
		{"401 no token", func(t *testing.T, c *client) {
			c.want401(c.postJSON("/approve", map[string]string{"email": "ann@example.com"}, ""), false)
			c.want401(c.postJSON("/reject", map[string]string{"email": "ann@example.com"}, ""), false)
		}},
	})
}

// defaultAdmin checks the "Default admin" section: an admin seeded with the
// built-in password may log in, read /auth/me and change the password, but
// every admin endpoint, the application's RequireAdmin routes included,
// answers 403 until it has.
func (s suite) defaultAdmin(t *testing.T) {
	t.Parallel()
	c := s.server(t, options{defaultAdmin: true})
	email, password := usecase.DefaultAdminEmail, usecase.DefaultAdminPassword
	tok := c.login(email, password)
	r := c.get(c.auth("/me"), tok)
	if c.wantStatus(r, http.StatusOK) {
		c.checkUser(r, c.object(r), wantUser{email: email, status: "approved", admin: true}, "claims")
	}
	c.register("ann@example.com")
	for _, r := range []*response{
		c.get(c.auth("/pending"), tok),
		c.postJSON("/approve", map[string]string{"email": "ann@example.com"}, tok),
		c.postJSON("/reject", map[string]string{"email": "ann@example.com"}, tok),
		c.get("/probe/admin", tok), // the application's admin routes too
	} {
		if c.wantStatus(r, http.StatusForbidden) && !strings.Contains(strings.ToLower(detail(r)), "password") {
			c.errorf(r, "detail %q does not say to change the password first", detail(r))
		}
	}
	body := map[string]string{"current_password": password, "new_password": "a-new-admin-pass"}
	c.mustStatus(c.postJSON("/change-password", body, tok), http.StatusNoContent)
	c.want401(c.get(c.auth("/pending"), tok), true)
	fresh := c.login(email, "a-new-admin-pass")
	c.wantStatus(c.get("/probe/admin", fresh), http.StatusOK)
	c.wantEmails("pending", c.pendingEmails(fresh, ""), "ann@example.com")
	c.setStatus("/approve", fresh, "ann@example.com")
}
