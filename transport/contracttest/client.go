package contracttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
)

// client talks to one server started by the suite. Every response it
// receives is checked for leaked password material, and every error
// response for being a problem document.
type client struct {
	t      *testing.T
	name   string
	base   string
	prefix string
	http   *http.Client
	// tokens is the server's codec, for forging expired tokens.
	tokens *jwtcodec.Codec
	// hasher counts (and can hold) the server's password comparisons.
	hasher *countingHasher
	// clock is the server's clock.
	clock *offsetClock
	// logs is everything the server logged; secrets what must not be in
	// it (checked when the test ends).
	logs    *syncBuffer
	secrets *secrets
	// header holds extra request headers (X-Forwarded-For); set it only
	// on a copy of the client (from).
	header map[string]string
	// check, if set, sees every exchange (WithExchangeCheck).
	check func(t *testing.T, ex Exchange)
	// stuck receives a value as a call of a stuckStore starts hanging,
	// unstuck its context's error as it ends; stuckAll makes every store
	// call hang.
	stuck    <-chan struct{}
	unstuck  <-chan error
	stuckAll *atomic.Bool
}

// from returns a copy of c whose requests carry X-Forwarded-For: addr, for
// a server started with trustLoopback.
func (c *client) from(addr string) *client {
	cc := *c
	cc.header = map[string]string{"X-Forwarded-For": addr}
	return &cc
}

// response is a received response with its body read and, when it is JSON,
// decoded with UseNumber.
type response struct {
	method, path string
	status       int
	header       http.Header
	raw          []byte
	body         any
}

// auth returns the path of an auth route under the server's prefix.
func (c *client) auth(route string) string { return c.prefix + route }

// do sends a request to path (which includes any prefix and query).
// body is nil (no body), a string or []byte (sent as is), url.Values (sent
// form-encoded) or anything else (sent as JSON); contentType is set when
// not empty, and token as "Authorization: Bearer <token>" when not empty.
func (c *client) do(method, path, contentType string, body any, token string) *response {
	c.t.Helper()
	authz := ""
	if token != "" {
		authz = "Bearer " + token
	}
	return c.request(method, path, contentType, body, authz, true)
}

// postJSON posts body as JSON to an auth route.
func (c *client) postJSON(route string, body any, token string) *response {
	c.t.Helper()
	return c.do(http.MethodPost, c.auth(route), "application/json", body, token)
}

// get sends a GET to path (which includes any prefix and query).
func (c *client) get(path, token string) *response {
	c.t.Helper()
	return c.do(http.MethodGet, path, "", nil, token)
}

// request sends a request with the given Authorization header value.
// When problems is false, an error response need not be a problem document
// (for routes outside the contract, such as an unmounted path).
func (c *client) request(method, path, contentType string, body any, authorization string, problems bool) *response {
	c.t.Helper()
	r, err := c.send(method, path, contentType, body, authorization, problems)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.name, method, path, err)
	}
	return r
}

// send is request for use from other goroutines than the test's: it
// returns a failure to send instead of stopping the test (checks of the
// response still report with Errorf).
func (c *client) send(method, path, contentType string, body any, authorization string, problems bool) (*response, error) {
	c.t.Helper()
	var rawBody []byte
	switch b := body.(type) {
	case nil:
	case string:
		rawBody = []byte(b)
	case []byte:
		rawBody = b
	case url.Values:
		rawBody = []byte(b.Encode())
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rawBody = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(rawBody)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
		_, tok, _ := strings.Cut(authorization, " ")
		c.secrets.add(tok)
	}
	for name, value := range c.header {
		req.Header.Set(name, value)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if c.check != nil {
		c.check(c.t, Exchange{Request: req, RequestBody: rawBody, Response: resp, ResponseBody: respBody})
	}
	r := &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, raw: respBody}
	c.decode(r, problems)
	if obj, ok := r.body.(map[string]any); ok {
		if tok, ok := obj["access_token"].(string); ok {
			c.secrets.add(tok)
		}
	}
	if !strings.HasSuffix(req.URL.Path, "/openapi.json") { // a schema names password fields
		c.checkNoSecrets(r)
	}
	if problems && r.status >= 400 {
		c.checkProblem(r)
	}
	return r, nil
}

// errorf reports a failure about r, prefixed with the transport's name and
// the request line.
func (c *client) errorf(r *response, format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("%s: %s %s: "+format, append([]any{c.name, r.method, r.path}, args...)...)
}

// fatalf is errorf followed by FailNow.
func (c *client) fatalf(r *response, format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s: %s %s: "+format, append([]any{c.name, r.method, r.path}, args...)...)
}

// wantStatus reports whether r has status want, and a failure if not.
func (c *client) wantStatus(r *response, want int) bool {
	c.t.Helper()
	if r.status != want {
		c.errorf(r, "status %d, want %d (body %s)", r.status, want, snippet(r.raw))
		return false
	}
	return true
}

// mustStatus is wantStatus, stopping the test on a mismatch.
func (c *client) mustStatus(r *response, want int) {
	c.t.Helper()
	if !c.wantStatus(r, want) {
		c.t.FailNow()
	}
}

// object returns r's body as a JSON object, stopping the test if it is not
// one.
func (c *client) object(r *response) map[string]any {
	c.t.Helper()
	obj, ok := r.body.(map[string]any)
	if !ok {
		c.fatalf(r, "body %s is not a JSON object", snippet(r.raw))
	}
	return obj
}

// array returns r's body as a JSON array of objects, stopping the test if
// it is not one.
func (c *client) array(r *response) []map[string]any {
	c.t.Helper()
	arr, ok := r.body.([]any)
	if !ok {
		c.fatalf(r, "body %s is not a JSON array", snippet(r.raw))
	}
	out := make([]map[string]any, len(arr))
	for i, v := range arr {
		if out[i], ok = v.(map[string]any); !ok {
			c.fatalf(r, "element %d of %s is not a JSON object", i, snippet(r.raw))
		}
	}
	return out
}

// decode decodes a JSON body into r.body. A body labelled JSON must be
// exactly one JSON value; a successful response with a body must be
// labelled application/json.
func (c *client) decode(r *response, strict bool) {
	c.t.Helper()
	if len(r.raw) == 0 {
		return
	}
	mt := mediaType(r.header)
	isJSON := mt == "application/json" || mt == "application/problem+json"
	if strict && r.status < 400 && !isJSON {
		c.errorf(r, "Content-Type %q with a body, want application/json", r.header.Get("Content-Type"))
	}
	if !isJSON {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(r.raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		c.errorf(r, "body %s is not JSON: %v", snippet(r.raw), err)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		c.errorf(r, "body %s has data after the JSON value", snippet(r.raw))
		return
	}
	r.body = v
}

// checkNoSecrets fails if the body has a key naming a password or hash, or
// looks like it holds a bcrypt hash.
func (c *client) checkNoSecrets(r *response) {
	c.t.Helper()
	for _, p := range []string{"$2a$", "$2b$", "$2y$"} {
		if bytes.Contains(r.raw, []byte(p)) {
			c.errorf(r, "body contains what looks like a bcrypt hash: %s", snippet(r.raw))
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				lk := strings.ToLower(k)
				if strings.Contains(lk, "password") || strings.Contains(lk, "hash") {
					c.errorf(r, "body has key %q: %s", k, snippet(r.raw))
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(r.body)
}

// checkProblem checks that an error response is an RFC 9457 problem
// document as the contract describes it.
func (c *client) checkProblem(r *response) {
	c.t.Helper()
	if mt := mediaType(r.header); mt != "application/problem+json" {
		c.errorf(r, "status %d with Content-Type %q, want application/problem+json", r.status, r.header.Get("Content-Type"))
	}
	obj, ok := r.body.(map[string]any)
	if !ok {
		c.errorf(r, "status %d with body %s, want a problem document", r.status, snippet(r.raw))
		return
	}
	if got := obj["type"]; got != "about:blank" {
		c.errorf(r, "problem type %v, want \"about:blank\"", got)
	}
	if got, want := obj["title"], http.StatusText(r.status); got != want {
		c.errorf(r, "problem title %v, want %q", got, want)
	}
	if got, ok := obj["status"].(json.Number); !ok || got.String() != strconv.Itoa(r.status) {
		c.errorf(r, "problem status %v, want %d", obj["status"], r.status)
	}
	if got, ok := obj["detail"].(string); !ok || strings.TrimSpace(got) == "" {
		c.errorf(r, "problem detail %v, want a non-empty string", obj["detail"])
	}
}

// detail returns the problem detail of r, or "".
func detail(r *response) string {
	obj, _ := r.body.(map[string]any)
	d, _ := obj["detail"].(string)
	return d
}

// mediaType returns the media type of the Content-Type header, lower-cased,
// or "" if there is none or it does not parse.
func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// snippet returns a body for a failure message, shortened if long.
func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// rawStatus sends a request that the framework may refuse before any route
// runs, and returns only its status; err is set when no response came.
func (c *client) rawStatus(method, path, authorization string) (int, error) {
	return c.rawRequest(method, path, "", nil, authorization)
}

// rawRequest is rawStatus with a body. It writes the request on a bare
// connection while reading the response: a server that answers an
// oversized request early (413, 431) and closes without reading the rest
// (fasthttp does) makes the writer fail, and http.Client would then report
// that failure instead of the answer.
func (c *client) rawRequest(method, path, contentType string, body []byte, authorization string) (int, error) {
	c.t.Helper()
	var headers []string
	if contentType != "" {
		headers = append(headers, "Content-Type: "+contentType)
	}
	if authorization != "" {
		headers = append(headers, "Authorization: "+authorization)
	}
	return c.rawHeaders(method, path, headers, body)
}

// rawHeaders is rawRequest with the header lines given as they are sent
// ("Name: value"), for requests http.Client would not send as such (a
// header twice).
func (c *client) rawHeaders(method, path string, headers []string, body []byte) (int, error) {
	c.t.Helper()
	addr := strings.TrimPrefix(c.base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", method, path, addr, len(body))
	for _, h := range headers {
		head.WriteString(h + "\r\n")
	}
	head.WriteString("\r\n")
	go func() {
		// Errors mean the server stopped reading; the response says why.
		if _, err := conn.Write(head.Bytes()); err == nil {
			_, _ = conn.Write(body)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
