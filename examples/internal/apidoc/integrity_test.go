//go:build unix

package apidoc

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// The default Swagger UI page pins swagger-ui-dist httpapi.SwaggerUIVersion
// on the CDN and checks its files with Subresource Integrity: the hashes
// must be those of that release's files (as npm ships them, and as jsDelivr
// serves them), or every browser would refuse to run the page.
func TestSwaggerUIIntegrity(t *testing.T) {
	dir := swaggerUIDist(t)
	var pkg struct{ Version string }
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Version != httpapi.SwaggerUIVersion {
		skipBrowser(t, "swagger-ui-dist in %s is %s, not %s: cannot check the default page's integrity hashes", dir, pkg.Version, httpapi.SwaggerUIVersion)
	}
	cfg := exampleConfig(t)
	cfg.SwaggerUIAssets = "" // the default CDN
	mux := http.NewServeMux()
	if _, err := httpauth.Setup(mux, cfg); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mux)
	defer ts.Close()
	page := string(get(t, ts.URL+"/auth/docs", "text/html"))
	for _, file := range []string{"swagger-ui-bundle.js", "swagger-ui.css"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum384(data)
		want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
		re := regexp.MustCompile(regexp.QuoteMeta(httpapi.DefaultSwaggerUIAssets+"/"+file) + `" integrity="([^"]+)"`)
		m := re.FindStringSubmatch(page)
		if m == nil {
			t.Errorf("the default page loads %s without an integrity attribute:\n%s", file, page)
			continue
		}
		if got := html.UnescapeString(m[1]); got != want { // as the browser reads the attribute
			t.Errorf("%s: integrity %s, but swagger-ui-dist %s's file hashes to %s", file, got, pkg.Version, want)
		}
	}
}
