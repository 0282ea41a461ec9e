//go:build unix

package apidoc

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestValidatorCatchesMismatches proves that the exchange check of
// TestContractMatchesOpenAPI is not vacuous: each exchange below breaks
// the served document in one way, and the check must say so; the
// well-formed ones must pass.
func TestValidatorCatchesMismatches(t *testing.T) {
	v, err := newDocValidator(context.Background(), servedDocument(t, exampleConfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	const (
		user    = `{"email":"ann@example.com","is_admin":false,"is_approved":false,"status":"pending","created_at":"2026-11-28T10:01:41.821353Z"}`
		me      = `{"email":"ann@example.com","is_admin":false,"is_approved":true,"status":"approved","created_at":"2026-11-28T10:01:41Z","claims":{"sub":"ann@example.com","exp":1,"iat":1,"is_admin":false,"ver":0,"company_id":42}}`
		token   = `{"access_token":"x.y.z","token_type":"bearer","expires_in":1800}`
		problem = `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"missing bearer token"}`
		jsonCT  = "application/json"
		probCT  = "application/problem+json"
		formCT  = "application/x-www-form-urlencoded"
	)
	for _, tc := range []struct {
		name                 string
		method, path         string
		reqType, reqBody     string
		status               int
		respType, respBody   string
		wantUndocumented     bool
		wantProblem          string // "" for none
		wantRequestValidated bool
		omitHeaders          bool // leave out the headers the document requires
	}{
		{name: "me ok", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: me, wantRequestValidated: true},
		{name: "me without claims", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: user, wantProblem: "claims"},
		{name: "me with an unknown field", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: strings.Replace(me, `{`, `{"password_hash":"x",`, 1), wantProblem: "password_hash"},
		{name: "me with a bad status value", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: strings.Replace(me, `"approved"`, `"active"`, 1), wantProblem: "status"},
		{name: "me with a bad created_at", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: strings.Replace(me, `2026-11-28T10:01:41Z`, `yesterday`, 1), wantProblem: "date-time"},
		{name: "me with an undeclared status", method: "GET", path: "/auth/me", status: 418, respType: probCT, respBody: problem, wantProblem: "status is not supported"},
		{name: "401 as plain JSON", method: "GET", path: "/auth/me", status: 401, respType: jsonCT, respBody: problem, wantProblem: "Content-Type"},
		{name: "401 problem ok", method: "GET", path: "/auth/me", status: 401, respType: probCT, respBody: problem},
		{name: "problem without detail", method: "GET", path: "/auth/me", status: 401, respType: probCT, respBody: `{"type":"about:blank","title":"Unauthorized","status":401}`, wantProblem: "detail"},
		{name: "login ok (form)", method: "POST", path: "/auth/login", reqType: formCT, reqBody: "grant_type=password&username=ann%40example.com&password=pw", status: 200, respType: jsonCT, respBody: token, wantRequestValidated: true},
		{name: "login ok (JSON)", method: "POST", path: "/auth/login", reqType: jsonCT, reqBody: `{"email":"ann@example.com","password":"pw"}`, status: 200, respType: jsonCT, respBody: token, wantRequestValidated: true},
		{name: "login token_type not bearer", method: "POST", path: "/auth/login", reqType: jsonCT, reqBody: `{"email":"ann@example.com","password":"pw"}`, status: 200, respType: jsonCT, respBody: strings.Replace(token, `"bearer"`, `"Bearer"`, 1), wantProblem: "token_type"},
		{name: "login grant_type not password", method: "POST", path: "/auth/login", reqType: formCT, reqBody: "grant_type=client_credentials&username=a&password=b", status: 200, respType: jsonCT, respBody: token, wantProblem: "grant_type"},
		{name: "register with an unknown field accepted", method: "POST", path: "/auth/register", reqType: jsonCT, reqBody: `{"email":"a@b.c","password":"12345678","role":"admin"}`, status: 201, respType: jsonCT, respBody: user, wantProblem: "role"},
		{name: "register without a password accepted", method: "POST", path: "/auth/register", reqType: jsonCT, reqBody: `{"email":"a@b.c"}`, status: 201, respType: jsonCT, respBody: user, wantProblem: "password"},
		{name: "register refused: request not validated", method: "POST", path: "/auth/register", reqType: jsonCT, reqBody: `{"email":"a@b.c"}`, status: 422, respType: probCT, respBody: strings.Replace(problem, "401", "422", 1)},
		{name: "pending limit over the maximum accepted", method: "GET", path: "/auth/pending?limit=5000", status: 200, respType: jsonCT, respBody: "[]", wantProblem: "limit"},
		{name: "pending ok", method: "GET", path: "/auth/pending?limit=10", status: 200, respType: jsonCT, respBody: "[" + user + "]", wantRequestValidated: true},
		{name: "change-password 204 with a body", method: "POST", path: "/auth/change-password", reqType: jsonCT, reqBody: `{"current_password":"a","new_password":"b"}`, status: 204, respBody: "{}", wantProblem: "without content"},
		{name: "change-password 204 ok", method: "POST", path: "/auth/change-password", reqType: jsonCT, reqBody: `{"current_password":"a","new_password":"b"}`, status: 204, wantRequestValidated: true},
		{name: "401 without WWW-Authenticate", method: "GET", path: "/auth/me", status: 401, respType: probCT, respBody: problem, omitHeaders: true, wantProblem: "WWW-Authenticate"},
		{name: "login without Cache-Control", method: "POST", path: "/auth/login", reqType: jsonCT, reqBody: `{"email":"ann@example.com","password":"pw"}`, status: 200, respType: jsonCT, respBody: token, omitHeaders: true, wantProblem: "Cache-Control"},
		{name: "429 without Retry-After", method: "POST", path: "/auth/login", reqType: jsonCT, reqBody: `{"email":"ann@example.com","password":"pw"}`, status: 429, respType: probCT, respBody: strings.Replace(problem, "401", "429", 1), omitHeaders: true, wantProblem: "Retry-After"},
		{name: "me with a wrong-typed claim", method: "GET", path: "/auth/me", status: 200, respType: jsonCT, respBody: strings.Replace(me, `"exp":1`, `"exp":"soon"`, 1), wantProblem: "exp"},
		{name: "probe route", method: "GET", path: "/probe/login", status: 200, respType: jsonCT, respBody: `{}`, wantUndocumented: true},
		{name: "wrong method", method: "DELETE", path: "/auth/me", status: 405, respType: probCT, respBody: problem, wantUndocumented: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reqBody []byte
			if tc.reqBody != "" {
				reqBody = []byte(tc.reqBody)
			}
			req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.reqType != "" {
				req.Header.Set("Content-Type", tc.reqType)
			}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Request: req}
			if tc.respType != "" {
				resp.Header.Set("Content-Type", tc.respType)
			}
			if !tc.omitHeaders {
				// What the handlers always send with these statuses.
				switch {
				case tc.status == http.StatusUnauthorized:
					resp.Header.Set("WWW-Authenticate", "Bearer")
				case tc.status == http.StatusTooManyRequests || tc.status == http.StatusServiceUnavailable:
					resp.Header.Set("Retry-After", "1")
				case tc.path == "/auth/login" && tc.status == http.StatusOK:
					resp.Header.Set("Cache-Control", "no-store")
					resp.Header.Set("Pragma", "no-cache")
				}
			}
			got := v.check(req, reqBody, resp, []byte(tc.respBody))
			if got.documented == tc.wantUndocumented {
				t.Fatalf("documented = %v, want %v", got.documented, !tc.wantUndocumented)
			}
			problems := strings.Join(got.problems, "\n")
			switch {
			case tc.wantProblem == "" && problems != "":
				t.Errorf("unexpected mismatch: %s", problems)
			case tc.wantProblem != "" && !strings.Contains(problems, tc.wantProblem):
				t.Errorf("mismatch not reported (want one mentioning %q); got %q", tc.wantProblem, problems)
			}
			if tc.wantRequestValidated && !got.requestChecked {
				t.Errorf("the request of a %d was not validated", tc.status)
			}
		})
	}
}
