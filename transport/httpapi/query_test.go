package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
)

// TestBadQueryString checks that every route of the contract answers 400
// with a problem document to a query string url.ParseQuery refuses, once
// the caller has passed the route's authentication, and that the detail
// quotes no more of the query than the bad escape.
func TestBadQueryString(t *testing.T) {
	api := newAPI(t, nil)
	admin := "Bearer " + loginToken(t, api, "boss@example.com", "boss-password-1")
	for _, tc := range []struct {
		name, raw, detail string
	}{
		{"semicolon separator", "limit=5;offset=0", `the query string does not parse: separate parameters with "&", not ";"`},
		{"malformed escape", "limit=%zz", `the query string does not parse: malformed %-escape "%zz"`},
		{"truncated escape in a key", "secret-value-1234&%4", `the query string does not parse: malformed %-escape "%4"`},
	} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/auth/register", `{"email":"q@example.com","password":"correct horse"}`},
			{"POST", "/auth/login", `{"email":"boss@example.com","password":"boss-password-1"}`},
			{"GET", "/auth/me", ""},
			{"POST", "/auth/change-password", `{"current_password":"boss-password-1","new_password":"another-pass-1"}`},
			{"GET", "/auth/pending", ""},
			{"POST", "/auth/approve", `{"email":"boss@example.com"}`},
			{"POST", "/auth/reject", `{"email":"nobody@example.com"}`},
		} {
			resp := route(t, api, r.method, r.path)(context.Background(), httpapi.Request{
				ContentType: "application/json", Authorization: admin, RawQuery: tc.raw, Body: strings.NewReader(r.body),
			})
			what := tc.name + ": " + r.method + " " + r.path
			checkProblem(t, what, resp, http.StatusBadRequest)
			var doc struct {
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(resp.Body, &doc); err != nil || doc.Detail != tc.detail {
				t.Errorf("%s: detail %q, want %q", what, doc.Detail, tc.detail)
			}
		}
	}
}

// TestQueryStringAfterAuthentication checks that the routes that need a
// token refuse a caller without one (401), and the admin routes a
// non-admin (403), before they look at the query string, and that
// parameters a route does not know are ignored.
func TestQueryStringAfterAuthentication(t *testing.T) {
	api := newAPI(t, nil)
	admin := "Bearer " + loginToken(t, api, "boss@example.com", "boss-password-1")
	route(t, api, "POST", "/auth/register")(context.Background(), httpapi.Request{
		ContentType: "application/json", Body: strings.NewReader(`{"email":"ann@example.com","password":"correct horse"}`),
	})
	route(t, api, "POST", "/auth/approve")(context.Background(), httpapi.Request{
		ContentType: "application/json", Authorization: admin, Body: strings.NewReader(`{"email":"ann@example.com"}`),
	})
	user := "Bearer " + loginToken(t, api, "ann@example.com", "correct horse")
	for _, tc := range []struct {
		name, method, path, authorization, raw string
		status                                 int
	}{
		{"no token on me", "GET", "/auth/me", "", "a;b", http.StatusUnauthorized},
		{"no token on pending", "GET", "/auth/pending", "", "limit=%zz", http.StatusUnauthorized},
		{"non-admin on pending", "GET", "/auth/pending", user, "limit=%zz", http.StatusForbidden},
		{"non-admin on approve", "POST", "/auth/approve", user, "a;b", http.StatusForbidden},
		{"unknown parameters", "GET", "/auth/pending", admin, "limit=5&offset=0&utm_source=x&flag", http.StatusOK},
		{"repeated parameter, the first counts", "GET", "/auth/pending", admin, "limit=1&limit=x", http.StatusOK},
		{"escaped value", "GET", "/auth/pending", admin, "limit=%31%30", http.StatusOK},
		{"not an integer", "GET", "/auth/pending", admin, "limit=x", http.StatusUnprocessableEntity},
		{"unknown parameter on me", "GET", "/auth/me", user, "access_token=x", http.StatusOK},
	} {
		resp := route(t, api, tc.method, tc.path)(context.Background(), httpapi.Request{
			ContentType: "application/json", Authorization: tc.authorization, RawQuery: tc.raw, Body: strings.NewReader(`{"email":"ann@example.com"}`),
		})
		if resp.Status != tc.status {
			t.Errorf("%s: %s %s?%s answered %d (%s), want %d", tc.name, tc.method, tc.path, tc.raw, resp.Status, resp.Body, tc.status)
		}
	}
}

// TestUnknownFieldNamed checks that the 400 for an unknown JSON field names
// it, quoted and clipped, whatever its letter case or length.
func TestUnknownFieldNamed(t *testing.T) {
	api := newAPI(t, nil)
	register := route(t, api, "POST", "/auth/register")
	long := strings.Repeat("k", 200)
	for _, tc := range []struct{ body, detail string }{
		{`{"email":"a@example.com","password":"correct horse","is_admin":true}`, `unknown field "is_admin"`},
		{`{"Email":"a@example.com","password":"correct horse"}`, `unknown field "Email"`},
		{`{"email":"a@example.com","password":"correct horse","` + long + `":1}`, `unknown field "` + strings.Repeat("k", 63) + `...`},
		{`{"email":"a@example.com","password":"correct horse","x\u0000<y>":1}`, `unknown field "x\x00<y>"`},
	} {
		resp := register(context.Background(), httpapi.Request{ContentType: "application/json", Body: strings.NewReader(tc.body)})
		var doc struct {
			Detail string `json:"detail"`
		}
		if resp.Status != http.StatusBadRequest || json.Unmarshal(resp.Body, &doc) != nil || doc.Detail != tc.detail {
			t.Errorf("%s: %d %s, want 400 with detail %q", tc.body, resp.Status, resp.Body, tc.detail)
		}
	}
}
