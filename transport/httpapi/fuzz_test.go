package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/transport/httpapi"
)

// FuzzRoutes sends arbitrary requests to every route and checks that each
// gets one of the statuses API.md gives for it: never a 500, never a panic,
// and every error as a problem document. Run it with
// go test -fuzz FuzzRoutes ./transport/httpapi; the seeds below and any
// input it ever failed on (testdata/fuzz) run on every go test.
func FuzzRoutes(f *testing.F) {
	seeds := []struct {
		route         uint8
		contentType   string
		authorization string
		query, body   string
	}{
		{0, "application/json", "", "", `{"email":"ann@example.com","password":"correct horse"}`},
		{0, "application/json", "", "", `{"email":"x'); DROP TABLE users; --@example.com","password":"correct horse"}`},
		{0, "application/json", "", "", `{"email":"ann\u0000@example.com","password":"correct horse"}`},
		{0, "application/json", "", "", `{"email":"ann@example.com","password":"` + strings.Repeat("é", 40) + `"}`},
		{0, "application/json; charset=utf-8", "", "", `{"email":"a@b.co","password":"12345678","is_admin":true}`},
		{0, "application/json", "", "", `{"email":"a@b.co","password":"12345678"}{"x":1}`},
		{1, "application/x-www-form-urlencoded", "", "", "username=boss%40example.com&password=boss-password-1&grant_type=password"},
		{1, "application/x-www-form-urlencoded", "", "", "username=a&username=b&password=x"},
		{1, "application/x-www-form-urlencoded", "", "", "username=%zz"},
		{1, "application/json", "", "", `{"email":"boss@example.com","username":"x","password":"p"}`},
		{1, "multipart/form-data; boundary=x", "", "", "--x--"},
		{2, "", "Bearer a.b.c", "", ""},
		{2, "", "Bearer " + strings.Repeat(".", 10000), "", ""},
		{3, "application/json", "Bearer eyJhbGciOiJub25lIn0.e30.", "", `{"current_password":"a","new_password":"b"}`},
		{4, "", "Bearer x", "limit=abc&offset=-1", ""},
		{5, "application/json", "Basic Ym9zczpwdw==", "", `{"email":"ann@example.com"}`},
		{6, "application/json", "", "", `{"email":["x"]}`},
		{0x13, "application/json", "", "", `{"current_password":"correct horse","new_password":"x"}`},
		{0x14, "", "", "limit=abc&offset=1", ""},
		{0x15, "application/json", "", "", `{"email":"nobody@example.com"}`},
		{0x16, "application/json", "", "", `{"email":"boss@example.com"}`},
		{0x16, "application/json", "", "", `{"EMAIL":"fuzz@example.com"}`},
		{0x24, "", "", "limit=5", ""},
		{0x14, "", "", "limit=5;offset=0", ""},
		{0x14, "", "", "limit=%zz", ""},
		{0x12, "", "", "x=%", ""},
		{0x00, "application/json", "", "a;b", `{"email":"a@b.co","password":"12345678"}`},
		{0x25, "application/json", "", "", `{"email":"fuzz@example.com"}`},
	}
	for _, s := range seeds {
		f.Add(s.route, s.contentType, s.authorization, s.query, s.body)
	}
	api := newAPI(f, nil)
	routes := api.Routes()
	// Tokens the fuzzer can swap in (tokenKind), so that it gets past
	// authentication to the body and query handling of every route: none
	// (whatever authorization says), the admin's, an approved user's.
	tokens := []string{"", "Bearer " + loginToken(f, api, "boss@example.com", "boss-password-1"), ""}
	route(f, api, "POST", "/auth/register")(context.Background(), httpapi.Request{
		ContentType: "application/json", Body: strings.NewReader(`{"email":"fuzz@example.com","password":"correct horse"}`),
	})
	approve := route(f, api, "POST", "/auth/approve")(context.Background(), httpapi.Request{
		ContentType: "application/json", Authorization: tokens[1], Body: strings.NewReader(`{"email":"fuzz@example.com"}`),
	})
	if approve.Status != http.StatusOK {
		f.Fatalf("setup: approve: %d %s", approve.Status, approve.Body)
	}
	tokens[2] = "Bearer " + loginToken(f, api, "fuzz@example.com", "correct horse")
	// allowed lists the statuses API.md gives each route (by index in
	// Routes: register, login, me, change-password, pending, approve,
	// reject).
	allowed := [][]int{
		{201, 400, 409, 413, 415, 422},
		{200, 400, 401, 403, 413, 415, 422, 429},
		{200, 400, 401},
		{204, 400, 401, 413, 415, 422},
		{200, 400, 401, 403, 422},
		{200, 400, 401, 403, 404, 413, 415, 422},
		{200, 400, 401, 403, 404, 409, 413, 415, 422},
	}
	doc := api.OpenAPI()
	f.Fuzz(func(t *testing.T, routeIndex uint8, contentType, authorization, query, body string) {
		if kind := int(routeIndex>>4) % len(tokens); kind > 0 {
			authorization = tokens[kind]
		}
		i := int(routeIndex&0x0f) % len(allowed) // the documentation routes have no input
		r := routes[i]
		resp := r.Handle(context.Background(), httpapi.Request{
			ContentType:   contentType,
			Authorization: authorization,
			RawQuery:      query,
			Body:          strings.NewReader(body),
		})
		ok := false
		for _, s := range allowed[i] {
			ok = ok || resp.Status == s
		}
		if doc.Operation(r.Method, r.Path).Responses[strconv.Itoa(resp.Status)] == nil {
			t.Fatalf("%s %s answered %d (%s), which its OpenAPI operation does not declare", r.Method, r.Path, resp.Status, resp.Body)
		}
		if !ok {
			t.Fatalf("%s %s answered %d (%s); API.md allows %v", r.Method, r.Path, resp.Status, resp.Body, allowed[i])
		}
		if resp.Status >= 400 && resp.Header.ContentType != "application/problem+json" {
			t.Fatalf("%s %s: error %d with Content-Type %q", r.Method, r.Path, resp.Status, resp.Header.ContentType)
		}
		if resp.Status == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.WWWAuthenticate, "Bearer") {
			t.Fatalf("%s %s: 401 without WWW-Authenticate: Bearer", r.Method, r.Path)
		}
	})
}

// loginToken logs in through the login route and returns the access token.
func loginToken(t testing.TB, api *httpapi.API, email, password string) string {
	t.Helper()
	resp := route(t, api, "POST", "/auth/login")(context.Background(), httpapi.Request{
		ContentType: "application/x-www-form-urlencoded",
		Body:        strings.NewReader(url.Values{"username": {email}, "password": {password}}.Encode()),
	})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &tok) != nil {
		t.Fatalf("login %s: %d %s", email, resp.Status, resp.Body)
	}
	return tok.AccessToken
}
