package contracttest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// adversarialTokens attacks bearer authentication: forged, altered, expired
// and malformed tokens, and tokens where none may be, on the contract's
// routes and on the transport's RequireLogin and RequireAdmin.
func (s suite) adversarialTokens(t *testing.T) {
	s.cases(t, []testCase{
		{"control: a token forged with the server's key and algorithm is accepted", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			tok := forge(t, "HS256", "HS256", secret, claimsFor("ann@example.com", false))
			c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
			c.wantStatus(c.get(c.auth("/me"), tok), http.StatusOK)
		}},
		{"alg none, None, NONE", func(t *testing.T, c *client) {
			claims := claimsFor(adminEmail, true)
			for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
				header := jsonSegment(t, map[string]string{"alg": alg, "typ": "JWT"})
				payload := jsonSegment(t, claims)
				c.refused("alg "+alg+", empty signature", header+"."+payload+".")
				c.refused("alg "+alg+", no signature segment", header+"."+payload)
				c.refused("alg "+alg+", HMAC signature", signHMAC("HS256", secret, header, payload))
			}
		}},
		{"another algorithm than the configured HS256", func(t *testing.T, c *client) {
			claims := claimsFor(adminEmail, true)
			c.refused("HS512 with the server's key", forge(t, "HS512", "HS512", secret, claims))
			c.refused("HS384 with the server's key", forge(t, "HS384", "HS384", secret, claims))
			c.refused("RS256 with the attacker's key pair", forgeRS256(t, claims))
			c.refused("RS256 header, HMAC signature (key confusion)", forge(t, "RS256", "HS256", secret, claims))
			c.refused("ES256 header, HMAC signature", forge(t, "ES256", "HS256", secret, claims))
		}},
		{"wrong key", func(t *testing.T, c *client) {
			c.refused("another key", forge(t, "HS256", "HS256", []byte("not-the-server-key-but-32-bytes-long!"), claimsFor(adminEmail, true)))
			c.refused("empty key", forge(t, "HS256", "HS256", nil, claimsFor(adminEmail, true)))
		}},
		{"edited payload", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			header, _, _ := strings.Cut(tok, ".")
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			for what, claims := range map[string]map[string]any{
				"is_admin raised":    withClaim(claimsFor("ann@example.com", false), "is_admin", true),
				"sub changed":        claimsFor(adminEmail, true),
				"exp pushed back":    withClaim(claimsFor("ann@example.com", false), "exp", time.Now().Add(1000*time.Hour).Unix()),
				"company_id changed": withClaim(claimsFor("ann@example.com", false), "company_id", 1),
			} {
				c.refused(what, header+"."+jsonSegment(t, claims)+"."+sig)
			}
			c.refused("one signature character changed", tamper(tok))
		}},
		{"stripped signature", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			unsigned := tok[:strings.LastIndexByte(tok, '.')]
			c.refused("header.payload.", unsigned+".")
			c.refused("header.payload", unsigned)
			c.refused("payload only", strings.Split(tok, ".")[1])
		}},
		{"expired, not yet valid, no or zero expiry", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			now := time.Now()
			base := func() map[string]any { return claimsFor("ann@example.com", false) }
			for what, claims := range map[string]map[string]any{
				"expired an hour ago":          withClaim(withClaim(base(), "iat", now.Add(-2*time.Hour).Unix()), "exp", now.Add(-time.Hour).Unix()),
				"expired a minute ago":         withClaim(withClaim(base(), "iat", now.Add(-time.Hour).Unix()), "exp", now.Add(-time.Minute).Unix()),
				"nbf an hour ahead":            withClaim(base(), "nbf", now.Add(time.Hour).Unix()),
				"iat an hour ahead":            withClaim(withClaim(base(), "iat", now.Add(time.Hour).Unix()), "exp", now.Add(2*time.Hour).Unix()),
				"no exp":                       withoutClaim(base(), "exp"),
				"exp 0":                        withClaim(base(), "exp", 0),
				"exp null":                     withClaim(base(), "exp", nil),
				"no iat":                       withoutClaim(base(), "iat"),
				"exp before iat":               withClaim(base(), "exp", now.Add(-time.Second).Unix()),
				"exp beyond any date (1e300)":  withClaim(base(), "exp", 1e300),
				"exp negative":                 withClaim(base(), "exp", -1),
				"exp as a string":              withClaim(base(), "exp", fmt.Sprint(now.Add(time.Hour).Unix())),
				"exp as a boolean":             withClaim(base(), "exp", true),
				"iat as a string":              withClaim(base(), "iat", "now"),
				"nbf as a string":              withClaim(base(), "nbf", "later"),
				"exp as an overflowing string": withClaim(base(), "exp", "1e999"),
			} {
				c.refused(what, forge(t, "HS256", "HS256", secret, claims))
			}
		}},
		{"non-JSON or wrong-typed claims", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			header := jsonSegment(t, map[string]string{"alg": "HS256", "typ": "JWT"})
			for what, payload := range map[string]string{
				"not JSON":          b64([]byte("not json")),
				"a JSON array":      b64([]byte(`[1,2,3]`)),
				"a JSON string":     b64([]byte(`"ann@example.com"`)),
				"JSON null":         b64([]byte(`null`)),
				"truncated JSON":    b64([]byte(`{"sub":"ann@example.com"`)),
				"duplicate sub":     b64(fmt.Appendf(nil, `{"sub":"ann@example.com","sub":%q,"is_admin":false,"ver":0,"iat":%d,"exp":%d}`, adminEmail, time.Now().Unix(), time.Now().Add(time.Hour).Unix())),
				"not base64url":     "eyJzdWIiOiJhbm4ifQ==",
				"standard alphabet": "eyJ+c3ViIjoi/W5uIn0",
				"empty":             "",
			} {
				c.refused(what, signHMAC("HS256", secret, header, payload))
			}
			base := func() map[string]any { return claimsFor("ann@example.com", false) }
			for what, claims := range map[string]map[string]any{
				"sub a number":        withClaim(base(), "sub", 42),
				"sub empty":           withClaim(base(), "sub", ""),
				"sub missing":         withoutClaim(base(), "sub"),
				"is_admin a string":   withClaim(base(), "is_admin", "false"),
				"is_admin missing":    withoutClaim(base(), "is_admin"),
				"ver a string":        withClaim(base(), "ver", "0"),
				"ver negative":        withClaim(base(), "ver", -1),
				"ver a fraction":      withClaim(base(), "ver", 0.5),
				"ver missing":         withoutClaim(base(), "ver"),
				"aud an object":       withClaim(base(), "aud", map[string]any{"x": 1}),
				"iss a number":        withClaim(base(), "iss", 7),
				"jti a number":        withClaim(base(), "jti", 7),
				"sub of another user": withClaim(base(), "sub", "nobody@example.com"),
			} {
				c.refused(what, forge(t, "HS256", "HS256", secret, claims))
			}
			header512 := jsonSegment(t, map[string]any{"alg": "HS256", "typ": "JWT", "crit": []string{"exp"}})
			c.refused("unknown crit header", signHMAC("HS256", secret, header512, jsonSegment(t, base())))
		}},
		{"1 MiB of dots and oversized tokens", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			// Over the Authorization cap but within the server's header
			// limit: refused as a token, without parsing it.
			for what, bad := range map[string]string{
				"12 KiB of dots":            strings.Repeat(".", 12<<10),
				"a token padded to 12 KiB":  tok + strings.Repeat("A", 12<<10),
				"12 KiB of base64url":       strings.Repeat("A", 12<<10),
				"10 000 segments":           strings.Repeat("a.", 5000),
				"a 12 KiB header signature": tok[:strings.LastIndexByte(tok, '.')+1] + strings.Repeat("A", 12<<10),
			} {
				c.refused(what, bad)
			}
			// Over any sensible header limit: the framework may refuse the
			// request before the route sees it (431), or the route refuses
			// the token (401); nothing else, and the server lives on.
			huge := strings.Repeat(".", 1<<20)
			for _, path := range []string{c.auth("/me"), "/probe/login"} {
				status, err := c.rawStatus(http.MethodGet, path, "Bearer "+huge)
				switch {
				case err != nil:
					t.Errorf("%s: GET %s with 1 MiB of dots as a token: no response: %v", c.name, path, err)
				case status != http.StatusUnauthorized && status != http.StatusRequestHeaderFieldsTooLarge:
					t.Errorf("%s: GET %s with 1 MiB of dots as a token: status %d, want 401 or 431", c.name, path, status)
				default:
					t.Logf("%s: GET %s with 1 MiB of dots as a token: %d", c.name, path, status)
				}
			}
			c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
		}},
		{"token in the query string is refused", func(t *testing.T, c *client) {
			tok := url.QueryEscape(c.adminToken())
			for _, q := range []string{"access_token", "token", "jwt", "bearer", "Authorization"} {
				for _, path := range []string{c.auth("/me"), c.auth("/pending"), "/probe/login", "/probe/admin"} {
					c.want401(c.get(path+"?"+q+"="+tok, ""), false)
				}
			}
			// Nor in a form body.
			c.want401(c.do(http.MethodPost, c.auth("/approve"), "application/x-www-form-urlencoded", url.Values{"access_token": {c.adminToken()}}, ""), false)
		}},
		{"lowercase bearer is accepted, other schemes and shapes are not", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			// RFC 9110 section 11.1: the scheme is case-insensitive.
			for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
				r := c.request(http.MethodGet, "/probe/login", "", nil, scheme+" "+tok, true)
				c.wantStatus(r, http.StatusOK)
			}
			for what, authz := range map[string]string{
				"no token after Bearer":  "Bearer",
				"two tokens":             "Bearer " + tok + " " + tok,
				"token then junk":        "Bearer " + tok + " x",
				"comma-joined":           "Bearer " + tok + ", Bearer " + tok,
				"Token scheme":           "Token " + tok,
				"JWT scheme":             "JWT " + tok,
				"no scheme":              tok,
				"Bearer glued to token":  "Bearer" + tok,
				"quoted token":           `Bearer "` + tok + `"`,
				"tab instead of a space": "Bearer\t" + tok,
			} {
				r := c.request(http.MethodGet, "/probe/login", "", nil, authz, true)
				if r.status != http.StatusUnauthorized {
					c.errorf(r, "%s: status %d, want 401", what, r.status)
				}
			}
		}},
		{"token after reject", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
			c.setStatus("/reject", c.adminToken(), "ann@example.com")
			c.refused("rejected user's token", tok)
			// Approving again does not bring the old token back.
			c.setStatus("/approve", c.adminToken(), "ann@example.com")
			c.refused("token from before the rejection", tok)
			c.wantStatus(c.get("/probe/login", c.login("ann@example.com", userPassword)), http.StatusOK)
		}},
		{"token after password change", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			other := c.login("ann@example.com", userPassword)
			body := map[string]string{"current_password": userPassword, "new_password": "a-new-password-1"}
			c.secrets.add("a-new-password-1")
			c.mustStatus(c.postJSON("/change-password", body, tok), http.StatusNoContent)
			c.refused("the token that changed the password", tok)
			c.refused("another token from before the change", other)
			admin := c.adminToken()
			c.mustStatus(c.postJSON("/change-password", map[string]string{"current_password": adminPassword, "new_password": "a-new-admin-pw-1"}, admin), http.StatusNoContent)
			c.secrets.add("a-new-admin-pw-1")
			c.refused("admin token from before the change", admin)
			c.wantStatus(c.get("/probe/admin", c.login(adminEmail, "a-new-admin-pw-1")), http.StatusOK)
		}},
	})
}

// refused checks that token is refused with 401 and error="invalid_token"
// by /auth/me, the admin listing and the transport's RequireLogin and
// RequireAdmin.
func (c *client) refused(what, token string) {
	c.t.Helper()
	for _, path := range []string{c.auth("/me"), c.auth("/pending"), "/probe/login", "/probe/admin"} {
		r := c.request(http.MethodGet, path, "", nil, "Bearer "+token, true)
		if r.status != http.StatusUnauthorized {
			c.errorf(r, "%s: status %d, want 401 (body %s)", what, r.status, snippet(r.raw))
			continue
		}
		c.want401(r, true)
	}
}

// withClaim returns m with name set to v.
func withClaim(m map[string]any, name string, v any) map[string]any {
	m[name] = v
	return m
}

// withoutClaim returns m without name.
func withoutClaim(m map[string]any, name string) map[string]any {
	delete(m, name)
	return m
}
