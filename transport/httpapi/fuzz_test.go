package httpapi_test

import (
	"context"
	"net/http"
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
	}
	for _, s := range seeds {
		f.Add(s.route, s.contentType, s.authorization, s.query, s.body)
	}
	api := newAPI(f, nil)
	routes := api.Routes()
	// allowed lists the statuses API.md gives each route (by index in
	// Routes: register, login, me, change-password, pending, approve,
	// reject).
	allowed := [][]int{
		{201, 400, 409, 413, 415, 422},
		{200, 400, 401, 403, 413, 415, 422, 429},
		{200, 401},
		{204, 400, 401, 413, 415, 422},
		{200, 401, 403, 422},
		{200, 400, 401, 403, 404, 413, 415, 422},
		{200, 400, 401, 403, 404, 409, 413, 415, 422},
	}
	f.Fuzz(func(t *testing.T, routeIndex uint8, contentType, authorization, query, body string) {
		i := int(routeIndex) % len(routes)
		r := routes[i]
		values := parseQuery(query)
		resp := r.Handle(context.Background(), httpapi.Request{
			ContentType:   contentType,
			Authorization: authorization,
			Query:         func(name string) string { return values[name] },
			Body:          strings.NewReader(body),
		})
		ok := false
		for _, s := range allowed[i] {
			ok = ok || resp.Status == s
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

// parseQuery splits "a=1&b=2" without url.ParseQuery's errors: the fuzzer
// should reach the handler with any value.
func parseQuery(q string) map[string]string {
	values := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, seen := values[k]; !seen {
			values[k] = v
		}
	}
	return values
}
