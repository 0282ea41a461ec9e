//go:build unix

package apidoc

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/examples/internal/walktest"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
)

// appRoutes are the example servers' own routes, which exampleapp.DocumentRoutes
// adds to the document.
var appRoutes = []string{"GET /orders", "GET /admin/stats", "GET /healthz"}

// TestOpenAPIDocumentValid checks the OpenAPI document exactly as the
// example servers serve it:
//
//   - kin-openapi loads it and validates it as an OpenAPI 3.1 document;
//   - its OAuth2 password flow points at the login route, and every
//     operation behind RequireLogin or RequireAdmin carries that security
//     (so Swagger UI sends the token);
//   - it lists every auth route the transport mounts (but the
//     documentation routes themselves) plus the three application routes,
//     and nothing else;
//   - the real nethttp example program serves the same document, routes
//     every documented operation (no 404 or 405), answers each with a
//     response the document declares, and serves the Swagger UI page.
func TestOpenAPIDocumentValid(t *testing.T) {
	ctx := context.Background()
	cfg := exampleConfig(t)
	body := servedDocument(t, cfg)

	v, err := newDocValidator(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	doc := v.doc
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}

	// The OAuth2 password flow Swagger UI's Authorize dialog uses.
	prefix := httpapi.DefaultPrefix
	scheme := doc.Components.SecuritySchemes[openapi.SecurityScheme]
	switch {
	case scheme == nil || scheme.Value == nil:
		t.Fatalf("no security scheme %q", openapi.SecurityScheme)
	case scheme.Value.Type != "oauth2" || scheme.Value.Flows == nil || scheme.Value.Flows.Password == nil:
		t.Errorf("security scheme %q is not an OAuth2 password flow: %+v", openapi.SecurityScheme, scheme.Value)
	case scheme.Value.Flows.Password.TokenURL != prefix+"/login":
		t.Errorf("tokenUrl %q, want %s", scheme.Value.Flows.Password.TokenURL, prefix+"/login")
	}
	secured := []string{"GET " + prefix + "/me", "POST " + prefix + "/change-password", "GET " + prefix + "/pending",
		"POST " + prefix + "/approve", "POST " + prefix + "/reject", "GET /orders", "GET /admin/stats"}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			hasBearer := op.Security != nil && len(*op.Security) == 1 && (*op.Security)[0][openapi.SecurityScheme] != nil
			if want := slices.Contains(secured, name); hasBearer != want {
				t.Errorf("%s: security %v, want the %s requirement: %v", name, op.Security, openapi.SecurityScheme, want)
			}
		}
	}

	// The document lists exactly the routes mounted, but its own.
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	docRoutes := []string{"GET " + prefix + "/openapi.json", "GET " + prefix + "/docs"}
	want := slices.Clone(appRoutes)
	var mounted []string
	for _, r := range api.Routes() {
		route := r.Method + " " + r.Path
		mounted = append(mounted, route)
		if !slices.Contains(docRoutes, route) {
			want = append(want, route)
		}
	}
	for _, r := range docRoutes {
		if !slices.Contains(mounted, r) {
			t.Errorf("the transport does not mount %s (Swagger UI is on by default in the examples)", r)
		}
	}
	got := slices.Sorted(maps.Keys(v.operations()))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("documented operations:\n  %v\nwant the mounted auth routes and the application routes:\n  %v", got, want)
	}

	// The real program serves that document and routes all of it.
	bin := exampleBinary(t)
	tmp := t.TempDir()
	prog := walktest.Start(t, "nethttp", bin, tmp, map[string]string{
		"ADDR":             "127.0.0.1:0",
		"AUTH_DB_URL":      "sqlite://" + filepath.Join(tmp, "users.db"),
		"AUTH_BCRYPT_COST": "4",
	})
	var served, inProcess any
	if err := json.Unmarshal(get(t, prog.URL+prefix+"/openapi.json", "application/json"), &served); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &inProcess); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(served, inProcess) {
		t.Errorf("the nethttp program serves another document than exampleapp.Settings with authsetup.New gives")
	}
	if page := get(t, prog.URL+prefix+"/docs", "text/html"); !strings.Contains(string(page), "SwaggerUIBundle(") {
		t.Errorf("GET %s/docs is not the Swagger UI page: %.300s", prefix, page)
	}
	for _, op := range got {
		method, path, _ := strings.Cut(op, " ")
		// No token and no body: the router must know the route, and the
		// handler's refusal must be a response the document declares.
		resp, respBody := send(t, method, prog.URL+path)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s: documented, but the nethttp program answers %d", op, resp.StatusCode)
			continue
		}
		res := v.check(resp.Request, nil, resp, respBody)
		if !res.documented {
			t.Errorf("%s: the validator's router does not find the operation", op)
		}
		for _, p := range res.problems {
			t.Errorf("%s (nethttp program): %s", op, p)
		}
		t.Logf("%s without a token: %d", op, resp.StatusCode)
	}
	// The routing check above is not vacuous: a method or path that is not
	// served is refused with 404 or 405.
	for _, probe := range []string{"DELETE " + prefix + "/me", "GET " + prefix + "/register", "GET " + prefix + "/nope", "GET /nope"} {
		method, path, _ := strings.Cut(probe, " ")
		if resp, _ := send(t, method, prog.URL+path); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 404 or 405 for a route that is not served", probe, resp.StatusCode)
		}
	}
	prog.Stop(t)
}

// send sends a request without a body or token and returns the response
// with its body read.
func send(t *testing.T, method, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
