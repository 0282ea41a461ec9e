package contracttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
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
// of them served, and the Swagger UI page at <prefix>/docs when asked for;
// and that both work unchanged when the server is reached under a further
// prefix (checkMountedDocs).
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
			c.checkMountedDocs("/extra/mount")
		})
	}
}

// pagePaths matches what the Swagger UI page's script is told of the
// routes: its own path, the document's and the document's token URL, each
// from the root of the server the routes are mounted on.
var pagePaths = regexp.MustCompile(`var page = (\{[^}]*\});`)

// checkMountedDocs checks that the documentation works with no setting
// when the server is reached under a further prefix, extra, as an
// application mounts the routes with http.StripPrefix, a sub-router or a
// framework group: the suite puts a reverse proxy in front of the server
// that serves it under extra, and does what the Swagger UI page's script
// does. The page finds the mount point as its own path less the docs path
// it is told, fetches the document there, and points the token URL and
// the operations (a server) at the mount point: so the token URL the
// document names must be the one the page is told, the document must name
// no servers, and login and a protected operation must work at the mount
// point. Without Swagger UI only the document is checked.
func (c *client) checkMountedDocs(extra string) {
	c.t.Helper()
	target, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatalf("%s: base URL %q: %v", c.name, c.base, err)
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, extra+"/") {
			http.NotFound(w, r)
			return
		}
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, extra)
			pr.Out.URL.RawPath = ""
		}}).ServeHTTP(w, r)
	}))
	c.t.Cleanup(proxy.Close)
	m := *c
	m.base = proxy.URL + extra
	m.check = nil // the exchanges' paths carry extra, which the document does not
	mounted := &m

	docs := mounted.request(http.MethodGet, c.auth("/docs"), "", nil, "", false)
	spec := c.auth("/openapi.json")
	tokenURL := c.auth("/login")
	if docs.status == http.StatusOK {
		match := pagePaths.FindSubmatch(docs.raw)
		var page struct {
			Docs     string `json:"docs"`
			Spec     string `json:"spec"`
			TokenURL string `json:"tokenUrl"`
		}
		if match == nil || json.Unmarshal(match[1], &page) != nil {
			mounted.fatalf(docs, "the Swagger UI page tells its script no paths (want var page = {\"docs\": ..., \"spec\": ..., \"tokenUrl\": ...})")
		}
		// The page's path is extra + page.Docs: the script finds extra.
		if page.Docs != c.auth("/docs") {
			mounted.errorf(docs, "the page is told its path is %q; served at %s, it would not find its mount point %s", page.Docs, extra+c.auth("/docs"), extra)
		}
		spec, tokenURL = page.Spec, page.TokenURL
	}
	r := mounted.get(spec, "")
	if !mounted.wantStatus(r, http.StatusOK) {
		return
	}
	var doc struct {
		Servers    []any         `json:"servers"`
		Components docComponents `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		mounted.fatalf(r, "not an OpenAPI document: %v", err)
	}
	if got := doc.Components.SecuritySchemes["OAuth2PasswordBearer"].Flows.Password.TokenURL; got != tokenURL {
		mounted.errorf(r, "tokenUrl %q, want %q, which the Swagger UI page moves to its mount point", got, tokenURL)
	}
	if len(doc.Servers) != 0 {
		mounted.errorf(r, "servers %v, want none: the Swagger UI page names its mount point as the server", doc.Servers)
	}
	// What Swagger UI then does: log in at the token URL, call a
	// protected operation at the mount point.
	login := mounted.request(http.MethodPost, tokenURL, "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"password"}, "username": {adminEmail}, "password": {adminPassword}}, "", true)
	if !mounted.wantStatus(login, http.StatusOK) {
		return
	}
	token, _ := mounted.object(login)["access_token"].(string)
	me := mounted.get(c.auth("/me"), token)
	if mounted.wantStatus(me, http.StatusOK) {
		if email := mounted.object(me)["email"]; email != adminEmail {
			mounted.errorf(me, "email %v, want %s", email, adminEmail)
		}
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
		Components docComponents                        `json:"components"`
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

// docComponents is the part of an OpenAPI document that names the
// security schemes and the OAuth2 token URL.
type docComponents struct {
	SecuritySchemes map[string]struct {
		Type  string `json:"type"`
		Flows struct {
			Password struct {
				TokenURL string `json:"tokenUrl"`
			} `json:"password"`
		} `json:"flows"`
	} `json:"securitySchemes"`
}
