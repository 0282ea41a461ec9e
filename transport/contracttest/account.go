package contracttest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// register checks POST /auth/register.
func (s suite) register(t *testing.T) {
	s.cases(t, []testCase{
		{"201 pending user", func(t *testing.T, c *client) {
			r := c.postJSON("/register", registerBody("ann@example.com"), "")
			c.mustStatus(r, http.StatusCreated)
			c.checkUser(r, c.object(r), wantUser{email: "ann@example.com", status: "pending"})
		}},
		{"email trimmed and lower-cased", func(t *testing.T, c *client) {
			r := c.postJSON("/register", registerBody("  Ann.Lee@Example.COM "), "")
			c.mustStatus(r, http.StatusCreated)
			c.checkUser(r, c.object(r), wantUser{email: "ann.lee@example.com", status: "pending"})
		}},
		{"409 email taken in any letter case", func(t *testing.T, c *client) {
			c.register("ann@example.com")
			c.wantStatus(c.postJSON("/register", registerBody("ANN@Example.com"), ""), http.StatusConflict)
			c.wantStatus(c.postJSON("/register", registerBody(" ann@example.com"), ""), http.StatusConflict)
			c.wantStatus(c.postJSON("/register", registerBody(adminEmail), ""), http.StatusConflict)
		}},
		{"422 invalid values", func(t *testing.T, c *client) {
			for _, body := range []any{
				map[string]string{"email": "not-an-email", "password": userPassword},
				map[string]string{"email": "ann@", "password": userPassword},
				map[string]string{"email": "", "password": userPassword},
				map[string]string{"password": userPassword},
				map[string]string{"email": "ann@example.com", "password": "short12"},
				map[string]string{"email": "ann@example.com", "password": strings.Repeat("a", 73)},
				map[string]string{"email": "ann@example.com", "password": ""},
				map[string]string{"email": "ann@example.com"},
				map[string]string{},
			} {
				c.wantStatus(c.postJSON("/register", body, ""), http.StatusUnprocessableEntity)
			}
			// The bounds themselves are accepted.
			c.wantStatus(c.postJSON("/register", map[string]string{"email": "ann@example.com", "password": strings.Repeat("a", 72)}, ""), http.StatusCreated)
			c.wantStatus(c.postJSON("/register", map[string]string{"email": "bob@example.com", "password": "eight-ch"}, ""), http.StatusCreated)
		}},
	})
}

// login checks POST /auth/login.
func (s suite) login(t *testing.T) {
	s.cases(t, []testCase{
		{"200 OAuth2 password form", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			for _, form := range []url.Values{
				{"username": {"ann@example.com"}, "password": {userPassword}},
				{"username": {" ANN@example.com "}, "password": {userPassword}, "grant_type": {"password"}},
				{"username": {"ann@example.com"}, "password": {userPassword}, "grant_type": {"password"},
					"scope": {"read write"}, "client_id": {"swagger"}, "client_secret": {"s3cret"}},
			} {
				r := c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", form, "")
				c.checkTokenResponse(r, "ann@example.com")
			}
		}},
		{"200 JSON with email or username", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			for _, body := range []map[string]string{
				{"email": "ann@example.com", "password": userPassword},
				{"username": "ann@example.com", "password": userPassword},
				{"email": " Ann@Example.com", "password": userPassword},
			} {
				c.checkTokenResponse(c.postJSON("/login", body, ""), "ann@example.com")
			}
		}},
		{"400 grant_type other than password", func(t *testing.T, c *client) {
			for _, gt := range []string{"client_credentials", "refresh_token", "PASSWORD"} {
				form := url.Values{"username": {adminEmail}, "password": {adminPassword}, "grant_type": {gt}}
				c.wantStatus(c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", form, ""), http.StatusBadRequest)
			}
		}},
		{"401 wrong email or password, same body", func(t *testing.T, c *client) {
			c.approvedUser("ann@example.com")
			unknown := c.loginResp("nobody@example.com", userPassword)
			wrong := c.loginResp("ann@example.com", "wrong password")
			c.wantStatus(unknown, http.StatusUnauthorized)
			c.wantStatus(wrong, http.StatusUnauthorized)
			if !bytes.Equal(unknown.raw, wrong.raw) {
				c.errorf(wrong, "body %s differs from the unknown email's %s", snippet(wrong.raw), snippet(unknown.raw))
			}
			c.wantStatus(c.postJSON("/login", map[string]string{"email": "ann@example.com", "password": "wrong password"}, ""), http.StatusUnauthorized)
		}},
		{"403 pending or rejected", func(t *testing.T, c *client) {
			c.register("ann@example.com")
			r := c.loginResp("ann@example.com", userPassword)
			if c.wantStatus(r, http.StatusForbidden) && !strings.Contains(strings.ToLower(detail(r)), "approv") {
				c.errorf(r, "detail %q does not say the account awaits approval", detail(r))
			}
			// A wrong password reveals nothing about the account.
			c.wantStatus(c.loginResp("ann@example.com", "wrong password"), http.StatusUnauthorized)
			c.setStatus("/reject", c.adminToken(), "ann@example.com")
			c.wantStatus(c.loginResp("ann@example.com", userPassword), http.StatusForbidden)
		}},
		{"422 missing field", func(t *testing.T, c *client) {
			form := url.Values{"username": {adminEmail}}
			c.wantStatus(c.do(http.MethodPost, c.auth("/login"), "application/x-www-form-urlencoded", form, ""), http.StatusUnprocessableEntity)
			c.wantStatus(c.postJSON("/login", map[string]string{"email": adminEmail}, ""), http.StatusUnprocessableEntity)
		}},
	})
}

// checkTokenResponse checks a successful login response and that its token
// works on /auth/me for email.
func (c *client) checkTokenResponse(r *response, email string) {
	c.t.Helper()
	if !c.wantStatus(r, http.StatusOK) {
		return
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(strings.ToLower(cc), "no-store") {
		c.errorf(r, "Cache-Control %q, want no-store", cc)
	}
	obj := c.object(r)
	if got := obj["token_type"]; got != "bearer" {
		c.errorf(r, "token_type %v, want \"bearer\"", got)
	}
	if n, ok := number(obj["expires_in"]); !ok || n.String() != "1800" {
		c.errorf(r, "expires_in %v, want the integer 1800 (seconds)", obj["expires_in"])
	}
	tok, ok := obj["access_token"].(string)
	if !ok || strings.Count(tok, ".") != 2 {
		c.errorf(r, "access_token %v, want a JWT", obj["access_token"])
		return
	}
	me := c.get(c.auth("/me"), tok)
	if c.wantStatus(me, http.StatusOK) {
		if got := c.object(me)["email"]; got != email {
			c.errorf(me, "email %v, want %q", got, email)
		}
	}
}

// me checks GET /auth/me.
func (s suite) me(t *testing.T) {
	s.cases(t, []testCase{
		{"200 user object and claims", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			r := c.get(c.auth("/me"), tok)
			c.mustStatus(r, http.StatusOK)
			obj := c.object(r)
			c.checkUser(r, obj, wantUser{email: "ann@example.com", status: "approved"}, "claims")
			claims, ok := obj["claims"].(map[string]any)
			if !ok {
				c.fatalf(r, "claims %v, want an object", obj["claims"])
			}
			c.checkClaims(r, claims, "ann@example.com", false)
			if n, ok := number(claims["company_id"]); !ok || n.String() != strconv.FormatInt(companyID, 10) {
				c.errorf(r, "claims.company_id %v, want exactly %d", claims["company_id"], companyID)
			}
		}},
		{"200 admin", func(t *testing.T, c *client) {
			r := c.get(c.auth("/me"), c.adminToken())
			c.mustStatus(r, http.StatusOK)
			obj := c.object(r)
			c.checkUser(r, obj, wantUser{email: adminEmail, status: "approved", admin: true}, "claims")
			claims, ok := obj["claims"].(map[string]any)
			if !ok {
				c.fatalf(r, "claims %v, want an object", obj["claims"])
			}
			c.checkClaims(r, claims, adminEmail, true)
		}},
		{"401 no or invalid token", func(t *testing.T, c *client) {
			c.want401(c.get(c.auth("/me"), ""), false)
			c.want401(c.get(c.auth("/me"), "not-a-jwt"), true)
		}},
		{"401 token predates password change", func(t *testing.T, c *client) {
			old := c.approvedUser("ann@example.com")
			body := map[string]string{"current_password": userPassword, "new_password": "new-password-1"}
			c.mustStatus(c.postJSON("/change-password", body, old), http.StatusNoContent)
			c.want401(c.get(c.auth("/me"), old), true)
		}},
		{"401 rejected user's old token", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			c.setStatus("/reject", c.adminToken(), "ann@example.com")
			c.want401(c.get(c.auth("/me"), tok), true)
			// Approving again does not revive the token.
			c.setStatus("/approve", c.adminToken(), "ann@example.com")
			c.want401(c.get(c.auth("/me"), tok), true)
		}},
	})
}

// checkClaims checks the registered claims /auth/me reports.
func (c *client) checkClaims(r *response, claims map[string]any, sub string, admin bool) {
	c.t.Helper()
	if got := claims["sub"]; got != sub {
		c.errorf(r, "claims.sub %v, want %q", got, sub)
	}
	if got := claims["is_admin"]; got != admin {
		c.errorf(r, "claims.is_admin %v, want %v", got, admin)
	}
	iat, ok1 := number(claims["iat"])
	exp, ok2 := number(claims["exp"])
	i, err1 := iat.Int64()
	e, err2 := exp.Int64()
	if !ok1 || !ok2 || err1 != nil || err2 != nil || e-i != 1800 {
		c.errorf(r, "claims iat %v, exp %v: want integers 1800 s apart", claims["iat"], claims["exp"])
	}
}

// changePassword checks POST /auth/change-password.
func (s suite) changePassword(t *testing.T) {
	s.cases(t, []testCase{
		{"204 and older tokens refused", func(t *testing.T, c *client) {
			old := c.approvedUser("ann@example.com")
			body := map[string]string{"current_password": userPassword, "new_password": "new-password-1"}
			r := c.postJSON("/change-password", body, old)
			if c.wantStatus(r, http.StatusNoContent) && len(r.raw) != 0 {
				c.errorf(r, "204 with body %s", snippet(r.raw))
			}
			c.want401(c.get(c.auth("/me"), old), true)
			c.want401(c.get("/probe/login", old), true)
			c.want401(c.postJSON("/change-password", body, old), true)
			c.wantStatus(c.loginResp("ann@example.com", userPassword), http.StatusUnauthorized)
			fresh := c.login("ann@example.com", "new-password-1")
			c.wantStatus(c.get(c.auth("/me"), fresh), http.StatusOK)
			c.wantStatus(c.get("/probe/login", fresh), http.StatusOK)
		}},
		{"400 current password wrong", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			body := map[string]string{"current_password": "wrong password", "new_password": "new-password-1"}
			c.wantStatus(c.postJSON("/change-password", body, tok), http.StatusBadRequest)
			c.wantStatus(c.get(c.auth("/me"), tok), http.StatusOK)
			c.login("ann@example.com", userPassword)
		}},
		{"422 new password fails the policy", func(t *testing.T, c *client) {
			tok := c.approvedUser("ann@example.com")
			for _, next := range []string{"short12", strings.Repeat("b", 73), ""} {
				body := map[string]string{"current_password": userPassword, "new_password": next}
				r := c.postJSON("/change-password", body, tok)
				if r.status != http.StatusUnprocessableEntity {
					c.errorf(r, "new password of %d bytes: status %d, want 422", len(next), r.status)
				}
			}
			body := fmt.Sprintf(`{"current_password": %q}`, userPassword)
			c.wantStatus(c.postJSON("/change-password", body, tok), http.StatusUnprocessableEntity)
			c.wantStatus(c.get(c.auth("/me"), tok), http.StatusOK)
			c.login("ann@example.com", userPassword)
		}},
	})
}
