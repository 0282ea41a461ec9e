package echoauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/echoauth"
)

// adminEmail is the administrator newKit stores, with authtest.Password.
const adminEmail = "boss@example.com"

// newKit returns a test kit whose store holds one administrator, adminEmail.
func newKit() *authtest.Kit {
	kit := authtest.New()
	kit.Admin(adminEmail)
	return kit
}

// serve runs one request through e and returns the recorder.
func serve(e *echo.Echo, method, target, contentType, body, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set(echo.HeaderContentType, contentType)
	}
	if token != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// login returns an access token for the admin, via loginPath.
func login(t *testing.T, e *echo.Echo, loginPath string) string {
	t.Helper()
	form := url.Values{"username": {adminEmail}, "password": {authtest.Password}}.Encode()
	rec := serve(e, http.MethodPost, loginPath, echo.MIMEApplicationForm, form, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", loginPath, rec.Code, rec.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("POST %s: no access token in %s (%v)", loginPath, rec.Body, err)
	}
	return tok.AccessToken
}

func TestNew(t *testing.T) {
	svc := authtest.New().Service
	tests := []struct {
		name    string
		cfg     echoauth.Config
		wantErr bool
	}{
		{"defaults", echoauth.Config{Service: svc}, false},
		{"custom prefix", echoauth.Config{Service: svc, Prefix: "/users"}, false},
		{"nil service", echoauth.Config{}, true},
		{"prefix without slash", echoauth.Config{Service: svc, Prefix: "auth"}, true},
		{"prefix with trailing slash", echoauth.Config{Service: svc, Prefix: "/auth/"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := echoauth.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "echoauth: ") {
				t.Errorf("New: error %q does not start with the package's name", err)
			}
			if err == nil && a == nil {
				t.Fatal("New returned nil Auth and nil error")
			}
			if _, err := echoauth.Setup(echo.New(), tt.cfg); (err != nil) != tt.wantErr {
				t.Fatalf("Setup: error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestMountOnGroup checks that the routes land under a group's prefix and
// that the middleware works on group routes.
func TestMountOnGroup(t *testing.T) {
	e := echo.New()
	api := e.Group("/api")
	auth, err := echoauth.Setup(api, newKit().HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	api.GET("/orders", func(c echo.Context) error {
		claims, _ := echoauth.ClaimsFrom(c)
		return c.String(http.StatusOK, claims.Subject)
	}, auth.RequireLogin())

	body := `{"email": "ann@example.com", "password": "correct horse"}`
	if rec := serve(e, http.MethodPost, "/api/auth/register", echo.MIMEApplicationJSON, body, ""); rec.Code != http.StatusCreated {
		t.Errorf("POST /api/auth/register: status %d, want 201; body %s", rec.Code, rec.Body)
	}
	if rec := serve(e, http.MethodPost, "/auth/register", echo.MIMEApplicationJSON, body, ""); rec.Code != http.StatusNotFound {
		t.Errorf("POST /auth/register outside the group: status %d, want 404", rec.Code)
	}
	tok := login(t, e, "/api/auth/login")
	if rec := serve(e, http.MethodGet, "/api/auth/me", "", "", tok); rec.Code != http.StatusOK {
		t.Errorf("GET /api/auth/me: status %d, want 200; body %s", rec.Code, rec.Body)
	}
	rec := serve(e, http.MethodGet, "/api/orders", "", "", tok)
	if rec.Code != http.StatusOK || rec.Body.String() != adminEmail {
		t.Errorf("GET /api/orders: status %d body %q, want 200 %q", rec.Code, rec.Body, adminEmail)
	}
}

// TestMiddlewareErrors checks that the middleware answers with the shared
// core's problem documents, not Echo's own error bodies.
func TestMiddlewareErrors(t *testing.T) {
	e := echo.New()
	kit := newKit()
	auth, err := echoauth.Setup(e, kit.HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusOK) }
	e.GET("/login", ok, auth.RequireLogin())
	e.GET("/admin", ok, auth.RequireAdmin())

	// A non-admin user's token, and the admin's from the login route.
	kit.User("ann@example.com")
	user := kit.Token("ann@example.com", nil)
	admin := login(t, e, "/auth/login")

	tests := []struct {
		name       string
		path       string
		token      string
		wantStatus int
		wantAuth   string
	}{
		{"login, no token", "/login", "", 401, "Bearer"},
		{"login, bad token", "/login", "not-a-jwt", 401, `Bearer error="invalid_token"`},
		{"login, user", "/login", user, 200, ""},
		{"admin, no token", "/admin", "", 401, "Bearer"},
		{"admin, bad token", "/admin", "not-a-jwt", 401, `Bearer error="invalid_token"`},
		{"admin, user", "/admin", user, 403, ""},
		{"admin, admin", "/admin", admin, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(e, http.MethodGet, tt.path, "", "", tt.token)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantAuth)
			}
			if tt.wantStatus == 200 {
				return
			}
			if ct := rec.Header().Get(echo.HeaderContentType); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var doc struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Status != tt.wantStatus || doc.Type != "about:blank" || doc.Detail == "" {
				t.Errorf("body %s is not the %d problem document (%v)", rec.Body, tt.wantStatus, err)
			}
		})
	}
}

// TestPrincipalPerRequest checks that the principal RequireLogin stores
// belongs to its request only: Echo pools its contexts, and a later request
// on a recycled context must not see an earlier request's claims.
func TestPrincipalPerRequest(t *testing.T) {
	e := echo.New()
	auth, err := echoauth.Setup(e, newKit().HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	report := func(c echo.Context) error {
		claims, ok := echoauth.ClaimsFrom(c)
		_, okP := echoauth.PrincipalFrom(c)
		if ok != okP {
			t.Errorf("ClaimsFrom ok %v but PrincipalFrom ok %v", ok, okP)
		}
		if !ok {
			return c.String(http.StatusOK, "none")
		}
		return c.String(http.StatusOK, claims.Subject)
	}
	e.GET("/protected", report, auth.RequireLogin())
	e.GET("/public", report)

	tok := login(t, e, "/auth/login")
	for i := range 5 {
		if rec := serve(e, http.MethodGet, "/protected", "", "", tok); rec.Body.String() != adminEmail {
			t.Fatalf("round %d: GET /protected saw %q, want %q", i, rec.Body, adminEmail)
		}
		if rec := serve(e, http.MethodGet, "/public", "", "", ""); rec.Body.String() != "none" {
			t.Fatalf("round %d: GET /public after a protected request saw claims %q", i, rec.Body)
		}
	}

	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	if claims, ok := echoauth.ClaimsFrom(c); ok {
		t.Errorf("ClaimsFrom on a fresh context = %+v, true; want false", claims)
	}
	if _, ok := echoauth.PrincipalFrom(c); ok {
		t.Error("PrincipalFrom on a fresh context reported true")
	}
	// Another package's value under a similar key is not a principal.
	c.Set("principal", "not a principal")
	if _, ok := echoauth.ClaimsFrom(c); ok {
		t.Error("ClaimsFrom read a value stored under another key")
	}
}
