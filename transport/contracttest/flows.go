package contracttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// userKeys are exactly the keys of a user object.
var userKeys = []string{"created_at", "email", "is_admin", "is_approved", "status"}

// wantUser is what a user object should say.
type wantUser struct {
	email  string
	status string
	admin  bool
}

// checkUser checks that obj is a user object (with extra keys allowed only
// when listed in extra) describing want.
func (c *client) checkUser(r *response, obj map[string]any, want wantUser, extra ...string) {
	c.t.Helper()
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if !slices.Contains(extra, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, userKeys) {
		c.errorf(r, "user object keys %v, want %v", keys, userKeys)
	}
	if got := obj["email"]; got != want.email {
		c.errorf(r, "email %v, want %q", got, want.email)
	}
	if got := obj["is_admin"]; got != want.admin {
		c.errorf(r, "is_admin %v, want %v", got, want.admin)
	}
	if got := obj["status"]; got != want.status {
		c.errorf(r, "status %v, want %q", got, want.status)
	}
	if got := obj["is_approved"]; got != (want.status == "approved") {
		c.errorf(r, "is_approved %v with status %q", got, want.status)
	}
	created, ok := obj["created_at"].(string)
	if !ok {
		c.errorf(r, "created_at %v, want an RFC 3339 string", obj["created_at"])
		return
	}
	at, err := time.Parse(time.RFC3339, created)
	if err != nil {
		c.errorf(r, "created_at %q is not RFC 3339: %v", created, err)
		return
	}
	if d := time.Since(at); d < -time.Minute || d > time.Hour {
		c.errorf(r, "created_at %q is not about now", created)
	}
}

// register registers email with userPassword and returns the user object.
func (c *client) register(email string) map[string]any {
	c.t.Helper()
	r := c.postJSON("/register", map[string]string{"email": email, "password": userPassword}, "")
	c.mustStatus(r, http.StatusCreated)
	return c.object(r)
}

// loginResp logs in with the OAuth2 password form.
func (c *client) loginResp(email, password string) *response {
	c.t.Helper()
	form := url.Values{"username": {email}, "password": {password}}
	return c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", form, "")
}

// login logs in with the OAuth2 password form and returns the access token.
func (c *client) login(email, password string) string {
	c.t.Helper()
	return c.token(c.loginResp(email, password))
}

// token returns the access token of a successful login response.
func (c *client) token(r *response) string {
	c.t.Helper()
	c.mustStatus(r, http.StatusOK)
	tok, ok := c.object(r)["access_token"].(string)
	if !ok || tok == "" {
		c.fatalf(r, "access_token %v, want a non-empty string", c.object(r)["access_token"])
	}
	return tok
}

// adminToken logs the suite's admin in.
func (c *client) adminToken() string {
	c.t.Helper()
	return c.login(adminEmail, adminPassword)
}

// setStatus approves ("/approve") or rejects ("/reject") email as the admin
// holding token, and returns the user object.
func (c *client) setStatus(route, token, email string) map[string]any {
	c.t.Helper()
	r := c.postJSON(route, map[string]string{"email": email}, token)
	c.mustStatus(r, http.StatusOK)
	return c.object(r)
}

// approvedUser registers email, has the admin approve it and returns a
// token of the user's.
func (c *client) approvedUser(email string) string {
	c.t.Helper()
	c.register(email)
	c.setStatus("/approve", c.adminToken(), email)
	return c.login(email, userPassword)
}

// want401 checks a 401 with a Bearer challenge, which carries
// error="invalid_token" when a token was sent.
func (c *client) want401(r *response, tokenSent bool) {
	c.t.Helper()
	if !c.wantStatus(r, http.StatusUnauthorized) {
		return
	}
	ch := r.header.Get("WWW-Authenticate")
	if scheme, _, _ := strings.Cut(ch, " "); !strings.EqualFold(scheme, "Bearer") {
		c.errorf(r, "WWW-Authenticate %q, want a Bearer challenge", ch)
	}
	switch invalid := strings.Contains(ch, `error="invalid_token"`); {
	case tokenSent && !invalid:
		c.errorf(r, `WWW-Authenticate %q, want error="invalid_token"`, ch)
	case !tokenSent && invalid:
		c.errorf(r, `WWW-Authenticate %q: error="invalid_token" although no token was sent`, ch)
	}
}

// number returns v as a JSON number, if it is one.
func number(v any) (json.Number, bool) {
	n, ok := v.(json.Number)
	return n, ok
}
