package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// addDocs adds the routes that serve the documentation: the OpenAPI
// document, and the Swagger UI page if cfg asks for it.
func (a *API) addDocs(cfg Config) error {
	doc := a.OpenAPI()
	if cfg.OpenAPI != nil {
		cfg.OpenAPI(doc)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("httpapi: encode the OpenAPI document: %w", err)
	}
	spec := Response{Status: http.StatusOK, Header: Header{ContentType: contentTypeJSON}, Body: body}
	a.routes = append(a.routes, Route{Method: http.MethodGet, Path: a.prefix + "/openapi.json", Handle: func(context.Context, Request) Response { return spec }})
	if !cfg.SwaggerUI {
		return nil
	}
	page, err := swaggerUIPage(cmp.Or(cfg.SwaggerUIAssets, DefaultSwaggerUIAssets), doc.Info.Title, swaggerUIPaths{
		Docs:     a.prefix + "/docs",
		Spec:     a.prefix + "/openapi.json",
		TokenURL: a.tokenURL(),
	})
	if err != nil {
		return err
	}
	// The page takes an administrator's password: no other site may frame
	// it (clickjacking).
	html := Response{Status: http.StatusOK, Header: Header{
		ContentType:           "text/html; charset=utf-8",
		ContentSecurityPolicy: "frame-ancestors 'none'",
		FrameOptions:          "DENY",
	}, Body: page}
	a.routes = append(a.routes, Route{Method: http.MethodGet, Path: a.prefix + "/docs", Handle: func(context.Context, Request) Response { return html }})
	return nil
}

// swaggerUITemplate is the page FastAPI serves at /docs, give or take. It
// finds where it is mounted at run time, so that it works under any
// prefix, framework group or sub-router (http.StripPrefix) with no
// setting: the mount point is the page's own path less the docs path the
// API knows (Page.Docs). It fetches the document from there and, before
// handing it to Swagger UI, points it at the mount point: the document
// names its paths and the OAuth2 token URL from the root of the server
// the routes are mounted on (as Page.TokenURL), which Swagger UI would
// resolve against the host's root. The page adds a server for the mount
// point if the document names none, and makes a token URL that is still
// Page.TokenURL absolute; a document an OpenAPI hook gave servers or
// another token URL keeps them. Served at a path that does not end with
// Page.Docs (a proxy that rewrites paths), it reads openapi.json next to
// itself and changes nothing.
var swaggerUITemplate = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Swagger UI</title>
<link rel="stylesheet" href="{{.Assets}}/swagger-ui.css"{{with .CSSIntegrity}} integrity="{{.}}" crossorigin="anonymous"{{end}}>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{.Assets}}/swagger-ui-bundle.js"{{with .JSIntegrity}} integrity="{{.}}" crossorigin="anonymous"{{end}}></script>
<script>
(function () {
  var page = {{.Page}};
  var path = window.location.pathname.replace(/\/+$/, "").replace(/^\/+/, "/");
  var mounted = path.length >= page.docs.length && path.slice(path.length - page.docs.length) === page.docs;
  var base = mounted ? path.slice(0, path.length - page.docs.length) : "";
  var spec = mounted ? base + page.spec : path.replace(/\/docs$/, "/openapi.json");
  fetch(spec, {credentials: "same-origin", headers: {Accept: "application/json"}}).then(function (r) {
    if (!r.ok) {
      throw new Error("GET " + spec + ": " + r.status);
    }
    return r.json();
  }).then(function (doc) {
    if (mounted) {
      var origin = window.location.origin;
      if (!doc.servers || doc.servers.length === 0) {
        doc.servers = [{url: origin + base}];
      }
      var schemes = (doc.components && doc.components.securitySchemes) || {};
      Object.keys(schemes).forEach(function (name) {
        var flows = schemes[name].flows || {};
        Object.keys(flows).forEach(function (flow) {
          if (flows[flow].tokenUrl === page.tokenUrl) {
            flows[flow].tokenUrl = origin + base + page.tokenUrl;
          }
        });
      });
    }
    window.ui = SwaggerUIBundle({
      spec: doc,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      showCommonExtensions: true
    });
  }).catch(function (err) {
    document.getElementById("swagger-ui").textContent = "The API document could not be loaded: " + err.message;
  });
})();
</script>
</body>
</html>
`))

// swaggerUIPaths is what the Swagger UI page knows of the routes, each a
// path from the root of the server the routes are mounted on: the page's
// own (Prefix+"/docs"), the document's (Prefix+"/openapi.json"), and the
// token URL the document names (Prefix+"/login").
type swaggerUIPaths struct {
	Docs     string `json:"docs"`
	Spec     string `json:"spec"`
	TokenURL string `json:"tokenUrl"`
}

// Subresource Integrity of the files of swagger-ui-dist SwaggerUIVersion,
// checked when the page loads them from DefaultSwaggerUIAssets.
const (
	swaggerUIBundleIntegrity = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
	swaggerUICSSIntegrity    = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
)

// swaggerUIPage renders the Swagger UI page loading its assets from
// assets, an http(s) URL or an absolute path, for the routes at paths.
func swaggerUIPage(assets, title string, paths swaggerUIPaths) ([]byte, error) {
	u, err := url.Parse(assets)
	if err != nil || (u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http") ||
		(u.Scheme == "" && (!strings.HasPrefix(assets, "/") || strings.HasPrefix(assets, "//"))) {
		return nil, fmt.Errorf("httpapi: Config.SwaggerUIAssets %q is not an http(s) URL or an absolute path", assets)
	}
	data := struct {
		Title, Assets, JSIntegrity, CSSIntegrity string
		Page                                     swaggerUIPaths
	}{Title: title, Assets: strings.TrimSuffix(assets, "/"), Page: paths}
	if data.Assets == DefaultSwaggerUIAssets {
		data.JSIntegrity, data.CSSIntegrity = swaggerUIBundleIntegrity, swaggerUICSSIntegrity
	}
	var b bytes.Buffer
	err = swaggerUITemplate.Execute(&b, data)
	if err != nil {
		return nil, fmt.Errorf("httpapi: render the Swagger UI page: %w", err)
	}
	return b.Bytes(), nil
}
