package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/usecase"
)

// newAPI returns an API on the test kit's Service (memory store, fast
// hash), whose admin is boss@example.com / boss-password-1; logs go to logs
// if it is not nil.
func newAPI(t testing.TB, logs *bytes.Buffer) *httpapi.API {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	kit := authtest.New(authtest.WithConfig(func(cfg *usecase.Config) {
		cfg.AdminEmail, cfg.AdminPassword = "boss@example.com", "boss-password-1"
	}))
	if _, err := kit.Service.EnsureAdmin(context.Background()); err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Service: kit.Service, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// route returns the handler of method and path.
func route(t testing.TB, api *httpapi.API, method, path string) func(context.Context, httpapi.Request) httpapi.Response {
	t.Helper()
	for _, r := range api.Routes() {
		if r.Method == method && r.Path == path {
			return r.Handle
		}
	}
	t.Fatalf("no route %s %s", method, path)
	return nil
}

// checkProblem checks that resp is a problem document with status.
func checkProblem(t *testing.T, what string, resp httpapi.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Errorf("%s: status %d (%s); want %d", what, resp.Status, resp.Body, status)
		return
	}
	if resp.Header.ContentType != "application/problem+json" {
		t.Errorf("%s: Content-Type %q", what, resp.Header.ContentType)
	}
	var doc map[string]any
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		t.Fatalf("%s: body %q: %v", what, resp.Body, err)
	}
	if doc["type"] != "about:blank" || doc["title"] != http.StatusText(status) || doc["status"] != float64(status) || doc["detail"] == "" {
		t.Errorf("%s: problem document %s", what, resp.Body)
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := httpapi.New(httpapi.Config{}); err == nil {
		t.Error("New without a Service succeeded")
	}
	for _, prefix := range []string{"auth", "/auth/", "/a b", "/a//b", "/{x}"} {
		if _, err := httpapi.New(httpapi.Config{Service: mustService(t), Prefix: prefix}); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
	a, err := httpapi.New(httpapi.Config{Service: mustService(t), Prefix: "/api/v1/auth"})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Routes()[0].Path; got != "/api/v1/auth/register" {
		t.Errorf("first route %q", got)
	}
}

func mustService(t *testing.T) *usecase.Service {
	t.Helper()
	return authtest.New().Service
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, token string
		bearer        bool
	}{
		{"", "", false},
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc", "abc", true},
		{"Bearer", "", true},
		{"Bearer ", "", true},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearerabc", "", false},
	}
	for _, tc := range tests {
		token, bearer := httpapi.BearerTokenForTest(tc.header)
		if token != tc.token || bearer != tc.bearer {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.header, token, bearer, tc.token, tc.bearer)
		}
	}
}

// TestErrorMapping checks the status of every domain error, and that an
// unknown error is a 500 whose cause is logged, not sent.
func TestErrorMapping(t *testing.T) {
	var logs bytes.Buffer
	api := newAPI(t, &logs)
	tests := []struct {
		err    error
		status int
	}{
		{domain.ErrInvalidEmail, 422},
		{fmt.Errorf("%w: at least 8 characters", domain.ErrPasswordTooShort), 422},
		{domain.ErrPasswordTooLong, 422},
		{domain.ErrPasswordRequired, 422},
		{domain.ErrInvalidPage, 422},
		{domain.ErrValidation, 422},
		{fmt.Errorf("usecase: register: store: %w", domain.ErrEmailTaken), 409},
		{domain.ErrCannotRejectAdmin, 409},
		{domain.ErrInvalidCredentials, 401},
		{domain.ErrInvalidToken, 401},
		{domain.ErrAccountPending, 403},
		{domain.ErrAccountRejected, 403},
		{domain.ErrForbidden, 403},
		{domain.ErrPasswordChangeRequired, 403},
		{domain.ErrIncorrectPassword, 400},
		{domain.ErrUserNotFound, 404},
		{errors.New("bunstore: find: dial tcp 10.0.0.7:5432: connection refused"), 500},
	}
	for _, tc := range tests {
		resp := api.FailForTest(tc.err)
		checkProblem(t, tc.err.Error(), resp, tc.status)
		if tc.status == 401 && !strings.HasPrefix(resp.Header.WWWAuthenticate, "Bearer") {
			t.Errorf("%v: WWW-Authenticate %q", tc.err, resp.Header.WWWAuthenticate)
		}
	}
	resp := api.FailForTest(errors.New("bunstore: find: dial tcp 10.0.0.7:5432: connection refused"))
	if strings.Contains(string(resp.Body), "10.0.0.7") || !strings.Contains(logs.String(), "10.0.0.7") {
		t.Errorf("500 body %s, log %q: the cause belongs in the log only", resp.Body, logs.String())
	}
	// A validation error's detail is its Detail, found through any
	// wrapping; a bare sentinel gets the mapping's generic words; the
	// error's text is never read.
	for _, tc := range []struct {
		name   string
		err    error
		detail string
	}{
		{"wrapped ValidationError", fmt.Errorf("usecase: register: %w", &domain.ValidationError{Kind: domain.ErrPasswordTooShort, Detail: "password is too short: at least 8 characters"}), "password is too short: at least 8 characters"},
		{"ValidationError of Kind ErrValidation", &domain.ValidationError{Kind: domain.ErrValidation, Detail: "unknown status"}, "unknown status"},
		{"ValidationError without a Detail", &domain.ValidationError{Kind: domain.ErrInvalidEmail}, "invalid email address"},
		{"bare sentinel", fmt.Errorf("usecase: %w", domain.ErrPasswordTooLong), "password is longer than 72 bytes"},
		{"text that looks like a detail", fmt.Errorf("authadmin: secret internals: %w", domain.ErrValidation), "invalid input"},
	} {
		resp := api.FailForTest(tc.err)
		var doc struct {
			Detail string `json:"detail"`
		}
		if resp.Status != http.StatusUnprocessableEntity || json.Unmarshal(resp.Body, &doc) != nil || doc.Detail != tc.detail {
			t.Errorf("%s: %d %s, want 422 with detail %q", tc.name, resp.Status, resp.Body, tc.detail)
		}
	}
}

// TestDecoding checks the 400/413/415/422 answers of the body decoding on
// POST /register.
func TestDecoding(t *testing.T) {
	api := newAPI(t, nil)
	register := route(t, api, "POST", "/auth/register")
	tests := []struct {
		name, contentType, body string
		status                  int
	}{
		{"valid", "application/json", `{"email":"ann@example.com","password":"correct horse"}`, 201},
		{"charset parameter", "application/json; charset=utf-8", `{"email":"bob@example.com","password":"correct horse"}`, 201},
		{"not JSON", "application/json", `{"email":`, 400},
		{"empty body", "application/json", ``, 400},
		{"array", "application/json", `[]`, 400},
		{"trailing data", "application/json", `{"email":"c@example.com","password":"correct horse"} {}`, 400},
		{"trailing garbage", "application/json", `{"email":"c@example.com","password":"correct horse"}x`, 400},
		{"wrong type", "application/json", `{"email":1,"password":"correct horse"}`, 400},
		{"unknown field", "application/json", `{"email":"d@example.com","password":"correct horse","is_admin":true}`, 400},
		{"username is not a register field", "application/json", `{"username":"d@example.com","password":"correct horse"}`, 400},
		{"key in another letter case", "application/json", `{"EMAIL":"h@example.com","password":"correct horse"}`, 400},
		{"repeated key", "application/json", `{"email":"i@example.com","email":"boss@example.com","password":"correct horse"}`, 400},
		{"text/plain", "text/plain", `{}`, 415},
		{"no content type", "", `{}`, 415},
		{"form", "application/x-www-form-urlencoded", `email=a`, 415},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
		{"missing password", "application/json", `{"email":"e@example.com"}`, 422},
		{"null email", "application/json", `{"email":null,"password":"correct horse"}`, 400},
		{"null extra field of the shared body", "application/json", `{"email":"ann@example.com","password":"correct horse","username":null}`, 400},
		{"null body", "application/json", `null`, 422},
		{"bad email", "application/json", `{"email":"not-an-email","password":"correct horse"}`, 422},
		{"short password", "application/json", `{"email":"f@example.com","password":"short"}`, 422},
		{"73-byte password", "application/json", `{"email":"g@example.com","password":"` + strings.Repeat("x", 73) + `"}`, 422},
	}
	for _, tc := range tests {
		resp := register(context.Background(), httpapi.Request{ContentType: tc.contentType, Body: strings.NewReader(tc.body)})
		if tc.status >= 400 {
			checkProblem(t, tc.name, resp, tc.status)
		} else if resp.Status != tc.status {
			t.Errorf("%s: status %d (%s); want %d", tc.name, resp.Status, resp.Body, tc.status)
		}
	}
}
