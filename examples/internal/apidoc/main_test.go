//go:build unix

package apidoc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/examples/internal/exampleapp"
	"github.com/authadmin/authadmin/examples/internal/walktest"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// binDir holds the example binary built for the tests (removed by TestMain).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authadmin-apidoc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
)

// exampleBinary builds the nethttp example (once per test binary, as
// walktest does) and returns the program's path.
func exampleBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = walktest.Build(t, "nethttp", filepath.Join("..", "..", "nethttp"), binDir)
	})
	if binPath == "" {
		t.Fatal("building the nethttp example failed (see the first test that tried)")
	}
	return binPath
}

// exampleConfig prepares the example servers' HTTP configuration as
// exampleapp.Serve does (their settings from an environment, their routes
// documented), on a memory store with a low bcrypt cost.
func exampleConfig(t *testing.T) httpapi.Config {
	t.Helper()
	settings, err := exampleapp.Settings(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	settings.Users, settings.BcryptCost = memstore.New(), 4
	settings.Logger = slog.New(slog.DiscardHandler)
	app, err := authsetup.New(context.Background(), settings)
	if err != nil {
		t.Fatal(err)
	}
	return app.HTTPConfig()
}

// servedDocument returns the OpenAPI document as the example servers serve
// it: GET /auth/openapi.json through httpauth on a test server.
func servedDocument(t *testing.T, cfg httpapi.Config) []byte {
	t.Helper()
	mux := http.NewServeMux()
	if _, err := httpauth.Setup(mux, cfg); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mux)
	defer ts.Close()
	return get(t, ts.URL+"/auth/openapi.json", "application/json")
}

// get fetches url, expecting 200 and the media type wantType, and returns
// the body.
func get(t *testing.T, url, wantType string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; body %.300s", url, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); mediaType(ct) != wantType {
		t.Fatalf("GET %s: Content-Type %q, want %s", url, ct, wantType)
	}
	return body
}

// mediaType returns the media type of a Content-Type value, lower-cased
// and without parameters ("" when it does not parse).
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}
