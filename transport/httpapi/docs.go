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
	page, err := swaggerUIPage(cmp.Or(cfg.SwaggerUIAssets, DefaultSwaggerUIAssets), doc.Info.Title)
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

// swaggerUITemplate is the page FastAPI serves at /docs, give or take: the
// document is read from openapi.json next to the page, so the page works
// under any prefix or group.
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
window.ui = SwaggerUIBundle({
  // openapi.json sits next to this page, whatever prefix or group serves
  // it (and with or without a trailing slash after docs).
  url: window.location.pathname.replace(/\/docs\/?$/, "/openapi.json"),
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  showCommonExtensions: true
});
</script>
</body>
</html>
`))

// Subresource Integrity of the files of swagger-ui-dist SwaggerUIVersion,
// checked when the page loads them from DefaultSwaggerUIAssets.
const (
	swaggerUIBundleIntegrity = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
	swaggerUICSSIntegrity    = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
)

// swaggerUIPage renders the Swagger UI page loading its assets from
// assets, an http(s) URL or an absolute path.
func swaggerUIPage(assets, title string) ([]byte, error) {
	u, err := url.Parse(assets)
	if err != nil || (u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http") ||
		(u.Scheme == "" && (!strings.HasPrefix(assets, "/") || strings.HasPrefix(assets, "//"))) {
		return nil, fmt.Errorf("httpapi: Config.SwaggerUIAssets %q is not an http(s) URL or an absolute path", assets)
	}
	data := struct{ Title, Assets, JSIntegrity, CSSIntegrity string }{Title: title, Assets: strings.TrimSuffix(assets, "/")}
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
