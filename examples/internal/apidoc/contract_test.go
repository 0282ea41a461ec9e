package apidoc

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/echoauth/echoauthtest"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth/httpauthtest"
)

// TestContractMatchesOpenAPI runs the HTTP contract suite against the
// net/http, Echo and Fiber transports and checks every exchange the suite
// has with them against the OpenAPI document: the document describes what
// the transports do, errors included, not just the happy paths.
//
// Each server the suite starts is checked against the document it serves
// itself at <prefix>/openapi.json (the suite starts servers under the
// default prefix and under /api/v1/auth), so a request to the default
// prefix of a server mounted elsewhere is not mistaken for a documented
// operation. Exchanges on routes the document does not have (the suite's
// probe routes, the documentation routes, wrong methods and spellings) are
// not checked.
func TestContractMatchesOpenAPI(t *testing.T) {
	check := newOpenAPICheck()
	for _, tr := range []struct {
		name  string
		start contracttest.Start
	}{
		{"nethttp", httpauthtest.Start},
		{"echo", echoauthtest.Start},
		{"fiber", fiberauthtest.Start},
	} {
		// Counted around t.Run, which returns once the suite's parallel
		// subtests have too.
		before := check.total()
		t.Run(tr.name, func(t *testing.T) {
			contracttest.Run(t, tr.name, check.wrap(tr.start), contracttest.WithExchangeCheck(check.exchange))
		})
		if n := check.total() - before; n == 0 {
			t.Errorf("%s: no exchange was checked against the document", tr.name)
		} else {
			t.Logf("%s: %d exchanges checked against the OpenAPI document", tr.name, n)
		}
	}
	check.coverage(t)
}

// openAPICheck checks the suite's exchanges (contracttest.WithExchangeCheck)
// against the document of the server each one went to. It is safe for
// concurrent use: the suite reports exchanges from parallel subtests.
type openAPICheck struct {
	mu sync.Mutex
	// byHost is the validator of the server at each host:port.
	byHost map[string]*docValidator
	// byDocument shares one validator between the servers that serve the
	// same document (keyed by its SHA-256).
	byDocument map[[sha256.Size]byte]*docValidator
	// defaultDoc is the validator of the default-prefix document.
	defaultDoc *docValidator
	// statuses counts, per documented operation, the statuses checked;
	// requests the operations whose requests were validated (2xx).
	statuses map[string]map[int]int
	requests map[string]int
	checked  int
	skipped  int
}

func newOpenAPICheck() *openAPICheck {
	return &openAPICheck{
		byHost:     make(map[string]*docValidator),
		byDocument: make(map[[sha256.Size]byte]*docValidator),
		statuses:   make(map[string]map[int]int),
		requests:   make(map[string]int),
	}
}

// wrap returns start, which also fetches the started server's OpenAPI
// document and registers the server's validator.
func (c *openAPICheck) wrap(start contracttest.Start) contracttest.Start {
	return func(t *testing.T, cfg httpapi.Config) string {
		t.Helper()
		base := start(t, cfg)
		prefix := cmp.Or(cfg.Prefix, httpapi.DefaultPrefix)
		body := fetchDocument(t, base+prefix+"/openapi.json")
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		c.mu.Lock()
		defer c.mu.Unlock()
		v := c.byDocument[sum]
		if v == nil {
			v, err = newDocValidator(context.Background(), body)
			if err != nil {
				t.Fatalf("the document served at %s%s/openapi.json: %v", base, prefix, err)
			}
			c.byDocument[sum] = v
		}
		if prefix == httpapi.DefaultPrefix && c.defaultDoc == nil {
			c.defaultDoc = v
		}
		c.byHost[u.Host] = v
		return base
	}
}

// fetchDocument GETs an OpenAPI document on a connection of its own, which
// it closes (fasthttp's Shutdown waits for idle connections).
func fetchDocument(t *testing.T, url string) []byte {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	return body
}

// exchange is the suite's exchange check.
func (c *openAPICheck) exchange(t *testing.T, ex contracttest.Exchange) {
	t.Helper()
	c.mu.Lock()
	v := c.byHost[ex.Request.URL.Host]
	c.mu.Unlock()
	if v == nil {
		t.Errorf("OpenAPI check: %s %s went to a server whose start the check did not see", ex.Request.Method, ex.Request.URL)
		return
	}
	res := v.check(ex.Request, ex.RequestBody, ex.Response, ex.ResponseBody)
	c.mu.Lock()
	if !res.documented {
		c.skipped++
	} else {
		c.checked++
		if c.statuses[res.operation] == nil {
			c.statuses[res.operation] = make(map[int]int)
		}
		c.statuses[res.operation][res.status]++
		if res.requestChecked {
			c.requests[res.operation]++
		}
	}
	c.mu.Unlock()
	for _, p := range res.problems {
		t.Errorf("OpenAPI: %s %s (request body %q) answered %d (body %q): %s",
			ex.Request.Method, ex.Request.URL.RequestURI(), snippet(ex.RequestBody), ex.Response.StatusCode, snippet(ex.ResponseBody), p)
	}
}

// total returns how many exchanges were checked so far.
func (c *openAPICheck) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked
}

// coverage fails if an operation of the default-prefix document had no
// successful request validated, and logs the statuses checked and the
// declared statuses no exchange produced.
func (c *openAPICheck) coverage(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.defaultDoc == nil {
		t.Fatal("no server with the default prefix was started")
	}
	ops := c.defaultDoc.operations()
	t.Logf("%d exchanges checked against %d distinct served documents (default and custom prefix), %d on undocumented routes not checked",
		c.checked, len(c.byDocument), c.skipped)
	if len(c.byDocument) < 2 {
		t.Errorf("only %d distinct documents seen; the suite's custom-prefix servers serve a document of their own", len(c.byDocument))
	}
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		if c.requests[op] == 0 {
			t.Errorf("%s: no successful exchange, so no request was validated against the document", op)
		}
		seen := c.statuses[op]
		var got, missing []string
		for _, s := range slices.Sorted(maps.Keys(seen)) {
			got = append(got, fmt.Sprintf("%d×%d", s, seen[s]))
		}
		for _, s := range slices.Sorted(slices.Values(ops[op])) {
			if seen[s] == 0 {
				missing = append(missing, fmt.Sprint(s))
			}
		}
		t.Logf("%s: checked %s; declared but not produced: %s", op, strings.Join(got, " "), cmp.Or(strings.Join(missing, " "), "none"))
	}
}
