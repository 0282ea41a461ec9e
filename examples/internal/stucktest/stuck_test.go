package stucktest_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/internal/faultproxy"
	"github.com/authadmin/authadmin/transport/echoauth/echoauthtest"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth/httpauthtest"
)

const (
	postgresEnv   = "AUTH_TEST_POSTGRES_URL"
	storeTimeout  = time.Second
	adminPassword = "stuck-test-admin-password"
	userPassword  = "correct horse battery"
	// stuckEmail is the marker: the connection whose client sends it (in
	// the SQL text of the lookup) is black-holed.
	stuckEmail = "stuck.db.marker@example.com"
)

func TestStuckConnection(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is unset: the PostgreSQL test is skipped", postgresEnv)
	}
	for _, tr := range []struct {
		name  string
		start func(*testing.T, httpapi.Config) string
	}{
		{"nethttp", httpauthtest.Start},
		{"echo", echoauthtest.Start},
		{"fiber", fiberauthtest.Start},
	} {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			stuckConnection(t, base, tr.start)
		})
	}
}

func stuckConnection(t *testing.T, pgURL string, start func(*testing.T, httpapi.Config) string) {
	ctx := t.Context()
	storeURL := proxiedSchema(t, pgURL)
	proxy := storeURL.proxy
	store, err := bunstore.Open(ctx, storeURL.url, bunstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	app, err := authsetup.New(ctx, authsetup.Settings{
		Users:         store,
		BcryptCost:    4,
		SecretKey:     []byte(rand.Text() + rand.Text()),
		AdminPassword: adminPassword,
		StoreTimeout:  storeTimeout,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, app.HTTPConfig())
	c := &client{t: t, base: base, http: &http.Client{Timeout: 60 * time.Second}}

	admin := c.token(c.login("admin@admin.com", adminPassword))
	c.want("register ann", c.post("/auth/register", "application/json", `{"email": "ann@example.com", "password": "`+userPassword+`"}`, ""), http.StatusCreated)
	c.want("approve ann", c.post("/auth/approve", "application/json", `{"email": "ann@example.com"}`, admin), http.StatusOK)
	ann := c.token(c.login("ann@example.com", userPassword))

	rule := proxy.BlackHole([]byte(stuckEmail), 1)
	began := time.Now()
	stuck := make(chan result, 1)
	go func() { stuck <- c.login(stuckEmail, userPassword) }()
	for proxy.Held() == 0 {
		if time.Since(began) > 10*time.Second {
			t.Fatal("the stuck login's connection was never black-holed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// While that connection hangs, everything else is served as usual.
	for i := range 3 {
		r := c.login("ann@example.com", userPassword)
		c.want(fmt.Sprintf("login %d while a connection hangs", i+1), r, http.StatusOK)
		if r.took > storeTimeout/2 {
			t.Errorf("login %d while a connection hangs took %v", i+1, r.took)
		}
	}
	c.want("register while a connection hangs", c.post("/auth/register", "application/json", `{"email": "bob@example.com", "password": "`+userPassword+`"}`, ""), http.StatusCreated)
	c.want("me while a connection hangs", c.get("/auth/me", ann), http.StatusOK)
	c.want("a protected route while a connection hangs", c.get("/probe/login", ann), http.StatusOK)
	if n := rule.Fired(); n != 1 {
		t.Errorf("the black-hole rule fired %d times, want 1", n)
	}

	r := <-stuck
	c.want("the stuck login", r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("the stuck login's 503 has no Retry-After")
	}
	if r.took < storeTimeout || r.took > 4*storeTimeout {
		t.Errorf("the stuck login answered after %v, want about the store timeout %v", r.took, storeTimeout)
	}
	// The pool has dropped the stuck connection: everything works after.
	proxy.Release()
	for i := range 5 {
		c.want(fmt.Sprintf("login %d after the hang", i+1), c.login("ann@example.com", userPassword), http.StatusOK)
	}
	c.want("the stuck address after the hang", c.login(stuckEmail, userPassword), http.StatusUnauthorized)
}

// proxiedStore is a fresh schema reached through a fault proxy.
type proxiedStore struct {
	url   string
	proxy *faultproxy.Proxy
}

// proxiedSchema makes a schema of the test's own (dropped at the end) and
// returns the URL that reaches it through a new fault proxy.
func proxiedSchema(t *testing.T, base string) proxiedStore {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s does not parse", postgresEnv)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := "stucktest_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	target := u.Host
	if u.Port() == "" {
		target = u.Hostname() + ":5432"
	}
	proxy := faultproxy.Start(t, target)
	u.Host = proxy.Addr()
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return proxiedStore{url: u.String(), proxy: proxy}
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type result struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
	err    error
}

func (c *client) do(method, path, contentType, body, token string) result {
	start := time.Now()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return result{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start), err: err}
}

func (c *client) post(path, contentType, body, token string) result {
	return c.do(http.MethodPost, path, contentType, body, token)
}

func (c *client) get(path, token string) result { return c.do(http.MethodGet, path, "", "", token) }

func (c *client) login(email, password string) result {
	return c.post("/auth/login", "application/x-www-form-urlencoded", url.Values{"username": {email}, "password": {password}}.Encode(), "")
}

func (c *client) want(what string, r result, status int) {
	c.t.Helper()
	if r.err != nil {
		c.t.Errorf("%s: %v (after %v)", what, r.err, r.took)
		return
	}
	if r.status != status {
		c.t.Errorf("%s: status %d after %v, want %d: %s", what, r.status, r.took, status, r.body)
	}
}

func (c *client) token(r result) string {
	c.t.Helper()
	c.want("login", r, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.body, &tok); err != nil || tok.AccessToken == "" {
		c.t.Fatalf("login: no token in %s", r.body)
	}
	return tok.AccessToken
}
