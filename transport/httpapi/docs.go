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
	html := Response{Status: http.StatusOK, Header: Header{ContentType: "text/html; charset=utf-8"}, Body: page}
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
<link rel="stylesheet" href="{{.Assets}}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{.Assets}}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", window.location.href).href,
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

// swaggerUIPage renders the Swagger UI page loading its assets from
// assets, an http(s) URL or an absolute path.
func swaggerUIPage(assets, title string) ([]byte, error) {
	u, err := url.Parse(assets)
	if err != nil || (u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http") || (u.Scheme == "" && !strings.HasPrefix(assets, "/")) {
		return nil, fmt.Errorf("httpapi: Config.SwaggerUIAssets %q is not an http(s) URL or an absolute path", assets)
	}
	var b bytes.Buffer
	err = swaggerUITemplate.Execute(&b, struct{ Title, Assets string }{title, strings.TrimSuffix(assets, "/")})
	if err != nil {
		return nil, fmt.Errorf("httpapi: render the Swagger UI page: %w", err)
	}
	return b.Bytes(), nil
}
