//go:build unix

// Package walktest runs an example server as a real program and walks the
// original package's six-step workflow against it over HTTP:
//
//  1. the admin logs in with the default credentials (and, since the server
//     refuses admin operations until then, changes the default password and
//     logs in again);
//  2. a user registers (pending);
//  3. the admin lists the pending users and sees the new one;
//  4. the admin approves the user;
//  5. the user logs in and calls the protected application route (200) and
//     the admin-only route (403);
//  6. the user changes password, and the old token is refused (401).
//
// It then stops the server with SIGTERM, expects a clean exit, and, for a
// server on SQLite, checks that the approved user is on disk. It also checks
// the request-header limits and that bad settings or a busy port make the
// program exit with status 1 and a logged error. Shutdown checks the stop
// with a request in flight.
//
// It is used by the example packages' tests (go test ./examples/...).
package walktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/domain"
)

// The fixed values of a walk.
const (
	SecretKey        = "qaWL9MS1vUp7NY7fMceDKTps86J8636D1c1yAudHomA="
	DefaultAdmin     = "admin@admin.com"
	DefaultPassword  = "changeme"
	AdminNewPassword = "admin-new-password-1"
	UserEmail        = "ann@example.com"
	userEmailAsTyped = "Ann@Example.com"
	UserPassword     = "correct horse battery"
	UserNewPassword  = "staple battery horse"
)

// Timeouts of the phases of a walk.
const (
	buildTimeout = 5 * time.Minute
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// Options adjust a walk.
type Options struct {
	// NoDatabase skips the AUTH_DB_URL setting and the on-disk check, for a
	// server that does not store users with bunstore.
	NoDatabase bool
}

// Run builds the example whose package is in dir (usually "." from the
// package's own test), runs it and walks the workflow against it. name
// labels every failure message ("nethttp", "echo", ...).
func Run(t *testing.T, name, dir string, opts Options) {
	t.Helper()
	tmp := t.TempDir()
	bin := Build(t, name, dir, tmp)
	dbPath := filepath.Join(tmp, "users.db")
	env := serverEnv(opts, dbPath)
	// Bad settings: exit status 1 with an error naming the variable.
	StartupFailure(t, name, bin, map[string]string{"AUTH_BCRYPT_COST": "twelve"}, "AUTH_BCRYPT_COST")
	StartupFailure(t, name, bin, map[string]string{"AUTH_SECRET_KEY": "too-short"}, "AUTH_SECRET_KEY")
	if !opts.NoDatabase {
		StartupFailure(t, name, bin, map[string]string{"AUTH_DB_URL": "mysql://app:pw@db/app"}, "AUTH_DB_URL")
	}

	srv := Start(t, name, bin, tmp, env)
	Walk(t, name, srv.URL)
	HeaderLimits(t, name, srv.URL)
	// A second server on the same port fails to start.
	busy := map[string]string{"ADDR": strings.TrimPrefix(srv.URL, "http://")}
	if !opts.NoDatabase {
		busy["AUTH_DB_URL"] = "sqlite://" + filepath.Join(t.TempDir(), "users.db")
	}
	StartupFailure(t, name, bin, busy, "ADDR")
	srv.Stop(t)

	if opts.NoDatabase {
		return
	}
	// The approved user survived the shutdown.
	u := StoredUser(t, name, dbPath, UserEmail)
	if u.Status != domain.StatusApproved || u.IsAdmin {
		t.Errorf("%s: %s on disk is status=%s is_admin=%v, want approved non-admin", name, UserEmail, u.Status, u.IsAdmin)
	}
	if u.TokenVersion < 1 {
		t.Errorf("%s: %s on disk has token version %d; the password change did not raise it", name, UserEmail, u.TokenVersion)
	}
	if admin := StoredUser(t, name, dbPath, DefaultAdmin); admin.MustChangePassword {
		t.Errorf("%s: admin on disk still must change password after changing it", name)
	}
}

// StoredUser opens the SQLite file at dbPath (of a server that has
// stopped) and returns the account of email; the test fails without it.
func StoredUser(t *testing.T, name, dbPath, email string) domain.User {
	t.Helper()
	ctx := context.Background()
	store, err := bunstore.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		t.Fatalf("%s: reopening %s after shutdown: %v", name, dbPath, err)
	}
	defer store.Close()
	u, err := store.FindByEmail(ctx, email)
	if err != nil {
		t.Fatalf("%s: %s not on disk after shutdown: %v", name, email, err)
	}
	return u
}

// serverEnv is the environment of a server under test, on a SQLite file at
// dbPath unless opts.NoDatabase.
func serverEnv(opts Options, dbPath string) map[string]string {
	env := map[string]string{
		"ADDR":             "127.0.0.1:0",
		"AUTH_BCRYPT_COST": "4",
		"AUTH_SECRET_KEY":  SecretKey,
	}
	if !opts.NoDatabase {
		env["AUTH_DB_URL"] = "sqlite://" + dbPath
	}
	return env
}

// StartupFailure runs bin with env (which must make start-up fail) and
// expects it to exit with status 1 within a few seconds, having logged an
// error (level=ERROR) that contains want.
func StartupFailure(t *testing.T, name, bin string, env map[string]string, want string) {
	t.Helper()
	out := FailedStart(t, name, bin, env)
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, want) {
		t.Errorf("%s: start with %v: output lacks an error mentioning %q:\n%s", name, env, want, out)
	}
}

// FailedStart runs bin with env (which must make start-up fail), expects
// it to exit with status 1 within a few seconds without having logged
// "listening on", and returns its output.
func FailedStart(t *testing.T, name, bin string, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "AUTH_BCRYPT_COST=4"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s: start with %v: %v, want exit status 1; output:\n%s", name, env, err, out)
	}
	if bytes.Contains(out, []byte("listening on")) {
		t.Errorf("%s: start with %v: logged %q although start-up failed:\n%s", name, env, "listening on", out)
	}
	return string(out)
}

// Build compiles the package in dir into outDir and returns the binary's
// path.
func Build(t *testing.T, name, dir, outDir string) string {
	t.Helper()
	bin := filepath.Join(outDir, "server")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: go build in %s: %v\n%s", name, dir, err, out)
	}
	return bin
}

// goTool returns the go command on PATH, the one that runs the tests.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building an example needs the go command: %v", err)
	}
	return p
}

// Server is a running example program.
type Server struct {
	// URL is the base URL the server logged ("http://127.0.0.1:PORT").
	URL string

	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

var listeningRE = regexp.MustCompile(`listening on (http://[^\s"]+)`)

// Start runs bin in workDir with env added to a minimal environment, waits
// for its "listening on http://HOST:PORT" line and returns the server. The
// process is killed at the end of the test if it still runs.
func Start(t *testing.T, name, bin, workDir string, env map[string]string) *Server {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = workDir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + workDir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	s := &Server{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: starting %s: %v", name, bin, err)
	}
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("%s: server output:\n%s", name, s.out.String())
		}
	})

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			s.out.WriteLine(line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	select {
	case u := <-found:
		s.URL = u
	case <-s.done:
		t.Fatalf("%s: server exited before listening (%v); output:\n%s", name, s.err, s.out.String())
	case <-time.After(startTimeout):
		t.Fatalf("%s: no %q line within %v; output:\n%s", name, "listening on http://", startTimeout, s.out.String())
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || strings.HasSuffix(s.URL, ":0") {
		t.Fatalf("%s: logged address %q is not the bound 127.0.0.1 port", name, s.URL)
	}
	return s
}

// Stop sends SIGTERM and expects the process to exit with status 0 within
// a few seconds.
func (s *Server) Stop(t *testing.T) {
	t.Helper()
	s.sigterm(t)
	s.wait(t, stopTimeout)
	if s.err != nil {
		t.Fatalf("%s: exit after SIGTERM: %v (want status 0); output:\n%s", s.name, s.err, s.out.String())
	}
}

func (s *Server) sigterm(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: SIGTERM: %v", s.name, err)
	}
}

// wait waits up to d for the process to exit.
func (s *Server) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		t.Fatalf("%s: still running %v after SIGTERM; output:\n%s", s.name, d, s.out.String())
	}
}

// waitLog waits up to d for the output to contain want.
func (s *Server) waitLog(t *testing.T, want string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); !strings.Contains(s.out.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in the output within %v; output:\n%s", s.name, want, d, s.out.String())
		}
	}
}

// Output returns what the server has written to stdout and stderr so far.
func (s *Server) Output() string { return s.out.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) WriteLine(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(line)
	b.buf.WriteByte('\n')
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Walk runs the six-step workflow against the server at base. It needs a
// fresh database whose admin still has the default password.
func Walk(t *testing.T, name, base string) {
	t.Helper()
	c := NewClient(t, name, base)

	// The public and protected application routes, before anything else.
	c.Expect("GET /healthz", c.Do("GET", "/healthz", "", nil), http.StatusOK, `"status":"ok"`)
	c.Expect("GET /orders without a token", c.Do("GET", "/orders", "", nil), http.StatusUnauthorized, "")
	c.docs()

	// 1. The admin logs in with the default password, changes it, logs in
	// again and may then act as an admin.
	adminTok := c.AdminSetup()
	c.Expect("step 1: GET /admin/stats as admin", c.Do("GET", "/admin/stats", adminTok, nil), http.StatusOK, "")
	// 2 to 4. A user registers and the admin approves the account.
	c.RegisterAndApprove(adminTok)

	// 5. The approved user logs in and uses the application.
	userTok := c.Login("step 5: user login", UserEmail, UserPassword, http.StatusOK)
	c.Expect("step 5: GET /orders as the user", c.Do("GET", "/orders", userTok, nil), http.StatusOK, UserEmail)
	c.Expect("step 5: GET /admin/stats as the user", c.Do("GET", "/admin/stats", userTok, nil), http.StatusForbidden, "")
	c.Expect("step 5: GET /auth/me as the user", c.Do("GET", "/auth/me", userTok, nil), http.StatusOK, `"sub":"`+UserEmail+`"`)
	c.Expect("step 5: POST /auth/approve as the user",
		c.Do("POST", "/auth/approve", userTok, JSONBody(map[string]string{"email": UserEmail})), http.StatusForbidden, "")

	// 6. The user changes password; the old token stops working at once.
	c.Expect("step 6: user changes password",
		c.Do("POST", "/auth/change-password", userTok, JSONBody(map[string]string{
			"current_password": UserPassword, "new_password": UserNewPassword,
		})), http.StatusNoContent, "")
	resp := c.Do("GET", "/orders", userTok, nil)
	c.Expect("step 6: GET /orders with the pre-change token", resp, http.StatusUnauthorized, "")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("%s: step 6: 401 has WWW-Authenticate %q, want Bearer ...", name, got)
	}
	c.Expect("step 6: GET /auth/me with the pre-change token", c.Do("GET", "/auth/me", userTok, nil), http.StatusUnauthorized, "")
	c.Login("step 6: login with the old password", UserEmail, UserPassword, http.StatusUnauthorized)
	newTok := c.Login("step 6: login with the new password", UserEmail, UserNewPassword, http.StatusOK)
	c.Expect("step 6: GET /orders with the new token", c.Do("GET", "/orders", newTok, nil), http.StatusOK, UserEmail)
}

// AdminSetup is step 1 of the walk: the admin logs in with the default
// credentials, is refused admin operations until the default password is
// changed, changes it (to AdminNewPassword) and logs in again. It returns
// the new token. It needs a fresh database.
func (c *Client) AdminSetup() string {
	c.t.Helper()
	defaultTok := c.Login("step 1: admin login with the default password", DefaultAdmin, DefaultPassword, http.StatusOK)
	c.Expect("step 1: GET /auth/pending before the password change",
		c.Do("GET", "/auth/pending", defaultTok, nil), http.StatusForbidden, "")
	c.Expect("step 1: admin changes the default password",
		c.Do("POST", "/auth/change-password", defaultTok, JSONBody(map[string]string{
			"current_password": DefaultPassword, "new_password": AdminNewPassword,
		})), http.StatusNoContent, "")
	c.Expect("step 1: the pre-change admin token", c.Do("GET", "/auth/me", defaultTok, nil), http.StatusUnauthorized, "")
	return c.Login("step 1: admin login with the new password", DefaultAdmin, AdminNewPassword, http.StatusOK)
}

// RegisterAndApprove is steps 2 to 4 of the walk: UserEmail registers
// (typed in mixed case) and may not log in while pending, the admin
// (adminTok) sees the account pending and approves it.
func (c *Client) RegisterAndApprove(adminTok string) {
	c.t.Helper()
	// 2. The account is pending.
	resp := c.Do("POST", "/auth/register", "", JSONBody(map[string]string{
		"email": userEmailAsTyped, "password": UserPassword,
	}))
	c.Expect("step 2: register", resp, http.StatusCreated, "")
	var reg struct {
		Email   string `json:"email"`
		Status  string `json:"status"`
		IsAdmin bool   `json:"is_admin"`
	}
	c.decode("step 2: register", resp, &reg)
	if reg.Email != UserEmail || reg.Status != "pending" || reg.IsAdmin {
		c.t.Fatalf("%s: step 2: register returned %+v, want %s pending non-admin", c.name, reg, UserEmail)
	}
	c.Login("step 2: login while pending", UserEmail, UserPassword, http.StatusForbidden)

	// 3. The admin lists the pending users and sees the new one.
	resp = c.Do("GET", "/auth/pending", adminTok, nil)
	c.Expect("step 3: GET /auth/pending", resp, http.StatusOK, "")
	var pending []struct {
		Email  string `json:"email"`
		Status string `json:"status"`
	}
	c.decode("step 3: GET /auth/pending", resp, &pending)
	if len(pending) != 1 || pending[0].Email != UserEmail || pending[0].Status != "pending" {
		c.t.Fatalf("%s: step 3: pending = %+v, want just %s", c.name, pending, UserEmail)
	}

	// 4. The admin approves the user.
	resp = c.Do("POST", "/auth/approve", adminTok, JSONBody(map[string]string{"email": UserEmail}))
	c.Expect("step 4: approve", resp, http.StatusOK, `"status":"approved"`)
	c.Expect("step 4: pending after approval", c.Do("GET", "/auth/pending", adminTok, nil), http.StatusOK, "[]")
}

// docs checks the documentation every example serves: the Swagger UI page,
// and an OpenAPI document whose every operation the server routes (no 404
// or 405), the application's routes included.
func (c *Client) docs() {
	c.t.Helper()
	page := c.Do("GET", "/auth/docs", "", nil)
	c.Expect("GET /auth/docs", page, http.StatusOK, "swagger-ui-bundle.js")
	spec := c.Do("GET", "/auth/openapi.json", "", nil)
	c.Expect("GET /auth/openapi.json", spec, http.StatusOK, `"openapi":"3.1.0"`)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	c.decode("GET /auth/openapi.json", spec, &doc)
	for _, path := range []string{"/orders", "/admin/stats", "/healthz", "/auth/login"} {
		if doc.Paths[path] == nil {
			c.t.Errorf("%s: the OpenAPI document does not list %s", c.name, path)
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			resp := c.Do(strings.ToUpper(method), path, "", nil)
			if resp.Status == http.StatusNotFound || resp.Status == http.StatusMethodNotAllowed {
				c.t.Errorf("%s: %s %s is documented but not routed (%d)", c.name, strings.ToUpper(method), path, resp.Status)
			}
		}
	}
}

// HeaderLimits checks the server's request-header limit against the
// contract: 16 KiB of headers are accepted, a far larger block is refused
// with 431. A server that answers 431 and closes before reading the rest of
// the block (fasthttp, under Fiber) may have its answer lost to the
// connection reset that the unread bytes cause; that reset is a refusal
// too, and is accepted as one.
func HeaderLimits(t *testing.T, name, base string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct {
		size   int
		status int
	}{
		{16 << 10, http.StatusOK},
		{256 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, err := http.NewRequest("GET", base+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Filler", strings.Repeat("a", tc.size))
		resp, err := c.Do(req)
		if err != nil && tc.status == http.StatusRequestHeaderFieldsTooLarge && connectionCut(err) {
			t.Logf("%s: GET /healthz with a %d-byte header: connection cut (%v): refused", name, tc.size, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: GET /healthz with a %d-byte header: %v", name, tc.size, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: GET /healthz with a %d-byte header: status %d, want %d", name, tc.size, resp.StatusCode, tc.status)
		}
	}
}

// connectionCut reports whether err is the server closing the connection
// under the client (a reset, a broken pipe, an early EOF).
func connectionCut(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Client calls an example server over HTTP for a test: every method fails
// the test on a transport error or an unexpected answer.
type Client struct {
	t    *testing.T
	name string
	base string
	http *http.Client
}

// NewClient returns a Client for the server at base; name labels its
// failure messages.
func NewClient(t *testing.T, name, base string) *Client {
	return &Client{t: t, name: name, base: base, http: &http.Client{Timeout: 10 * time.Second}}
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Body is a request body and its media type.
type Body struct {
	contentType string
	data        []byte
}

// JSONBody returns v as a JSON request body.
func JSONBody(v any) *Body {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // fixed test values
	}
	return &Body{"application/json", data}
}

// Do sends method path with b (nil: no body) and, unless token is empty,
// the token as a bearer credential.
func (c *Client) Do(method, path, token string, b *Body) Response {
	c.t.Helper()
	var r io.Reader
	if b != nil {
		r = bytes.NewReader(b.data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.name, method, path, err)
	}
	if b != nil {
		req.Header.Set("Content-Type", b.contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.name, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s: %s %s: reading the body: %v", c.name, method, path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Expect fails the test unless resp has the status and its body contains
// want.
func (c *Client) Expect(what string, resp Response, status int, want string) {
	c.t.Helper()
	if resp.Status != status {
		c.t.Fatalf("%s: %s: status %d, want %d; body: %s", c.name, what, resp.Status, status, resp.Body)
	}
	if want != "" && !bytes.Contains(resp.Body, []byte(want)) {
		c.t.Fatalf("%s: %s: body %s does not contain %s", c.name, what, resp.Body, want)
	}
}

func (c *Client) decode(what string, resp Response, v any) {
	c.t.Helper()
	if err := json.Unmarshal(resp.Body, v); err != nil {
		c.t.Fatalf("%s: %s: body %s: %v", c.name, what, resp.Body, err)
	}
}

// Login posts the OAuth2 password form, expects status and, on 200,
// returns the token.
func (c *Client) Login(what, email, password string, status int) string {
	c.t.Helper()
	form := url.Values{"username": {email}, "password": {password}, "grant_type": {"password"}}
	resp := c.Do("POST", "/auth/login", "", &Body{"application/x-www-form-urlencoded", []byte(form.Encode())})
	c.Expect(what, resp, status, "")
	if status != http.StatusOK {
		return ""
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	c.decode(what, resp, &tok)
	if tok.AccessToken == "" || tok.TokenType != "bearer" {
		c.t.Fatalf("%s: %s: token response %s", c.name, what, resp.Body)
	}
	return tok.AccessToken
}

// Grace periods (SHUTDOWN_TIMEOUT) of the Shutdown checks: a short one to
// run out, a longer one for a request that completes within it.
const (
	cutOffGrace = 1 * time.Second
	drainGrace  = 5 * time.Second
	// exitSlack is how long after the grace period the program may take to
	// exit (the servers wait up to authsetup.CutOffWait, 5 s, for handlers).
	exitSlack = 6 * time.Second
)

// The emails registered by the Shutdown checks.
const (
	drainedEmail = "drained@example.com"
	cutOffEmail  = "cut-off@example.com"
)

// Shutdown builds the example in dir and checks how it stops while a
// request is in flight, a POST /auth/register whose headers and half of
// whose body have been sent:
//
//   - drain: the rest of the body follows SIGTERM within the grace period;
//     the request is answered 201 and the program exits with status 0;
//   - cut-off: the rest never comes; when the grace period (1 s through
//     SHUTDOWN_TIMEOUT) runs out the program exits with status 1 within a
//     few seconds, logging that requests were cut off.
//
// For a server on SQLite the database then opens and holds the admin and the
// drained user, and not the cut-off one: the store was closed soundly.
func Shutdown(t *testing.T, name, dir string, opts Options) {
	t.Helper()
	tmp := t.TempDir()
	bin := Build(t, name, dir, tmp)
	dbPath := filepath.Join(tmp, "users.db")

	// Drain.
	env := serverEnv(opts, dbPath)
	env["SHUTDOWN_TIMEOUT"] = drainGrace.String()
	srv := Start(t, name, bin, tmp, env)
	conn, rest := startRegister(t, name, srv.URL, drainedEmail)
	srv.sigterm(t)
	srv.waitLog(t, "shutting down", drainGrace)
	if _, err := conn.Write(rest); err != nil {
		t.Fatalf("%s: drain: sending the rest of the body after SIGTERM: %v", name, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(drainGrace))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: drain: no response to the request in flight at SIGTERM: %v; output:\n%s", name, err, srv.Output())
	}
	resp.Body.Close()
	conn.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s: drain: the request in flight at SIGTERM got status %d, want 201", name, resp.StatusCode)
	}
	srv.wait(t, drainGrace+exitSlack)
	if srv.err != nil {
		t.Fatalf("%s: drain: exit after SIGTERM: %v (want status 0); output:\n%s", name, srv.err, srv.Output())
	}

	// Cut-off, on the same database.
	env["SHUTDOWN_TIMEOUT"] = cutOffGrace.String()
	srv = Start(t, name, bin, tmp, env)
	conn, _ = startRegister(t, name, srv.URL, cutOffEmail)
	defer conn.Close()
	sent := time.Now()
	srv.sigterm(t)
	srv.wait(t, cutOffGrace+exitSlack)
	if took := time.Since(sent); took < cutOffGrace*9/10 {
		t.Errorf("%s: cut-off: exited %v after SIGTERM, before the %v grace period ran out", name, took, cutOffGrace)
	}
	var exit *exec.ExitError
	if !errors.As(srv.err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s: cut-off: exit after SIGTERM: %v, want status 1; output:\n%s", name, srv.err, srv.Output())
	}
	out := srv.Output()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "cut off") {
		t.Errorf("%s: cut-off: output lacks an error saying requests were cut off:\n%s", name, out)
	}
	// The client sees its connection end, without a success.
	_ = conn.SetReadDeadline(time.Now().Add(stopTimeout))
	reply, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("%s: cut-off: the connection is still open after the program exited", name)
	}
	if bytes.HasPrefix(reply, []byte("HTTP/1.1 2")) {
		t.Errorf("%s: cut-off: the request cut off got a success: %q", name, reply)
	}

	if opts.NoDatabase {
		return
	}
	ctx := context.Background()
	store, err := bunstore.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		t.Fatalf("%s: reopening %s after the cut-off: %v", name, dbPath, err)
	}
	defer store.Close()
	if _, err := store.FindByEmail(ctx, DefaultAdmin); err != nil {
		t.Errorf("%s: admin not on disk after the cut-off: %v", name, err)
	}
	if u, err := store.FindByEmail(ctx, drainedEmail); err != nil || u.Status != domain.StatusPending {
		t.Errorf("%s: %s (registered during the drain) on disk: %+v, %v; want pending", name, drainedEmail, u, err)
	}
	if _, err := store.FindByEmail(ctx, cutOffEmail); !errors.Is(err, domain.ErrUserNotFound) {
		t.Errorf("%s: %s (cut off) on disk: %v, want not found", name, cutOffEmail, err)
	}
}

// startRegister connects to base and sends the headers of a POST
// /auth/register for email and the first half of its body, and returns the
// connection and the rest of the body.
func startRegister(t *testing.T, name, base, email string) (net.Conn, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]string{"email": email, "password": UserPassword})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), startTimeout)
	if err != nil {
		t.Fatalf("%s: connecting to %s: %v", name, base, err)
	}
	head := "POST /auth/register HTTP/1.1\r\nHost: " + strings.TrimPrefix(base, "http://") +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	half := len(body) / 2
	if _, err := conn.Write(append([]byte(head), body[:half]...)); err != nil {
		conn.Close()
		t.Fatalf("%s: sending half a POST /auth/register: %v", name, err)
	}
	// Let the server read the headers, so the request is in flight when
	// the test signals.
	time.Sleep(200 * time.Millisecond)
	return conn, body[half:]
}
