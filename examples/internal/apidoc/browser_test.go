//go:build unix

package apidoc

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authadmin/authadmin/examples/internal/walktest"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// The default admin the example server seeds on its first start.
const (
	adminEmail    = walktest.DefaultAdmin
	adminPassword = walktest.DefaultPassword
)

// browserTimeout bounds the whole browser session (the machine may be slow).
const browserTimeout = 90 * time.Second

// TestSwaggerUIBrowser runs the real nethttp example program, opens its
// Swagger UI page (/auth/docs) in headless Chromium and does what a person
// would: Authorize with the OAuth2 password flow as the default admin, then
// "Try it out" and "Execute" on GET /auth/me. The page must show 200 and
// the admin's account, and the /auth/me request must have reached the
// server with the token Swagger UI got at Authorize (the browser talks to
// the program through a recording reverse proxy). A full-page screenshot
// of the result goes to $AUTHADMIN_ARTIFACTS (or the test's temporary
// directory).
//
// Swagger UI's files are served by the test from $SWAGGER_UI_DIST (a
// swagger-ui-dist directory), or from a copy npm installs; without them,
// or without Chromium, the test is skipped with the reason.
func TestSwaggerUIBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	dist := swaggerUIDist(t)

	// Swagger UI's files, from a local server (no CDN).
	assets := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer assets.Close()

	bin := exampleBinary(t)
	tmp := t.TempDir()
	prog := walktest.Start(t, "nethttp", bin, tmp, map[string]string{
		"ADDR":                   "127.0.0.1:0",
		"AUTH_DB_URL":            "sqlite://" + filepath.Join(tmp, "users.db"),
		"AUTH_BCRYPT_COST":       "4",
		"AUTH_SWAGGER_UI_ASSETS": assets.URL,
	})
	target, err := url.Parse(prog.URL)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ModifyResponse: rec.record,
	})
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	browser, browserLog := startBrowser(t, ctx, chromium)

	var status, body, curl string
	err = chromedp.Do(browser,
		chromedp.Navigate(proxy.URL+"/auth/docs"),
		// The UI has rendered the document.
		chromedp.WaitVisible(chromedp.CSS(`#operations-auth-me`)),
		// Authorize: the OAuth2 password flow, as the default admin.
		chromedp.Click(chromedp.CSS(`.scheme-container .btn.authorize`)),
		chromedp.SendKeys(chromedp.CSS(`.dialog-ux #oauth_username`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`.dialog-ux #oauth_password`), adminPassword),
		chromedp.Click(chromedp.CSS(`.dialog-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize`)),
	)
	if err != nil {
		fail(t, browser, browserLog, rec, "opening the page and authorizing", err)
	}
	// Swagger UI swaps Authorize for Logout once it has a token, and shows
	// an error in the dialog if the login failed.
	outcome, err := chromedp.Run(browser, chromedp.Poll[string](`(() => {
		const dialog = document.querySelector(".dialog-ux");
		if (!dialog) return "";
		const errors = dialog.querySelector(".errors");
		if (errors && errors.textContent.trim()) return "error: " + errors.textContent.trim();
		const logout = [...dialog.querySelectorAll(".auth-btn-wrapper button")].some(b => b.textContent.trim() === "Logout");
		return logout ? "authorized" : "";
	})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || outcome != "authorized" {
		fail(t, browser, browserLog, rec, "waiting for the Authorize dialog to log in", fmt.Errorf("%q, %v", outcome, err))
	}
	err = chromedp.Do(browser,
		chromedp.Click(chromedp.CSS(`.dialog-ux .btn-done`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.dialog-ux`)),
		// GET /auth/me: expand, Try it out, Execute.
		chromedp.Click(chromedp.CSS(`#operations-auth-me .opblock-summary-control`)),
		chromedp.Click(chromedp.CSS(`#operations-auth-me .try-out__btn`)),
		chromedp.Click(chromedp.CSS(`#operations-auth-me .btn.execute`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-auth-me .live-responses-table tr.response .response-col_status`)),
	)
	if err != nil {
		fail(t, browser, browserLog, rec, "trying out GET /auth/me", err)
	}
	if status, err = chromedp.Run(browser, chromedp.Text(chromedp.CSS(`#operations-auth-me .live-responses-table tr.response .response-col_status`))); err != nil {
		fail(t, browser, browserLog, rec, "reading the response status", err)
	}
	if body, err = chromedp.Run(browser, chromedp.TextContent(chromedp.CSS(`#operations-auth-me .live-responses-table tr.response .response-col_description .highlight-code pre`))); err != nil {
		fail(t, browser, browserLog, rec, "reading the response body", err)
	}
	if curl, err = chromedp.Run(browser, chromedp.TextContent(chromedp.CSS(`#operations-auth-me .curl-command`))); err != nil {
		fail(t, browser, browserLog, rec, "reading the curl command", err)
	}
	shot := screenshot(t, browser)
	t.Logf("GET /auth/me in Swagger UI: status %q, body %s", strings.TrimSpace(status), strings.Join(strings.Fields(body), " "))
	t.Logf("screenshot: %s", shot)

	if got := strings.TrimSpace(status); got != "200" {
		t.Errorf("Swagger UI shows status %q for GET /auth/me, want 200 (body %s)", got, body)
	}
	if !strings.Contains(body, `"email": "`+adminEmail+`"`) && !strings.Contains(body, `"email":"`+adminEmail+`"`) {
		t.Errorf("Swagger UI shows the body %s for GET /auth/me, want the account of %s", body, adminEmail)
	}
	if !strings.Contains(curl, "Authorization: Bearer ") {
		t.Errorf("the curl command Swagger UI shows sends no bearer token: %s", curl)
	}

	// What reached the server: the password-flow login, then /auth/me
	// with the token it returned.
	login := rec.find(http.MethodPost, "/auth/login")
	switch {
	case login == nil:
		t.Errorf("the server saw no POST /auth/login; it saw %v", rec.all())
	case login.status != http.StatusOK || !strings.HasPrefix(login.contentType, "application/x-www-form-urlencoded"):
		t.Errorf("POST /auth/login: %d with Content-Type %q, want 200 for an OAuth2 password-flow form", login.status, login.contentType)
	}
	me := rec.find(http.MethodGet, "/auth/me")
	switch {
	case me == nil:
		t.Errorf("the server saw no GET /auth/me; it saw %v", rec.all())
	case !strings.HasPrefix(me.authorization, "Bearer ") || len(me.authorization) < len("Bearer ")+20:
		t.Errorf("GET /auth/me reached the server with Authorization %q, want a bearer token", me.authorization)
	case me.status != http.StatusOK:
		t.Errorf("GET /auth/me: the server answered %d, want 200", me.status)
	}
	prog.Stop(t)
}

// skipBrowser skips the browser test, saying why, or fails it where the
// browser test must run (AUTHADMIN_REQUIRE_BROWSER is set, as .ci/run
// does after installing Chromium): there a skip would hide that it did not.
func skipBrowser(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("AUTHADMIN_REQUIRE_BROWSER") != "" {
		t.Fatalf("AUTHADMIN_REQUIRE_BROWSER is set, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// chromiumPath returns the Chromium to drive, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	skipBrowser(t, "Chromium is not installed (no /usr/bin/chromium, no chromium on PATH): "+
		"install it to run the Swagger UI browser test, e.g. `apt-get install chromium` on Debian")
	return ""
}

// swaggerUIDist returns a directory holding swagger-ui-dist's
// swagger-ui-bundle.js and swagger-ui.css: $SWAGGER_UI_DIST, or a copy npm
// installs in a temporary directory. It skips the test when neither works.
func swaggerUIDist(t *testing.T) string {
	t.Helper()
	hasAssets := func(dir string) bool {
		for _, f := range []string{"swagger-ui-bundle.js", "swagger-ui.css"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("SWAGGER_UI_DIST"); dir != "" {
		if hasAssets(dir) {
			return dir
		}
		t.Logf("SWAGGER_UI_DIST=%s holds no swagger-ui-bundle.js and swagger-ui.css; trying npm", dir)
	}
	const hint = "set SWAGGER_UI_DIST to a swagger-ui-dist directory " +
		"(`npm install --prefix DIR swagger-ui-dist@" + httpapi.SwaggerUIVersion + "`, then SWAGGER_UI_DIST=DIR/node_modules/swagger-ui-dist)"
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipBrowser(t, "no Swagger UI files: SWAGGER_UI_DIST is unset and npm is not installed; %s", hint)
	}
	prefix := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", "swagger-ui-dist@"+httpapi.SwaggerUIVersion)
	cmd.Env = append(os.Environ(), "SCARF_ANALYTICS=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		skipBrowser(t, "no Swagger UI files: SWAGGER_UI_DIST is unset and `npm install swagger-ui-dist@%s` failed (%v): %s; %s", httpapi.SwaggerUIVersion, err, strings.TrimSpace(string(out)), hint)
	}
	dir := filepath.Join(prefix, "node_modules", "swagger-ui-dist")
	if !hasAssets(dir) {
		skipBrowser(t, "no Swagger UI files: npm installed swagger-ui-dist but %s lacks them; %s", dir, hint)
	}
	t.Logf("Swagger UI files installed with npm in %s", dir)
	return dir
}

// startBrowser starts headless Chromium with a fresh profile and returns a
// chromedp context on its first tab, and the browser's output. The browser
// stops when ctx ends or the test does.
func startBrowser(t *testing.T, ctx context.Context, chromium string) (context.Context, *syncBuffer) {
	t.Helper()
	profile, err := os.MkdirTemp("", "authadmin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may write in the profile shortly after the
		// browser has exited.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	out := &syncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1024),
		chromedp.CombinedOutput(out),
	)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser process to exit
	})
	// Start the browser now, so that a failure to start says so.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\nbrowser output:\n%s", chromium, err, out.String())
	}
	return browser, out
}

// screenshot writes a full-page PNG of the page to $AUTHADMIN_ARTIFACTS (or
// the test's temporary directory) and returns its path.
func screenshot(t *testing.T, browser context.Context) string {
	t.Helper()
	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	dir := os.Getenv("AUTHADMIN_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	path, err := filepath.Abs(filepath.Join(dir, "swagger-ui-auth-me.png"))
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	return path
}

// fail stops the test after a browser step failed, with what helps to see
// why: a screenshot, the page's text, the requests the server saw and the
// browser's output.
func fail(t *testing.T, browser context.Context, browserLog *syncBuffer, rec *recorder, step string, err error) {
	t.Helper()
	shot := screenshot(t, browser)
	text, _ := chromedp.Run(browser, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	t.Fatalf("Swagger UI: %s: %v\nscreenshot: %s\nrequests the server saw: %v\npage text:\n%.3000s\nbrowser output:\n%.3000s",
		step, err, shot, rec.all(), text, browserLog.String())
}

// exchange is a request the server received through the proxy, with the
// status it answered.
type exchange struct {
	method, path, authorization, contentType string
	status                                   int
}

func (e exchange) String() string { return fmt.Sprintf("%s %s -> %d", e.method, e.path, e.status) }

// recorder records what goes through the reverse proxy.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

func (r *recorder) record(resp *http.Response) error {
	req := resp.Request // as sent to the server
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, exchange{
		method: req.Method, path: req.URL.Path,
		authorization: req.Header.Get("Authorization"), contentType: req.Header.Get("Content-Type"),
		status: resp.StatusCode,
	})
	return nil
}

// find returns the last exchange of method on path, or nil.
func (r *recorder) find(method, path string) *exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.exchanges) - 1; i >= 0; i-- {
		if e := r.exchanges[i]; e.method == method && e.path == path {
			return &e
		}
	}
	return nil
}

func (r *recorder) all() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.exchanges...)
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
