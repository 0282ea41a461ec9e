package httpauth_test

// This file's imports are its point: besides the standard library and the
// test kit that stands for the application's Service, an application that
// uses net/http imports httpauth alone. Every authadmin type it names
// (Config, Claims, Principal, Document) is declared there.

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// shopConfig is an application's configuration of the auth routes.
func shopConfig(kit *authtest.Kit) httpauth.Config {
	return httpauth.Config{Service: kit.Service, OpenAPI: titleShop}
}

// titleShop names the application in the OpenAPI document.
func titleShop(doc *httpauth.Document) { doc.Info.Title = "Shop" }

// tenant returns the caller's company from the verified claims.
func tenant(claims httpauth.Claims) string {
	company, _ := claims.StringClaim("company_id")
	return company
}

// caller describes the principal of a request.
func caller(p httpauth.Principal) string {
	return fmt.Sprintf("%s (admin: %v)", p.Email(), p.IsAdmin())
}

// An application on net/http needs one import of authadmin's transport
// layer: Config, Claims, Principal and Document are declared in httpauth.
func Example_oneImport() {
	kit := authtest.New()
	kit.User("ann@example.com")
	mux := http.NewServeMux()
	auth, err := httpauth.Setup(mux, shopConfig(kit))
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		p, _ := httpauth.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "orders of %s at %s", caller(p), tenant(claims))
	})))

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+kit.Token("ann@example.com", map[string]any{"company_id": "acme"}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)

	// The OpenAPI document served with the auth routes, as edited by titleShop.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/openapi.json", nil))
	var doc httpauth.Document
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Info.Title)
	// Output:
	// 200 orders of ann@example.com (admin: false) at acme
	// Shop
}
