package httpapi_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
)

// pageConfig matches what the Swagger UI page knows of the routes.
var pageConfig = regexp.MustCompile(`var page = (\{[^}]*\});`)

// TestSwaggerUIPageFindsItsMount checks what the Swagger UI page is given
// to find where it is mounted: its own path, the document's and the token
// URL the document names, all under the configured prefix, the token URL
// being the one the document holds. The page takes the mount point from
// its URL less the docs path; it needs no setting of its own.
func TestSwaggerUIPageFindsItsMount(t *testing.T) {
	for _, prefix := range []string{"", "/api/v1/auth"} {
		api := newDocAPI(t, httpapi.Config{SwaggerUI: true, Prefix: prefix})
		p := api.Prefix()
		page := string(route(t, api, "GET", p+"/docs")(context.Background(), httpapi.Request{}).Body)
		m := pageConfig.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("prefix %q: the page holds no paths for its script:\n%s", prefix, page)
		}
		var got struct{ Docs, Spec, TokenURL string }
		if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
			t.Fatalf("prefix %q: the page's paths %s: %v", prefix, m[1], err)
		}
		tokenURL := api.OpenAPI().Components.SecuritySchemes[openapi.SecurityScheme]["flows"].(map[string]any)["password"].(map[string]any)["tokenUrl"]
		if got.Docs != p+"/docs" || got.Spec != p+"/openapi.json" || got.TokenURL != p+"/login" || got.TokenURL != tokenURL {
			t.Errorf("prefix %q: the page knows %+v, want docs %s, spec %s and the document's tokenUrl %v", prefix, got, p+"/docs", p+"/openapi.json", tokenURL)
		}
		for _, want := range []string{"window.location.pathname", "spec: doc", "origin + base + page.tokenUrl", "doc.servers = [{url: origin + base}]"} {
			if !strings.Contains(page, want) {
				t.Errorf("prefix %q: the page's script lacks %q", prefix, want)
			}
		}
	}
}
