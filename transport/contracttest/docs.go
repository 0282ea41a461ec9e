package contracttest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// contractRoutes are the operations of API.md, under a prefix.
var contractRoutes = []string{
	"POST /register", "POST /login", "GET /me", "POST /change-password",
	"GET /pending", "POST /approve", "POST /reject",
}

// docs checks the documentation routes: the OpenAPI document at
// <prefix>/openapi.json, which lists exactly the contract's operations, all
// of them served, and the Swagger UI page at <prefix>/docs when asked for.
func (s suite) docs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prefix    string
		swaggerUI bool
	}{
		{"default prefix, no Swagger UI", "", false},
		{"custom prefix, Swagger UI", "/api/v1/auth", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := s.server(t, options{prefix: tc.prefix, swaggerUI: tc.swaggerUI})
			c.checkOpenAPI()
			r := c.request(http.MethodGet, c.auth("/docs"), "", nil, "", false)
			if !tc.swaggerUI {
				c.wantStatus(r, http.StatusNotFound)
				return
			}
			if c.wantStatus(r, http.StatusOK) {
				if mt := mediaType(r.header); mt != "text/html" {
					c.errorf(r, "Content-Type %q, want text/html", r.header.Get("Content-Type"))
				}
				// The page takes an administrator's password: no other
				// site may frame it.
				if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
					c.errorf(r, "Content-Security-Policy %q, want frame-ancestors 'none'", csp)
				}
				if xfo := r.header.Get("X-Frame-Options"); xfo != "DENY" {
					c.errorf(r, "X-Frame-Options %q, want DENY", xfo)
				}
				for _, want := range []string{swaggerUIAssets + "/swagger-ui-bundle.js", swaggerUIAssets + "/swagger-ui.css", "openapi.json", "SwaggerUIBundle("} {
					if !strings.Contains(string(r.raw), want) {
						c.errorf(r, "the page does not hold %q", want)
					}
				}
			}
		})
	}
}

// swaggerUIAssets is where the suite's Swagger UI pages load their assets.
const swaggerUIAssets = "https://assets.example.com/swagger-ui-dist@5"

// checkOpenAPI fetches the OpenAPI document and checks it against the
// contract and against what the server serves.
func (c *client) checkOpenAPI() {
	c.t.Helper()
	r := c.get(c.auth("/openapi.json"), "")
	c.mustStatus(r, http.StatusOK)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type  string `json:"type"`
				Flows struct {
					Password struct {
						TokenURL string `json:"tokenUrl"`
					} `json:"password"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		c.fatalf(r, "not an OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		c.errorf(r, "openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var got, want []string
	for path, item := range doc.Paths {
		for method := range item {
			got = append(got, strings.ToUpper(method)+" "+path)
		}
	}
	for _, route := range contractRoutes {
		method, path, _ := strings.Cut(route, " ")
		want = append(want, method+" "+c.auth(path))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		c.errorf(r, "operations %v, want exactly %v", got, want)
	}
	scheme := doc.Components.SecuritySchemes["OAuth2PasswordBearer"]
	if scheme.Type != "oauth2" || scheme.Flows.Password.TokenURL != c.auth("/login") {
		c.errorf(r, "security scheme %+v, want oauth2 with the password flow's tokenUrl %s", scheme, c.auth("/login"))
	}
	// Every documented operation is served: the router knows it (no 404
	// or 405), whatever the handler says of an empty request.
	for _, op := range got {
		method, path, _ := strings.Cut(op, " ")
		resp := c.request(method, path, "application/json", "{}", "", true)
		if resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed {
			c.errorf(resp, "documented, but not served (%d)", resp.status)
		}
	}
	// The operations that need a token say so.
	for _, op := range []string{"get " + c.auth("/me"), "post " + c.auth("/change-password"), "get " + c.auth("/pending"), "post " + c.auth("/approve"), "post " + c.auth("/reject")} {
		method, path, _ := strings.Cut(op, " ")
		if sec, _ := doc.Paths[path][method]["security"].([]any); len(sec) == 0 {
			c.errorf(r, "%s has no security requirement: Swagger UI would not send the token", op)
		}
	}
}
