package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// newDocAPI returns an API for cfg (its Service filled in).
func newDocAPI(t *testing.T, cfg httpapi.Config) *httpapi.API {
	t.Helper()
	cfg.Service = newService(t, usecase.Config{})
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// isDocRoute reports whether r serves the documentation itself.
func isDocRoute(prefix string, r httpapi.Route) bool {
	return r.Path == prefix+"/openapi.json" || r.Path == prefix+"/docs"
}

// The document lists exactly the routes the adapters mount (but the two
// that serve the documentation), under the configured prefix.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	for _, prefix := range []string{"", "/api/v1/auth"} {
		api := newDocAPI(t, httpapi.Config{Prefix: prefix, SwaggerUI: true})
		doc := api.OpenAPI()
		var routed, documented []string
		for _, r := range api.Routes() {
			if isDocRoute(api.Prefix(), r) {
				if doc.Operation(r.Method, r.Path) != nil {
					t.Errorf("%s %s (documentation) is in the document", r.Method, r.Path)
				}
				continue
			}
			routed = append(routed, r.Method+" "+r.Path)
		}
		for path, item := range doc.Paths {
			for method, op := range map[string]*openapi.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if op != nil {
					documented = append(documented, method+" "+path)
				}
			}
		}
		slices.Sort(routed)
		slices.Sort(documented)
		if len(routed) != 7 || !slices.Equal(routed, documented) {
			t.Errorf("prefix %q: routes %v, documented %v", prefix, routed, documented)
		}
		for _, r := range routed {
			if !strings.HasPrefix(strings.SplitN(r, " ", 2)[1], api.Prefix()+"/") {
				t.Errorf("%s is not under the prefix %s", r, api.Prefix())
			}
		}
		flows := doc.Components.SecuritySchemes[openapi.SecurityScheme]["flows"].(map[string]any)
		if got := flows["password"].(map[string]any)["tokenUrl"]; got != api.Prefix()+"/login" {
			t.Errorf("tokenUrl %v, want %s", got, api.Prefix()+"/login")
		}
	}
}

// Every operation declares the statuses the handlers answer, and the ones
// that need a token carry the bearer security.
func TestOpenAPIOperations(t *testing.T) {
	doc := newDocAPI(t, httpapi.Config{}).OpenAPI()
	for _, tc := range []struct {
		method, path string
		secured      bool
		statuses     []string
	}{
		{"POST", "/auth/register", false, []string{"201", "400", "409", "413", "415", "422", "429", "500", "503"}},
		{"POST", "/auth/login", false, []string{"200", "400", "401", "403", "413", "415", "422", "429", "500", "503"}},
		{"GET", "/auth/me", true, []string{"200", "400", "401", "500", "503"}},
		{"POST", "/auth/change-password", true, []string{"204", "400", "401", "413", "415", "422", "429", "500", "503"}},
		{"GET", "/auth/pending", true, []string{"200", "400", "401", "403", "422", "500", "503"}},
		{"POST", "/auth/approve", true, []string{"200", "400", "401", "403", "404", "413", "415", "422", "500", "503"}},
		{"POST", "/auth/reject", true, []string{"200", "400", "401", "403", "404", "409", "413", "415", "422", "500", "503"}},
	} {
		op := doc.Operation(tc.method, tc.path)
		if op == nil {
			t.Errorf("%s %s: not documented", tc.method, tc.path)
			continue
		}
		var got []string
		for status := range op.Responses {
			got = append(got, status)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.statuses) {
			t.Errorf("%s %s: statuses %v, want %v", tc.method, tc.path, got, tc.statuses)
		}
		if secured := len(op.Security) > 0; secured != tc.secured {
			t.Errorf("%s %s: secured %v, want %v", tc.method, tc.path, secured, tc.secured)
		}
		for status, r := range op.Responses {
			if status >= "400" && r.Content["application/problem+json"].Schema["$ref"] != "#/components/schemas/Problem" {
				t.Errorf("%s %s: %s is not a problem document", tc.method, tc.path, status)
			}
		}
	}
	login := doc.Operation("POST", "/auth/login")
	if _, ok := login.RequestBody.Content["application/x-www-form-urlencoded"]; !ok {
		t.Error("login does not take the OAuth2 password form")
	}
	for _, name := range []string{"User", "Me", "Token", "Problem", "Credentials", "LoginForm", "LoginJSON", "ChangePassword", "EmailBody"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
}

// GET <prefix>/openapi.json serves the document, after Config.OpenAPI has
// edited it once; OpenAPI returns a fresh document each time.
func TestOpenAPIServed(t *testing.T) {
	calls := 0
	api := newDocAPI(t, httpapi.Config{OpenAPI: func(d *openapi.Document) {
		calls++
		d.AddOperation("GET", "/orders", &openapi.Operation{
			Summary: "The caller's orders", Security: openapi.Bearer(),
			Responses: map[string]*openapi.Response{"200": {Description: "Orders", Content: openapi.JSON(map[string]any{"type": "object"})}},
		})
	}})
	resp := route(t, api, "GET", "/auth/openapi.json")(context.Background(), httpapi.Request{})
	if resp.Status != http.StatusOK || resp.Header.ContentType != "application/json" {
		t.Fatalf("GET /auth/openapi.json: %d %q", resp.Status, resp.Header.ContentType)
	}
	var served openapi.Document
	if err := json.Unmarshal(resp.Body, &served); err != nil {
		t.Fatal(err)
	}
	if served.OpenAPI != "3.1.0" || served.Operation("GET", "/orders") == nil || served.Operation("POST", "/auth/login") == nil {
		t.Errorf("served document lacks the application's or the auth routes: %s", resp.Body)
	}
	route(t, api, "GET", "/auth/openapi.json")(context.Background(), httpapi.Request{})
	if calls != 1 {
		t.Errorf("Config.OpenAPI ran %d times, want once", calls)
	}
	fresh := api.OpenAPI()
	if fresh.Operation("GET", "/orders") != nil {
		t.Error("OpenAPI returned the edited document, not a fresh one")
	}
	plain, err := json.Marshal(newDocAPI(t, httpapi.Config{}).OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	resp = route(t, newDocAPI(t, httpapi.Config{}), "GET", "/auth/openapi.json")(context.Background(), httpapi.Request{})
	if !bytes.Equal(resp.Body, plain) {
		t.Error("without Config.OpenAPI, the served document differs from API.OpenAPI")
	}
}

// The Swagger UI page is served only when asked for, loads its assets from
// the configured place, and refuses an asset location that is not a URL.
func TestSwaggerUIPage(t *testing.T) {
	for _, r := range newDocAPI(t, httpapi.Config{}).Routes() {
		if r.Path == "/auth/docs" {
			t.Fatal("/auth/docs served without Config.SwaggerUI")
		}
	}
	for _, tc := range []struct{ assets, want string }{
		{"", httpapi.DefaultSwaggerUIAssets},
		{"http://127.0.0.1:9999/swagger-ui-dist/", "http://127.0.0.1:9999/swagger-ui-dist"},
		{"/static/swagger", "/static/swagger"},
	} {
		api := newDocAPI(t, httpapi.Config{SwaggerUI: true, SwaggerUIAssets: tc.assets})
		resp := route(t, api, "GET", "/auth/docs")(context.Background(), httpapi.Request{})
		page := string(resp.Body)
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.ContentType, "text/html") {
			t.Fatalf("GET /auth/docs: %d %q", resp.Status, resp.Header.ContentType)
		}
		for _, want := range []string{`href="` + tc.want + `/swagger-ui.css"`, `src="` + tc.want + `/swagger-ui-bundle.js"`, `/openapi.json"`} {
			if !strings.Contains(page, want) {
				t.Errorf("assets %q: the page lacks %s:\n%s", tc.assets, want, page)
			}
		}
		// The pinned default release is checked with Subresource
		// Integrity; files from elsewhere cannot be.
		if got, want := strings.Count(page, `integrity="sha384-`), map[bool]int{true: 2, false: 0}[tc.want == httpapi.DefaultSwaggerUIAssets]; got != want {
			t.Errorf("assets %q: %d integrity attributes, want %d", tc.assets, got, want)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "relative/path", "ftp://example.com/x", "http://[::1", "//evil.example/swagger"} {
		_, err := httpapi.New(httpapi.Config{Service: newService(t, usecase.Config{}), SwaggerUI: true, SwaggerUIAssets: bad})
		if err == nil {
			t.Errorf("SwaggerUIAssets %q accepted", bad)
		}
	}
	// Quotes in a URL cannot break out of the attribute.
	api := newDocAPI(t, httpapi.Config{SwaggerUI: true, SwaggerUIAssets: `https://x.example/"><script>alert(1)</script>`})
	page := string(route(t, api, "GET", "/auth/docs")(context.Background(), httpapi.Request{}).Body)
	if strings.Contains(page, "<script>alert(1)") {
		t.Errorf("the asset URL was not escaped:\n%s", page)
	}
}

// Each document is the caller's: editing one (its security requirements
// included) changes no other, and the helpers work on a zero Document.
func TestOpenAPIDocumentsAreIndependent(t *testing.T) {
	api := newDocAPI(t, httpapi.Config{})
	a, b := api.OpenAPI(), api.OpenAPI()
	a.Operation("GET", "/auth/me").Security[0][openapi.SecurityScheme] = append(a.Operation("GET", "/auth/me").Security[0][openapi.SecurityScheme], "admin")
	tokenURL := func(d *openapi.Document) any {
		return d.Components.SecuritySchemes[openapi.SecurityScheme]["flows"].(map[string]any)["password"].(map[string]any)["tokenUrl"]
	}
	a.Components.SecuritySchemes[openapi.SecurityScheme]["flows"].(map[string]any)["password"].(map[string]any)["tokenUrl"] = "/api/auth/login"
	for _, op := range []*openapi.Operation{a.Operation("GET", "/auth/pending"), b.Operation("GET", "/auth/me")} {
		if scopes := op.Security[0][openapi.SecurityScheme]; len(scopes) != 0 {
			t.Errorf("editing one operation's security changed another's: %v", scopes)
		}
	}
	if got := tokenURL(b); got != "/auth/login" {
		t.Errorf("changing one document's tokenUrl changed another's to %v", got)
	}
	var zero openapi.Document
	zero.AddOperation("GET", "/x", &openapi.Operation{Summary: "x"})
	if zero.Operation("GET", "/x") == nil {
		t.Error("AddOperation on a zero Document lost the operation")
	}
}
