package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/authadmin/authadmin/transport/httpapi/openapi"
)

var (
	ref         = openapi.Ref
	jsonContent = openapi.JSON
)

// statusText describes a status in the document.
var statusText = map[int]string{
	http.StatusBadRequest:            "Malformed body (not JSON or form, trailing data, wrong types, unknown or repeated fields), or a query string that does not parse",
	http.StatusUnauthorized:          "Missing, invalid or expired bearer token, or a token its user no longer backs",
	http.StatusForbidden:             "Authenticated, but not allowed",
	http.StatusNotFound:              "No such user",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Body over the size limit",
	http.StatusUnsupportedMediaType:  "Wrong Content-Type",
	http.StatusUnprocessableEntity:   "Well-formed but invalid or missing values",
	http.StatusTooManyRequests:       "Too many failed password checks; retry after Retry-After seconds, whatever the password",
	http.StatusInternalServerError:   "Server-side failure (the cause is logged, never sent)",
	http.StatusServiceUnavailable:    "The user store did not answer in time, or the request ran out of time; retry after Retry-After seconds",
}

// tokenURL is the token URL of the OAuth2 password flow: the login route,
// from the root of the server the routes are mounted on.
func (a *API) tokenURL() string { return a.prefix + "/login" }

// problemResponses returns problem-document responses for statuses, plus
// the 500 and the 503 (a store that does not answer, a request out of
// time) any route may answer. details overrides the description of a
// status. (A 431 is the HTTP server's, before any route runs, and net/http
// answers it in plain text: it is not the operations' to declare.)
func problemResponses(details map[int]string, statuses ...int) map[string]*openapi.Response {
	out := make(map[string]*openapi.Response)
	for _, status := range append(statuses, http.StatusInternalServerError, http.StatusServiceUnavailable) {
		desc := statusText[status]
		if d, ok := details[status]; ok {
			desc = d
		}
		r := &openapi.Response{Description: desc, Content: openapi.Problem()}
		switch status {
		case http.StatusUnauthorized:
			r.Headers = map[string]openapi.Header{"WWW-Authenticate": {Description: `Bearer, with error="invalid_token" when a token was sent`, Required: true, Schema: map[string]any{"type": "string"}}}
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r.Headers = map[string]openapi.Header{"Retry-After": {Description: "Seconds to wait", Required: true, Schema: map[string]any{"type": "integer", "minimum": 1}}}
		}
		out[strconv.Itoa(status)] = r
	}
	return out
}

// badQuery describes the 400 of a route that takes no body.
const badQuery = "The query string does not parse (a \";\" separator, a malformed %-escape); unknown parameters are ignored"

// busy describes the 503 of the routes that hash a password.
const busy = "Too many password checks at once (or this client's share of them), the user store did not answer in time, or the request ran out of time; retry after Retry-After seconds"

// withSuccess adds the success response to responses.
func withSuccess(responses map[string]*openapi.Response, status int, r *openapi.Response) map[string]*openapi.Response {
	responses[strconv.Itoa(status)] = r
	return responses
}

func jsonBody(schema string) *openapi.RequestBody {
	return &openapi.RequestBody{Required: true, Content: jsonContent(ref(schema))}
}

// The operations of the auth routes; New puts each next to its handler.
func (a *API) registerOp() *openapi.Operation {
	return &openapi.Operation{
		OperationID: "register", Summary: "Register a new account (pending until an administrator approves it)", Tags: []string{"auth"},
		RequestBody: jsonBody("Credentials"),
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusConflict:            "The email is already registered (in any letter case)",
			http.StatusUnprocessableEntity: "Invalid email, or a password outside the policy (at least 8 characters, at most 72 bytes by default)",
			http.StatusTooManyRequests:     "Too many registrations from this address (or from all addresses together); retry after Retry-After seconds",
			http.StatusServiceUnavailable:  busy,
		}, 400, 409, 413, 415, 422, 429, 503), http.StatusCreated, &openapi.Response{Description: "The new, pending account", Content: jsonContent(ref("User"))}),
	}
}

func (a *API) loginOp() *openapi.Operation {
	return &openapi.Operation{
		OperationID: "login", Summary: "Log in with the OAuth2 password flow (or JSON) and get a bearer token", Tags: []string{"auth"},
		RequestBody: &openapi.RequestBody{Required: true, Content: map[string]openapi.MediaType{
			"application/x-www-form-urlencoded": {Schema: ref("LoginForm")},
			contentTypeJSON:                     {Schema: ref("LoginJSON")},
		}},
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusBadRequest:         "Malformed body, a grant_type other than password, or a query string that does not parse",
			http.StatusUnauthorized:       "Wrong email or password (the same answer for both)",
			http.StatusForbidden:          "Right password, but the account awaits approval or was rejected, or it is the built-in default admin password sent from another machine than the server's",
			http.StatusServiceUnavailable: busy,
		}, 400, 401, 403, 413, 415, 422, 429, 503), http.StatusOK, &openapi.Response{
			Description: "The access token (Cache-Control: no-store)",
			Headers: map[string]openapi.Header{
				"Cache-Control": {Required: true, Schema: map[string]any{"const": "no-store"}},
				"Pragma":        {Required: true, Schema: map[string]any{"const": "no-cache"}},
			},
			Content: jsonContent(ref("Token")),
		}),
	}
}

func (a *API) meOp() *openapi.Operation {
	return &openapi.Operation{
		OperationID: "me", Summary: "The caller's account as stored now, and the claims of the presented token", Tags: []string{"auth"},
		Security: openapi.Bearer(),
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusBadRequest: badQuery,
		}, 400, 401), http.StatusOK, &openapi.Response{Description: "The caller's account and token claims", Content: jsonContent(ref("Me"))}),
	}
}

func (a *API) changePasswordOp() *openapi.Operation {
	return &openapi.Operation{
		OperationID: "changePassword", Summary: "Change the caller's password; every earlier token stops working", Tags: []string{"auth"},
		Security:    openapi.Bearer(),
		RequestBody: jsonBody("ChangePassword"),
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusBadRequest:          "Malformed body, a query string that does not parse, or the current password is wrong",
			http.StatusUnprocessableEntity: "The new password fails the policy, or a field is missing",
			http.StatusServiceUnavailable:  busy,
		}, 400, 401, 413, 415, 422, 429, 503), http.StatusNoContent, &openapi.Response{Description: "Changed"}),
	}
}

func (a *API) pendingOp() *openapi.Operation {
	page := func(name, desc string, schema map[string]any) openapi.Parameter {
		return openapi.Parameter{Name: name, In: "query", Description: desc, Schema: schema}
	}
	return &openapi.Operation{
		OperationID: "listPending", Summary: "Accounts awaiting approval, oldest first (administrators only)", Tags: []string{"admin"},
		Security: openapi.Bearer(),
		Parameters: []openapi.Parameter{
			page("limit", "How many to return", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
			page("offset", "How many to skip", map[string]any{"type": "integer", "minimum": 0, "default": 0}),
		},
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusBadRequest: badQuery,
			http.StatusForbidden:  "Not an administrator, or an administrator who must change the default password first",
		}, 400, 401, 403, 422), http.StatusOK, &openapi.Response{
			Description: "Pending accounts ([] when none)",
			Content:     jsonContent(map[string]any{"type": "array", "items": ref("User")}),
		}),
	}
}

func (a *API) decideOp(id, summary string, statuses ...int) *openapi.Operation {
	return &openapi.Operation{
		OperationID: id, Summary: summary, Tags: []string{"admin"},
		Security:    openapi.Bearer(),
		RequestBody: jsonBody("EmailBody"),
		Responses: withSuccess(problemResponses(map[int]string{
			http.StatusForbidden: "Not an administrator, or an administrator who must change the default password first",
			http.StatusConflict:  "An administrator cannot be rejected",
		}, append([]int{400, 401, 403, 404, 413, 415, 422}, statuses...)...), http.StatusOK, &openapi.Response{Description: "The account after the change", Content: jsonContent(ref("User"))}),
	}
}

// schemas are the component schemas of the document.
func schemas() map[string]map[string]any {
	str := map[string]any{"type": "string"}
	object := func(required []string, props map[string]any) map[string]any {
		return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false}
	}
	userProps := map[string]any{
		"email":       map[string]any{"type": "string", "description": "Trimmed and lower-cased"},
		"is_admin":    map[string]any{"type": "boolean"},
		"is_approved": map[string]any{"type": "boolean", "description": `status == "approved"`},
		"status":      map[string]any{"type": "string", "enum": []string{"pending", "approved", "rejected"}},
		"created_at":  map[string]any{"type": "string", "format": "date-time"},
	}
	userRequired := []string{"email", "is_admin", "is_approved", "status", "created_at"}
	meProps := maps.Clone(userProps)
	numericDate := map[string]any{"type": "integer", "description": "Seconds since 1970-01-01 UTC"}
	meProps["claims"] = map[string]any{
		"type":        "object",
		"description": "Every claim of the presented token: the registered ones below, and extra claims such as company_id",
		"required":    []string{"sub", "exp", "iat", "is_admin", "ver"},
		"properties": map[string]any{
			"sub":      str,
			"exp":      numericDate,
			"iat":      numericDate,
			"nbf":      numericDate,
			"is_admin": map[string]any{"type": "boolean"},
			"ver":      map[string]any{"type": "integer", "minimum": 0, "description": "The user's token version"},
			"iss":      str,
			"aud":      map[string]any{"type": []string{"string", "array"}, "items": str},
			"jti":      str,
		},
	}
	password := map[string]any{"type": "string", "description": "At most 72 bytes"}
	return map[string]map[string]any{
		"User":           object(userRequired, userProps),
		"Me":             object(append(slices.Clone(userRequired), "claims"), meProps),
		"Credentials":    object([]string{"email", "password"}, map[string]any{"email": str, "password": password}),
		"ChangePassword": object([]string{"current_password", "new_password"}, map[string]any{"current_password": password, "new_password": password}),
		"EmailBody":      object([]string{"email"}, map[string]any{"email": str}),
		"LoginForm": object([]string{"username", "password"}, map[string]any{
			"username":      map[string]any{"type": "string", "description": "The email"},
			"password":      password,
			"grant_type":    map[string]any{"type": "string", "const": "password"},
			"scope":         map[string]any{"type": "string", "description": "Accepted and ignored"},
			"client_id":     map[string]any{"type": "string", "description": "Accepted and ignored"},
			"client_secret": map[string]any{"type": "string", "description": "Accepted and ignored"},
		}),
		"LoginJSON": {
			"type":                 "object",
			"properties":           map[string]any{"email": str, "username": map[string]any{"type": "string", "description": "The email, as in the OAuth2 form"}, "password": password},
			"required":             []string{"password"},
			"oneOf":                []any{map[string]any{"required": []string{"email"}}, map[string]any{"required": []string{"username"}}},
			"additionalProperties": false,
		},
		"Token": object([]string{"access_token", "token_type", "expires_in"}, map[string]any{
			"access_token": str,
			"token_type":   map[string]any{"type": "string", "const": "bearer"},
			"expires_in":   map[string]any{"type": "integer", "description": "Seconds"},
		}),
		"Problem": object([]string{"type", "title", "status", "detail"}, map[string]any{
			"type":   str,
			"title":  str,
			"status": map[string]any{"type": "integer"},
			"detail": str,
		}),
	}
}

// OpenAPI returns a new OpenAPI 3.1 document of the auth routes, under the
// configured prefix, with the OAuth2 password-flow security scheme whose
// token URL is the login route (as FastAPI's OAuth2PasswordBearer). Like
// the paths, the token URL is a path from the root of the server the
// routes are mounted on (Prefix+"/login"), and the document names no
// servers. The Swagger UI page (Config.SwaggerUI) finds the mount point
// itself, so it needs neither under a framework group or a sub-router; an
// application serving the document to other tools under a group adds a
// Servers entry for it. The document is built from the same route table
// the adapters mount, so it cannot list a route that is not served or miss
// one that is. The caller owns the result and may add to it.
func (a *API) OpenAPI() *openapi.Document {
	d := &openapi.Document{
		OpenAPI: "3.1.0",
		Info: openapi.Info{
			Title:       "authadmin",
			Version:     "1",
			Description: "JWT authentication where new accounts wait for an administrator's approval. Errors are RFC 9457 problem documents.",
		},
		Paths: make(map[string]*openapi.PathItem),
		Components: openapi.Components{
			Schemas: schemas(),
			SecuritySchemes: map[string]map[string]any{
				openapi.SecurityScheme: {
					"type":        "oauth2",
					"description": "Log in with an email and password; the token goes in Authorization: Bearer.",
					"flows":       map[string]any{"password": map[string]any{"tokenUrl": a.tokenURL(), "scopes": map[string]string{}}},
				},
			},
		},
	}
	for _, r := range a.routes {
		if r.operation != nil {
			d.AddOperation(r.Method, r.Path, r.operation())
		}
	}
	return d
}
