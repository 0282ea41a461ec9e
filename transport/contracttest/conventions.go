package contracttest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

// conventions checks the "Conventions" section: bad input, body limits,
// content types and bearer authentication.
func (s suite) conventions(t *testing.T) {
	s.cases(t, []testCase{
		{"400 invalid JSON", invalidJSON},
		{"400 trailing data after the object", trailingData},
		{"400 wrong types", wrongTypes},
		{"400 unknown fields", unknownFields},
		{"400 query string that does not parse", badQueryString},
		{"413 body over 64 KiB", bodyOverDefaultLimit},
		{"415 wrong Content-Type", wrongContentType},
		{"401 no token", noToken},
		{"401 invalid token", invalidToken},
		{"401 token in query string ignored", queryToken},
		{"404 other spellings of a route", otherSpellings},
		{"405 other methods", otherMethods},
	})
	t.Run("500 generic detail on a server-side failure", func(t *testing.T) {
		t.Parallel()
		c := s.server(t, options{failingStore: true})
		for _, r := range []*response{
			c.postJSON("/register", registerBody(failEmail), ""),
			c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded",
				url.Values{"username": {failEmail}, "password": {userPassword}}, ""),
		} {
			if !c.wantStatus(r, http.StatusInternalServerError) {
				continue
			}
			if strings.Contains(string(r.raw), "10.1.2.3") || strings.Contains(string(r.raw), "store") {
				c.errorf(r, "the 500 reveals its cause: %s", snippet(r.raw))
			}
		}
	})
	t.Run("413 body over custom MaxBodyBytes", func(t *testing.T) {
		t.Parallel()
		c := s.server(t, options{maxBodyBytes: 1024})
		c.mustStatus(c.postJSON("/register", paddedRegister("ann@example.com", 1025), ""), http.StatusRequestEntityTooLarge)
		c.wantStatus(c.postJSON("/register", paddedRegister("ann@example.com", 1024), ""), http.StatusCreated)
	})
}

// paddedRegister returns a valid register body of exactly size bytes
// (padded with JSON whitespace).
func paddedRegister(email string, size int) string {
	body := fmt.Sprintf(`{"email": %q, "password": %q}`, email, userPassword)
	return body[:len(body)-1] + strings.Repeat(" ", size-len(body)) + "}"
}

// registerBody is a valid register body for email.
func registerBody(email string) string {
	return fmt.Sprintf(`{"email": %q, "password": %q}`, email, userPassword)
}

// wantNotCreated checks that email was not registered, by registering it.
func wantNotCreated(c *client, email string) {
	c.t.Helper()
	r := c.postJSON("/register", registerBody(email), "")
	if r.status == http.StatusConflict {
		c.errorf(r, "%s was registered by a refused request", email)
	}
}

func invalidJSON(t *testing.T, c *client) {
	for _, body := range []string{
		`{"email": "ann@example.com", "password": `,
		`not json`,
		`{"email": "ann@example.com" "password": "correct horse"}`,
		``,
	} {
		c.wantStatus(c.postJSON("/register", body, ""), http.StatusBadRequest)
	}
	wantNotCreated(c, "ann@example.com")
}

func trailingData(t *testing.T, c *client) {
	for _, body := range []string{
		registerBody("ann@example.com") + ` {}`,
		registerBody("ann@example.com") + `x`,
		registerBody("ann@example.com") + registerBody("bob@example.com"),
	} {
		c.wantStatus(c.postJSON("/register", body, ""), http.StatusBadRequest)
	}
	wantNotCreated(c, "ann@example.com")
	wantNotCreated(c, "bob@example.com")
}

func wrongTypes(t *testing.T, c *client) {
	for _, body := range []string{
		`{"email": 5, "password": "correct horse"}`,
		`{"email": "ann@example.com", "password": true}`,
		`{"email": ["ann@example.com"], "password": "correct horse"}`,
		`[]`,
		`"ann@example.com"`,
	} {
		c.wantStatus(c.postJSON("/register", body, ""), http.StatusBadRequest)
	}
	wantNotCreated(c, "ann@example.com")
	admin := c.adminToken()
	c.wantStatus(c.postJSON("/approve", `{"email": 1}`, admin), http.StatusBadRequest)
	c.wantStatus(c.postJSON("/change-password", `{"current_password": 1, "new_password": 2}`, admin), http.StatusBadRequest)
	c.wantStatus(c.postJSON("/login", `{"email": "boss@example.com", "password": 1}`, ""), http.StatusBadRequest)
}

func unknownFields(t *testing.T, c *client) {
	for _, extra := range []string{`"is_admin": true`, `"status": "approved"`, `"is_approved": true`} {
		body := fmt.Sprintf(`{"email": "ann@example.com", "password": %q, %s}`, userPassword, extra)
		c.wantStatus(c.postJSON("/register", body, ""), http.StatusBadRequest)
	}
	r := c.postJSON("/register", registerBody("ann@example.com"), "")
	if c.wantStatus(r, http.StatusCreated) {
		c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "pending"})
	}
	admin := c.adminToken()
	body := fmt.Sprintf(`{"current_password": %q, "new_password": "another-pass-1", "email": "x@example.com"}`, adminPassword)
	c.wantStatus(c.postJSON("/change-password", body, admin), http.StatusBadRequest)
	c.wantStatus(c.postJSON("/approve", `{"email": "ann@example.com", "status": "approved"}`, admin), http.StatusBadRequest)
	// Neither refused request had an effect.
	c.wantStatus(c.get(c.auth("/me"), admin), http.StatusOK)
	if got := c.array(c.get(c.auth("/pending"), admin)); len(got) != 1 {
		c.t.Errorf("%s: refused approve changed the pending list: %v", c.name, got)
	}
}

func bodyOverDefaultLimit(t *testing.T, c *client) {
	const limit = 64 << 10
	c.wantStatus(c.postJSON("/register", paddedRegister("ann@example.com", limit+1), ""), http.StatusRequestEntityTooLarge)
	big := url.Values{"username": {adminEmail}, "password": {adminPassword}, "scope": {strings.Repeat("x", limit)}}
	c.wantStatus(c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", big, ""), http.StatusRequestEntityTooLarge)
	r := c.postJSON("/register", paddedRegister("ann@example.com", limit), "")
	if c.wantStatus(r, http.StatusCreated) {
		c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "pending"})
	}
}

func wrongContentType(t *testing.T, c *client) {
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded"} {
		r := c.do(http.MethodPost, c.auth("/register"), ct, registerBody("ann@example.com"), "")
		c.wantStatus(r, http.StatusUnsupportedMediaType)
	}
	login := url.Values{"username": {adminEmail}, "password": {adminPassword}}
	for _, ct := range []string{"text/plain", ""} {
		c.wantStatus(c.do(http.MethodPost, c.auth("/login"), ct, login, ""), http.StatusUnsupportedMediaType)
	}
	admin := c.adminToken()
	body := fmt.Sprintf(`{"current_password": %q, "new_password": "another-pass-1"}`, adminPassword)
	c.wantStatus(c.do(http.MethodPost, c.auth("/change-password"), "text/plain", body, admin), http.StatusUnsupportedMediaType)
	c.wantStatus(c.do(http.MethodPost, c.auth("/approve"), "text/plain", `{"email": "ann@example.com"}`, admin), http.StatusUnsupportedMediaType)
	// A media type parameter is fine.
	r := c.do(http.MethodPost, c.auth("/register"), "application/json; charset=utf-8", registerBody("ann@example.com"), "")
	if c.wantStatus(r, http.StatusCreated) {
		c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "pending"})
	}
}

func noToken(t *testing.T, c *client) {
	c.want401(c.get(c.auth("/me"), ""), false)
	c.want401(c.get(c.auth("/pending"), ""), false)
	c.want401(c.postJSON("/change-password", `{"current_password": "a-password", "new_password": "another-pass-1"}`, ""), false)
	c.want401(c.postJSON("/approve", `{"email": "ann@example.com"}`, ""), false)
	c.want401(c.postJSON("/reject", `{"email": "ann@example.com"}`, ""), false)
	// Another scheme is no bearer token.
	c.want401(c.request(http.MethodGet, c.auth("/me"), "", nil, "Basic Ym9zc0BleGFtcGxlLmNvbTpib3NzLXBhc3N3b3JkLTE=", true), false)
}

func invalidToken(t *testing.T, c *client) {
	valid := c.adminToken()
	now := time.Now()
	expired, err := c.tokens.Encode(context.Background(), domain.Claims{
		Subject: adminEmail, IsAdmin: true,
		IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour),
	})
	if err != nil {
		t.Fatalf("%s: forge an expired token: %v", c.name, err)
	}
	other, err := jwtcodec.New([]byte("eGSHsY54WwafSKq7Cc1VLeCNVOcZ8foYu9JZiEJl"), jwtcodec.WithLogger(discard))
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	foreign, err := other.Encode(context.Background(), domain.Claims{
		Subject: adminEmail, IsAdmin: true, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("%s: forge a token: %v", c.name, err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(fmt.Appendf(nil,
		`{"sub":%q,"is_admin":true,"ver":0,"iat":%d,"exp":%d}`, adminEmail, now.Unix(), now.Add(time.Hour).Unix())) + "."
	for what, tok := range map[string]string{
		"garbage":      "not-a-jwt",
		"tampered":     tamper(valid),
		"expired":      expired,
		"foreign key":  foreign,
		"alg none":     none,
		"token+suffix": valid + "x",
	} {
		r := c.get(c.auth("/me"), tok)
		if r.status != http.StatusUnauthorized {
			c.errorf(r, "%s token: status %d, want 401", what, r.status)
			continue
		}
		c.want401(r, true)
	}
	c.want401(c.get(c.auth("/pending"), "not-a-jwt"), true)
	c.want401(c.get("/probe/login", "not-a-jwt"), true)
	c.want401(c.get("/probe/admin", "not-a-jwt"), true)
}

// tamper changes one character in the middle of a token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	if i >= len(tok) {
		i = len(tok) - 1
	}
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func queryToken(t *testing.T, c *client) {
	tok := url.QueryEscape(c.adminToken())
	c.want401(c.get(c.auth("/me")+"?access_token="+tok, ""), false)
	c.want401(c.get(c.auth("/pending")+"?access_token="+tok, ""), false)
	c.want401(c.get("/probe/login?access_token="+tok, ""), false)
}

// otherSpellings checks that a route answers only at its exact path: not
// with a trailing slash, not in other letter cases (as a proxy rule keyed on
// the path would expect). The 404 comes from the framework's router, so it
// need not be a problem document.
func otherSpellings(t *testing.T, c *client) {
	tok := c.approvedUser("ann@example.com")
	for _, path := range []string{c.auth("/me") + "/", strings.ToUpper(c.auth("/me")), "/probe/login/", "/PROBE/LOGIN"} {
		r := c.request(http.MethodGet, path, "", nil, "Bearer "+tok, false)
		c.wantStatus(r, http.StatusNotFound)
	}
}

// otherMethods checks that a method a route does not serve gets 405, as a
// problem document, with an Allow header naming the methods it does serve.
func otherMethods(t *testing.T, c *client) {
	for _, tc := range []struct{ method, route, allow string }{
		{http.MethodGet, "/register", "POST"},
		{http.MethodPut, "/login", "POST"},
		{http.MethodDelete, "/me", "GET"},
		{http.MethodPost, "/pending", "GET"},
		{http.MethodPatch, "/approve", "POST"},
	} {
		r := c.do(tc.method, c.auth(tc.route), "application/json", "{}", "")
		if c.wantStatus(r, http.StatusMethodNotAllowed) && !strings.Contains(r.header.Get("Allow"), tc.allow) {
			c.errorf(r, "Allow %q, want it to name %s", r.header.Get("Allow"), tc.allow)
		}
	}
}
