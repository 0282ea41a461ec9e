package httpauth_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// Mount the auth routes on a mux and protect an application route. (The
// example takes its Service from the test kit and sends its requests in
// memory; a program builds a persistent Service and serves mux with an
// http.Server.)
func Example() {
	kit := authtest.New()
	kit.User("ann@example.com")

	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, httpauth.Config{Service: kit.Service})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})))

	// Without a token: 401.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))

	// Log in with the OAuth2 password form, then call the route.
	form := url.Values{"username": {"ann@example.com"}, "password": {authtest.Password}}
	login := httptest.NewRequest("POST", "/auth/login", strings.NewReader(form.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, login)
	token, _, _ := strings.Cut(strings.TrimPrefix(rec.Body.String(), `{"access_token":"`), `"`)

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 401 Bearer
	// 200 orders of ann@example.com
}

// Take the OpenAPI document of the auth routes and add an application
// route to it, for an application that serves a document of its own.
func ExampleAuth_OpenAPI() {
	auth, err := httpauth.New(httpauth.Config{Service: authtest.New().Service})
	if err != nil {
		log.Fatal(err)
	}
	doc := auth.OpenAPI()
	doc.AddOperation("GET", "/orders", &openapi.Operation{
		Summary:  "The caller's orders",
		Security: openapi.Bearer(),
		Responses: map[string]*openapi.Response{
			"200": {Description: "Orders", Content: openapi.JSON(map[string]any{"type": "object"})},
		},
	})
	fmt.Println(doc.OpenAPI, doc.Operation("POST", "/auth/login").OperationID, doc.Operation("GET", "/orders").Summary)
	// Output: 3.1.0 login The caller's orders
}
