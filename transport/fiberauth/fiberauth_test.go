package fiberauth_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
)

// adminEmail is the administrator newKit stores, with authtest.Password.
const adminEmail = "boss@example.com"

// newKit returns a test kit whose store holds one administrator, adminEmail.
func newKit() *authtest.Kit {
	kit := authtest.New()
	kit.Admin(adminEmail)
	return kit
}

// newApp returns a Fiber app configured as this package recommends.
func newApp() *fiber.App {
	return fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  fiberauth.Config
	}{
		{"nil service", fiberauth.Config{}},
		{"prefix without slash", fiberauth.Config{Service: authtest.New().Service, Prefix: "auth"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fiberauth.Setup(newApp(), tt.cfg)
			if err == nil {
				t.Fatal("Setup succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "fiberauth: ") {
				t.Errorf("error %q does not start with the package's name", err)
			}
		})
	}
}

func TestMountOnGroup(t *testing.T) {
	app := newApp()
	if _, err := fiberauth.Setup(app.Group("/api"), newKit().HTTPConfig()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		want       []int
	}{
		{"under the group", "/api/auth/register", []int{http.StatusCreated, http.StatusUnprocessableEntity}},
		{"outside the group", "/auth/register", []int{http.StatusNotFound}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(`{"email": "ann@example.com", "password": "correct horse"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			for _, s := range tt.want {
				if resp.StatusCode == s {
					return
				}
			}
			t.Fatalf("POST %s: status %d, want one of %v", tt.path, resp.StatusCode, tt.want)
		})
	}
}

func TestNoContentHasNoBody(t *testing.T) {
	kit := newKit()
	app := newApp()
	if _, err := fiberauth.Setup(app, kit.HTTPConfig()); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/auth/change-password",
		strings.NewReader(`{"current_password": "`+authtest.Password+`", "new_password": "another-pass-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+kit.Token(adminEmail, nil))
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 || resp.Header.Get("Content-Type") != "" {
		t.Fatalf("status %d, Content-Type %q, body %q; want 204 with neither", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// TestBodyNotDecompressed checks that the auth routes see the raw body, as
// the net/http transport does: fiber.Ctx.Body would inflate a gzip body
// without any size limit.
func TestBodyNotDecompressed(t *testing.T) {
	app := newApp()
	if _, err := fiberauth.Setup(app, newKit().HTTPConfig()); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(`{"email": "ann@example.com", "password": "correct horse"}`))
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/auth/register", &gz)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("gzip body: status %d, want 400 (the body is not JSON)", resp.StatusCode)
	}
}

// TestHeaderSize checks that 16 KiB of request headers are accepted with
// RecommendedReadBufferSize, and what Fiber answers for more than fits.
func TestHeaderSize(t *testing.T) {
	kit := newKit()
	app := newApp()
	auth, err := fiberauth.Setup(app, kit.HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	fiberauthtest.AddProbes(app, auth)
	base := fiberauthtest.Serve(t, app)
	token := kit.Token(adminEmail, nil)
	client := &http.Client{Timeout: 10 * time.Second}

	get := func(t *testing.T, padding int) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/probe/login", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		// 16 headers of padding/16 bytes each.
		for i := range 16 {
			req.Header.Set("X-Padding-"+string(rune('a'+i)), strings.Repeat("p", padding/16))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("16 KiB accepted", func(t *testing.T) {
		resp := get(t, 16<<10)
		var got struct{ Sub string }
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if err := decodeJSON(resp.Body, &got); err != nil || got.Sub != adminEmail {
			t.Fatalf("body: %+v, %v", got, err)
		}
	})
	t.Run("40 KiB refused with 431", func(t *testing.T) {
		if resp := get(t, 40<<10); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", resp.StatusCode)
		}
	})
}

// TestPrincipalNotCarriedOver checks that the principal of one request is
// not visible to the next one served by the same app, on the same keep-alive
// connection (where fasthttp reuses its request context).
func TestPrincipalNotCarriedOver(t *testing.T) {
	kit := newKit()
	app := newApp()
	auth, err := fiberauth.Setup(app, kit.HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	app.Get("/whoami", auth.RequireLogin(), func(c *fiber.Ctx) error {
		runs.Add(1)
		claims, _ := fiberauth.ClaimsFrom(c)
		return c.JSON(fiber.Map{"sub": claims.Subject})
	})
	// An unprotected route that reports whatever principal it can see.
	app.Get("/peek", func(c *fiber.Ctx) error {
		_, ok := fiberauth.PrincipalFrom(c)
		claims, okClaims := fiberauth.ClaimsFrom(c)
		return c.JSON(fiber.Map{"principal": ok, "claims": okClaims, "sub": claims.Subject})
	})
	base := fiberauthtest.Serve(t, app)
	token := kit.Token(adminEmail, nil)

	var conns atomic.Int32
	transport := &http.Transport{MaxConnsPerHost: 1}
	defer transport.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: transport}
	do := func(path, token string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req = req.WithContext(withConnCounter(req.Context(), &conns))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := decodeJSON(resp.Body, &body); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, body
	}

	if status, body := do("/whoami", token); status != http.StatusOK || body["sub"] != adminEmail {
		t.Fatalf("with token: %d %v, want 200 for %s", status, body, adminEmail)
	}
	if status, body := do("/whoami", ""); status != http.StatusUnauthorized {
		t.Fatalf("without token: %d %v, want 401", status, body)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1 (not for the request without a token)", n)
	}
	if _, body := do("/peek", ""); body["principal"] != false || body["claims"] != false || body["sub"] != "" {
		t.Fatalf("unprotected route after a protected one sees %v, want no principal", body)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("requests used %d connections, want 1 (the test must reuse the connection)", n)
	}
}

// withConnCounter counts the new connections opened by requests made with
// ctx.
func withConnCounter(ctx context.Context, n *atomic.Int32) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				n.Add(1)
			}
		},
	})
}

// TestAppConfigErrorHandler checks that Fiber's own errors are problem
// documents under AppConfig.
func TestAppConfigErrorHandler(t *testing.T) {
	app := fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
	app.Get("/x", func(c *fiber.Ctx) error { return errors.New("secret cause at 10.1.2.3") })
	for path, want := range map[string]int{"/nope": 404, "/x": 500} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/problem+json" || strings.Contains(string(body), "10.1.2.3") {
			t.Errorf("GET %s: %d %q %s; want %d, a problem document without the cause", path, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
		}
	}
}

// TestDuplicateContentType checks that a request with two Content-Type
// headers reaches the shared core as such, which refuses it with 400 (Fiber
// alone would read the last one).
func TestDuplicateContentType(t *testing.T) {
	app := newApp()
	if _, err := fiberauth.Setup(app, newKit().HTTPConfig()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name         string
		contentTypes []string
		want         int
	}{
		{"one", []string{"application/json"}, http.StatusOK},
		{"two, JSON last", []string{"text/plain", "application/json"}, http.StatusBadRequest},
		{"two, JSON first", []string{"application/json", "text/plain"}, http.StatusBadRequest},
		{"two the same", []string{"application/json", "application/json"}, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/auth/login",
				strings.NewReader(`{"email": "`+adminEmail+`", "password": "`+authtest.Password+`"}`))
			req.Header["Content-Type"] = tt.contentTypes
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, body, tt.want)
			}
		})
	}
}
