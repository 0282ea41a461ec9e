// Package openapi holds the types of an OpenAPI 3.1 document, as
// httpapi.API.OpenAPI builds it for the auth routes and an application
// extends it with its own (httpapi.Config.OpenAPI).
package openapi

import "net/http"

// Document is an OpenAPI 3.1 document: the subset of the specification the
// auth routes use, enough for an application to add its own routes before
// serving it (httpapi.Config.OpenAPI). Schemas are JSON Schema 2020-12 objects kept
// as maps.
type Document struct {
	OpenAPI    string               `json:"openapi"`
	Info       Info                 `json:"info"`
	Servers    []Server             `json:"servers,omitempty"`
	Paths      map[string]*PathItem `json:"paths"`
	Components Components           `json:"components"`
}

// Info is the document's title and version.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Server is a base URL of the API (set one when the routes are mounted
// under a framework group, such as "/api").
type Server struct {
	URL string `json:"url"`
}

// PathItem holds the operations of one path.
type PathItem struct {
	Get    *Operation `json:"get,omitempty"`
	Post   *Operation `json:"post,omitempty"`
	Put    *Operation `json:"put,omitempty"`
	Patch  *Operation `json:"patch,omitempty"`
	Delete *Operation `json:"delete,omitempty"`
}

// operation returns the field of p for method (nil for another method).
func (p *PathItem) operation(method string) **Operation {
	switch method {
	case http.MethodGet:
		return &p.Get
	case http.MethodPost:
		return &p.Post
	case http.MethodPut:
		return &p.Put
	case http.MethodPatch:
		return &p.Patch
	case http.MethodDelete:
		return &p.Delete
	}
	return nil
}

// Operation is one method on one path.
type Operation struct {
	OperationID string                `json:"operationId,omitempty"`
	Summary     string                `json:"summary,omitempty"`
	Description string                `json:"description,omitempty"`
	Tags        []string              `json:"tags,omitempty"`
	Security    []map[string][]string `json:"security,omitempty"`
	Parameters  []Parameter           `json:"parameters,omitempty"`
	RequestBody *RequestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*Response  `json:"responses"`
}

// Parameter is a query, path or header parameter.
type Parameter struct {
	Name        string         `json:"name"`
	In          string         `json:"in"`
	Description string         `json:"description,omitempty"`
	Required    bool           `json:"required,omitempty"`
	Schema      map[string]any `json:"schema"`
}

// RequestBody is what an operation accepts, by media type.
type RequestBody struct {
	Required bool                 `json:"required,omitempty"`
	Content  map[string]MediaType `json:"content"`
}

// MediaType is the schema of one media type.
type MediaType struct {
	Schema map[string]any `json:"schema"`
}

// Response is one status of an operation.
type Response struct {
	Description string               `json:"description"`
	Headers     map[string]Header    `json:"headers,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Header is a response header.
type Header struct {
	Description string         `json:"description,omitempty"`
	Required    bool           `json:"required,omitempty"`
	Schema      map[string]any `json:"schema"`
}

// Components holds the schemas and security schemes the operations refer
// to.
type Components struct {
	Schemas         map[string]map[string]any `json:"schemas,omitempty"`
	SecuritySchemes map[string]map[string]any `json:"securitySchemes,omitempty"`
}

// SecurityScheme is the name of the OAuth2 password-flow scheme in
// Components.SecuritySchemes. Bearer is the Security of an operation that
// needs a token: with it, Swagger UI sends the token it got at Authorize.
const SecurityScheme = "OAuth2PasswordBearer"

// Bearer returns the Security of an operation that needs a bearer token.
func Bearer() []map[string][]string { return []map[string][]string{{SecurityScheme: {}}} }

// Ref returns a JSON Schema reference to a schema of Components.Schemas.
func Ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// Problem returns the content of an RFC 9457 problem document, the body of
// every error the auth routes and their middleware answer.
func Problem() map[string]MediaType {
	return map[string]MediaType{"application/problem+json": {Schema: Ref("Problem")}}
}

// JSON returns the content of an application/json body of schema.
func JSON(schema map[string]any) map[string]MediaType {
	return map[string]MediaType{"application/json": {Schema: schema}}
}

// AddOperation sets the operation of method on path (creating the path),
// for an application that adds its own routes to the document.
//
// It knows GET, POST, PUT, PATCH and DELETE; any other method is ignored.
func (d *Document) AddOperation(method, path string, op *Operation) {
	if d.Paths == nil {
		d.Paths = make(map[string]*PathItem)
	}
	item := d.Paths[path]
	if item == nil {
		item = &PathItem{}
		d.Paths[path] = item
	}
	if field := item.operation(method); field != nil {
		*field = op
	}
}

// Operation returns the operation of method on path, or nil.
func (d *Document) Operation(method, path string) *Operation {
	item := d.Paths[path]
	if item == nil {
		return nil
	}
	if field := item.operation(method); field != nil {
		return *field
	}
	return nil
}
