package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Media types of request bodies.
const (
	mediaJSON = "application/json"
	mediaForm = "application/x-www-form-urlencoded"
)

// mediaType returns the media type of a Content-Type header value, lower
// case without parameters, or "" if there is none or it is malformed.
func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// readBody reads the request body, refusing one over max bytes with 413.
func readBody(r io.Reader, max int64) ([]byte, *Response) {
	if r == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		resp := problem(http.StatusBadRequest, "the request body could not be read")
		return nil, &resp
	}
	if int64(len(body)) > max {
		resp := problem(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", max))
		return nil, &resp
	}
	return body, nil
}

// decodeJSON decodes a JSON request body into dst (a pointer to a struct):
// 415 unless the Content-Type is application/json, 413 if the body is too
// large, 400 if it is not one JSON object of the right types with no
// unknown fields and nothing after it.
func (a *API) decodeJSON(req Request, dst any) *Response {
	if mediaType(req.ContentType) != mediaJSON {
		resp := problem(http.StatusUnsupportedMediaType, "the request body must be application/json")
		return &resp
	}
	body, resp := readBody(req.Body, a.maxBody)
	if resp != nil {
		return resp
	}
	return decodeJSONBytes(body, dst)
}

// decodeJSONBytes is decodeJSON after the checks of the media type and
// size.
func decodeJSONBytes(body []byte, dst any) *Response {
	if resp := checkKeys(body, jsonFields(dst)); resp != nil {
		return resp
	}
	// checkKeys has refused unknown fields, naming them; the decoder
	// need not look for them.
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		resp := problem(http.StatusBadRequest, jsonErrorDetail(err))
		return &resp
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		resp := problem(http.StatusBadRequest, "the request body holds data after the JSON object")
		return &resp
	}
	return nil
}

// jsonErrorDetail describes a decoding error without quoting the body.
func jsonErrorDetail(err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		// Every field of the request DTOs is a string.
		return fmt.Sprintf("field %s must be a string", clip(strconv.Quote(typeErr.Field)))
	case errors.As(err, &typeErr):
		return "the request body must be a JSON object"
	case errors.Is(err, io.EOF):
		return "the request body is empty; a JSON object is required"
	default:
		return "the request body is not valid JSON"
	}
}

// checkKeys refuses, with 400, a top-level object whose keys are not
// exactly among fields (naming the first unknown one) or repeat one, or
// whose value is null. It is the only check for unknown fields: a body
// that is valid JSON has all its keys seen here, and one that is not is
// refused by the decoder before it would look at a field. encoding/json
// matches keys in any letter case and lets the last of repeated keys win,
// so without this {"email":"a@x.io","EMAIL":"b@x.io"} would register
// b@x.io. Anything that is not an object is left to the decoder to refuse.
func checkKeys(body []byte, fields []string) *Response {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil // malformed: the decoder says so
		}
		key, _ := tok.(string)
		switch {
		case !slices.Contains(fields, key):
			resp := problem(http.StatusBadRequest, "unknown field "+clip(strconv.Quote(key)))
			return &resp
		case seen[key]:
			resp := problem(http.StatusBadRequest, "field "+clip(strconv.Quote(key))+" is repeated")
			return &resp
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		// Every field is a string: null is the wrong type, not an
		// absent field (as the OpenAPI document says).
		if string(value) == "null" {
			resp := problem(http.StatusBadRequest, "field "+clip(strconv.Quote(key))+" is null; give a string or leave it out")
			return &resp
		}
	}
	return nil
}

// jsonFields lists the JSON names of the fields of the struct dst points
// to.
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst).Elem()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// clip shortens a piece of the client's input quoted in a detail.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// formFields are the fields the OAuth2 password form may hold (RFC 6749
// section 4.3.2, plus client credentials sent in the body).
var formFields = map[string]bool{
	"grant_type": true, "username": true, "password": true,
	"scope": true, "client_id": true, "client_secret": true,
}

// decodeForm decodes an application/x-www-form-urlencoded body: 413 if it
// is too large, 400 if it is malformed, repeats a field, or holds a field
// the password grant does not define.
func (a *API) decodeForm(req Request) (url.Values, *Response) {
	body, resp := readBody(req.Body, a.maxBody)
	if resp != nil {
		return nil, resp
	}
	return decodeFormBytes(body)
}

// decodeFormBytes is decodeForm after the size check.
func decodeFormBytes(body []byte) (url.Values, *Response) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		resp := problem(http.StatusBadRequest, "the request body is not a valid form")
		return nil, &resp
	}
	for k, v := range values {
		if !formFields[k] {
			resp := problem(http.StatusBadRequest, "unknown form field "+clip(strconv.Quote(k)))
			return nil, &resp
		}
		if len(v) > 1 {
			resp := problem(http.StatusBadRequest, "form field "+clip(strconv.Quote(k))+" is repeated")
			return nil, &resp
		}
	}
	return values, nil
}

// queryDetail is the detail of the 400 for a query string that does not
// parse.
const queryDetail = "the query string does not parse"

// parseQuery parses a request's raw query string (Request.RawQuery) the
// way url.ParseQuery does, with 400 for one that does not parse: a ';'
// separator, which url.ParseQuery refuses, or a malformed %-escape. The
// detail quotes at most the bad escape (three bytes), never the query.
// Parameters the route does not read are kept, and ignored by it.
func parseQuery(raw string) (url.Values, *Response) {
	if raw == "" {
		return nil, nil
	}
	values, err := url.ParseQuery(raw)
	if err == nil {
		return values, nil
	}
	detail := queryDetail
	if escape, ok := errors.AsType[url.EscapeError](err); ok {
		detail += ": malformed %-escape " + clip(strconv.Quote(string(escape)))
	} else if strings.Contains(raw, ";") {
		detail += `: separate parameters with "&", not ";"`
	}
	resp := problem(http.StatusBadRequest, detail)
	return nil, &resp
}
