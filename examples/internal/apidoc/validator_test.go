package apidoc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// docValidator checks HTTP exchanges against one OpenAPI document with
// kin-openapi's openapi3filter. It is safe for concurrent use.
type docValidator struct {
	doc    *openapi3.T
	router routers.Router
	// mu serialises validations: kin-openapi does not promise that
	// validating against a shared document is free of data races, and the
	// tests run with -race.
	mu sync.Mutex
}

// loadDocument loads an OpenAPI document with kin-openapi and validates it
// against the specification (OpenAPI 3.1 rules for a 3.1 document).
func loadDocument(ctx context.Context, body []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		return nil, fmt.Errorf("kin-openapi cannot load the document: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("the document is not valid OpenAPI %s: %w", doc.OpenAPI, err)
	}
	return doc, nil
}

// newDocValidator loads and validates the document in body and builds a
// router on it. The document has no servers entry, so the router matches
// a request by its path alone, whatever the test server's host and port.
func newDocValidator(ctx context.Context, body []byte) (*docValidator, error) {
	doc, err := loadDocument(ctx, body)
	if err != nil {
		return nil, err
	}
	if len(doc.Servers) > 0 {
		return nil, fmt.Errorf("the document has servers %v; the validator expects none", doc.Servers)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("kin-openapi router: %w", err)
	}
	return &docValidator{doc: doc, router: router}, nil
}

// verdict is what check found about one exchange.
type verdict struct {
	// documented is false when the document has no operation for the
	// request's method and path (nothing else is then set).
	documented bool
	// operation is "METHOD /path" as the document writes it.
	operation string
	status    int
	// requestChecked is true when the request was validated (the
	// response was a success).
	requestChecked bool
	// problems are the mismatches with the document.
	problems []string
}

// validationOptions: security is accepted as sent (the contract suite
// checks authentication itself), every response status must be declared,
// and the request is left as it was sent (no defaults filled in).
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		MultiError:            true,
	}
}

// check validates one exchange. When the document has an operation for the
// request, its response is validated whatever the status: the status must
// be declared, and the Content-Type, the declared headers and the body must
// match. The request itself is validated when the response is a 2xx (a
// request the server accepted must be one the document allows).
func (v *docValidator) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) verdict {
	v.mu.Lock()
	defer v.mu.Unlock()
	ctx := context.Background()
	// The bodies were read already: validate copies with fresh readers.
	r := req.Clone(ctx)
	r.Body = http.NoBody
	if reqBody != nil {
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		r.ContentLength = int64(len(reqBody))
	}
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return verdict{} // not a documented operation
	}
	out := verdict{documented: true, operation: r.Method + " " + route.Path, status: resp.StatusCode}
	opts := validationOptions()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		out.requestChecked = true
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			out.problems = append(out.problems, fmt.Sprintf("request accepted with %d but not allowed by the document: %v", resp.StatusCode, oneLine(err)))
		}
	}
	resIn := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	resIn.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, resIn); err != nil {
		out.problems = append(out.problems, fmt.Sprintf("response %d does not match the document: %v", resp.StatusCode, oneLine(err)))
	}
	// openapi3filter does not look at the body of a response declared
	// without content (204): it must have none.
	if declared := route.Operation.Responses.Status(resp.StatusCode); declared != nil && declared.Value != nil && len(declared.Value.Content) == 0 && len(respBody) > 0 {
		out.problems = append(out.problems, fmt.Sprintf("response %d is declared without content but has a %d-byte body (%q)", resp.StatusCode, len(respBody), snippet(respBody)))
	}
	return out
}

// operations returns the document's operations as "METHOD /path", with
// their declared statuses.
func (v *docValidator) operations() map[string][]int {
	ops := make(map[string][]int)
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			var statuses []int
			for code := range op.Responses.Map() {
				if n, err := strconv.Atoi(code); err == nil {
					statuses = append(statuses, n)
				}
			}
			ops[strings.ToUpper(method)+" "+path] = statuses
		}
	}
	return ops
}

// oneLine flattens a (multi-)error onto one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// snippet returns the start of a body, for messages.
func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
