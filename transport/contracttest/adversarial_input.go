package contracttest

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// adversarialInput attacks the request bodies: fields a client may not set,
// oversized bodies, passwords at and over bcrypt's limit, control
// characters and look-alike characters in emails, and SQL-injection
// strings.
func (s suite) adversarialInput(t *testing.T) {
	s.cases(t, []testCase{
		{"mass assignment in register", func(t *testing.T, c *client) {
			for _, field := range []string{
				`"is_admin": true`, `"status": "approved"`, `"is_approved": true`,
				`"ver": 7`, `"token_version": 7`, `"created_at": "2000-01-01T00:00:00Z"`,
				`"password_hash": "$2a$04$abcdefghijklmnopqrstuu"`, `"IS_ADMIN": true`, `"Email": "x@example.com"`,
			} {
				body := `{"email": "mallory@example.com", "password": "` + userPassword + `", ` + field + `}`
				c.wantStatus(c.postJSON("/register", body, ""), http.StatusBadRequest)
			}
			// Nothing was created: the login is the unknown-email 401, and
			// the admin sees nobody pending.
			c.wantStatus(c.loginResp("mallory@example.com", userPassword), http.StatusUnauthorized)
			c.wantEmails("pending", c.pendingEmails(c.adminToken(), ""))
			// The same body without the extra field is a pending non-admin.
			r := c.postJSON("/register", map[string]string{"email": "mallory@example.com", "password": userPassword}, "")
			if c.wantStatus(r, http.StatusCreated) {
				c.checkUser(r, c.object(r), wantUser{email: "mallory@example.com", status: "pending"})
			}
			c.wantStatus(c.loginResp("mallory@example.com", userPassword), http.StatusForbidden)
		}},
		{"10 MB bodies", func(t *testing.T, c *client) {
			big := bytes.Repeat([]byte("a"), 10<<20)
			register := append(append([]byte(`{"email": "ann@example.com", "password": "`), big...), `"}`...)
			login := append([]byte("username=ann%40example.com&password="), big...)
			admin := c.adminToken()
			for _, req := range []struct {
				path, contentType string
				body              []byte
				token             string
			}{
				{c.auth("/register"), "application/json", register, ""},
				{c.auth("/login"), "application/x-www-form-urlencoded", login, ""},
				{c.auth("/login"), "application/json", register, ""},
				{c.auth("/approve"), "application/json", register, admin},
				{c.auth("/change-password"), "application/json", register, admin},
			} {
				status, err := c.rawRequest(http.MethodPost, req.path, req.contentType, req.body, "Bearer "+req.token)
				if err != nil {
					t.Errorf("%s: POST %s with 10 MB: no response: %v", c.name, req.path, err)
				} else if status != http.StatusRequestEntityTooLarge {
					t.Errorf("%s: POST %s with 10 MB: status %d, want 413", c.name, req.path, status)
				}
			}
			c.wantStatus(c.get(c.auth("/me"), admin), http.StatusOK)
			c.wantEmails("pending", c.pendingEmails(admin, ""))
		}},
		{"73-byte and empty passwords", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			long := strings.Repeat("p", 73)
			// A 73-byte password would be cut to 72 by bcrypt, so that
			// every password sharing its first 72 bytes matched: refused.
			c.wantStatus(c.postJSON("/register", map[string]string{"email": "bob@example.com", "password": long}, ""), http.StatusUnprocessableEntity)
			c.wantStatus(c.postJSON("/register", map[string]string{"email": "bob@example.com", "password": ""}, ""), http.StatusUnprocessableEntity)
			c.wantStatus(c.postJSON("/register", map[string]string{"email": "bob@example.com", "password": strings.Repeat("é", 37)}, ""), http.StatusUnprocessableEntity) // 74 bytes
			c.wantStatus(c.loginResp("ann@example.com", ""), http.StatusUnprocessableEntity)
			c.wantStatus(c.loginResp("ann@example.com", userPassword+strings.Repeat("x", 73)), http.StatusUnprocessableEntity)
			change := func(current, next string) *response {
				return c.postJSON("/change-password", map[string]string{"current_password": current, "new_password": next}, tok)
			}
			c.wantStatus(change(userPassword, long), http.StatusUnprocessableEntity)
			c.wantStatus(change(userPassword, ""), http.StatusUnprocessableEntity)
			c.wantStatus(change(long, "a-new-password-1"), http.StatusBadRequest)
			c.wantStatus(change("", "a-new-password-1"), http.StatusBadRequest)
			// A 72-byte password works end to end, and its 71-byte prefix
			// does not log in.
			at72 := strings.Repeat("q", 72)
			c.secrets.add(at72)
			c.mustStatus(change(userPassword, at72), http.StatusNoContent)
			c.wantStatus(c.loginResp("ann@example.com", at72[:71]), http.StatusUnauthorized)
			c.login("ann@example.com", at72)
			c.wantEmails("pending", c.pendingEmails(c.adminToken(), ""))
		}},
		{"NUL, CR and LF in emails", func(t *testing.T, c *client) {
			admin := c.adminToken()
			for _, email := range []string{
				"ann\x00@example.com", "ann@example.com\x00", "\x00ann@example.com",
				"ann@example.com\r\nX-Injected: 1", "ann@example.com\n", "\nann@example.com",
				"ann\r@example.com", "ann@exam\nple.com", "ann@example.com\t", "ann\u2028@example.com",
				adminEmail + "\x00", adminEmail + "\n",
			} {
				c.wantStatus(c.postJSON("/register", map[string]string{"email": email, "password": userPassword}, ""), http.StatusUnprocessableEntity)
				c.wantStatus(c.loginResp(email, userPassword), http.StatusUnprocessableEntity)
				c.wantStatus(c.postJSON("/login", map[string]string{"email": email, "password": adminPassword}, ""), http.StatusUnprocessableEntity)
				c.wantStatus(c.postJSON("/approve", map[string]string{"email": email}, admin), http.StatusUnprocessableEntity)
				c.wantStatus(c.postJSON("/reject", map[string]string{"email": email}, admin), http.StatusUnprocessableEntity)
			}
			c.wantEmails("pending", c.pendingEmails(admin, ""))
			if logs := c.logs.String(); strings.Contains(logs, "X-Injected") || strings.Contains(logs, "ann@example.com\n") {
				t.Errorf("%s: a control character from an email reached the log:\n%s", c.name, logs)
			}
		}},
		{"Unicode look-alikes of the admin email", func(t *testing.T, c *client) {
			local, domain, _ := strings.Cut(adminEmail, "@")
			for _, email := range []string{
				strings.Replace(adminEmail, "o", "\u043e", 1),           // Cyrillic о
				"\uff42" + adminEmail[1:],                               // fullwidth ｂ
				local + "\u200b@" + domain,                              // zero-width space
				local + "@" + strings.Replace(domain, "e", "\u0435", 1), // Cyrillic е in the domain
				"\u212a" + adminEmail,                                   // Kelvin sign, lower-cases to k
				local + "\u0301@" + domain,                              // combining accent
				local + "@" + domain + "\u3002",                         // ideographic full stop
				"\ufeff" + adminEmail,                                   // byte order mark
			} {
				c.wantStatus(c.postJSON("/register", map[string]string{"email": email, "password": userPassword}, ""), http.StatusUnprocessableEntity)
				c.wantStatus(c.loginResp(email, adminPassword), http.StatusUnprocessableEntity)
			}
			// Letter case and spaces are the same account: taken.
			c.wantStatus(c.postJSON("/register", map[string]string{"email": " " + strings.ToUpper(adminEmail) + " ", "password": userPassword}, ""), http.StatusConflict)
			c.wantEmails("pending", c.pendingEmails(c.adminToken(), ""))
		}},
		{"SQL-injection strings", func(t *testing.T, c *client) {
			admin := c.adminToken()
			injections := []string{
				`' OR '1'='1`, `' OR 1=1 --`, `'; DROP TABLE users; --`, `" OR ""="`,
				`\'; DELETE FROM users WHERE ''='`, `1) OR (1=1`, `%' --`, `$1`, `?`,
			}
			// As passwords: stored as hashes, never as SQL.
			c.register("ann@example.com")
			for _, pw := range injections {
				r := c.loginResp("ann@example.com", pw)
				if r.status != http.StatusUnauthorized && r.status != http.StatusTooManyRequests {
					c.errorf(r, "login with password %q: status %d, want 401 (or 429 once throttled)", pw, r.status)
				}
				r = c.loginResp(adminEmail, pw)
				if r.status != http.StatusUnauthorized && r.status != http.StatusTooManyRequests {
					c.errorf(r, "admin login with password %q: status %d, want 401 (or 429)", pw, r.status)
				}
			}
			// As emails: refused as addresses, or, where quotes are legal
			// in an address, stored verbatim as one more user.
			for _, inj := range injections[:7] { // $1 and ? are legal in an address
				for _, email := range []string{inj, inj + "@example.com", "x@example.com" + inj} {
					r := c.postJSON("/register", map[string]string{"email": email, "password": userPassword}, "")
					if r.status != http.StatusUnprocessableEntity {
						c.errorf(r, "register %q: status %d, want 422", email, r.status)
					}
					r = c.postJSON("/approve", map[string]string{"email": email}, admin)
					if r.status != http.StatusUnprocessableEntity {
						c.errorf(r, "approve %q: status %d, want 422", email, r.status)
					}
				}
			}
			for _, email := range []string{"o'brien'--@example.com", "$1@example.com", "?@example.com"} {
				r := c.postJSON("/register", map[string]string{"email": email, "password": `' OR '1'='1`}, "")
				if c.wantStatus(r, http.StatusCreated) {
					c.checkUser(r, c.object(r), wantUser{email: email, status: "pending"})
				}
			}
			c.setStatus("/approve", admin, "o'brien'--@example.com")
			c.secrets.add(`' OR '1'='1`)
			c.login("o'brien'--@example.com", `' OR '1'='1`)
			// Every other account is as it was.
			c.wantEmails("pending", c.pendingEmails(admin, ""), "ann@example.com", "$1@example.com", "?@example.com")
			c.wantStatus(c.get(c.auth("/me"), admin), http.StatusOK)
			for _, q := range []string{"?limit=1%20OR%201=1", "?offset=0%3BDROP%20TABLE%20users", "?limit='1'"} {
				c.wantStatus(c.get(c.auth("/pending")+q, admin), http.StatusUnprocessableEntity)
			}
			form := url.Values{"username": {adminEmail + "' --"}, "password": {"x"}}
			c.wantStatus(c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", form, ""), http.StatusUnprocessableEntity)
		}},
	})
}
