package authtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// orders is an application handler: it reads the caller's tenant from the
// token RequireLogin verified.
func orders(w http.ResponseWriter, r *http.Request) {
	claims, _ := httpauth.ClaimsFrom(r.Context())
	company, _ := claims.StringClaim("company_id")
	fmt.Fprintf(w, "orders of %s at %s", claims.Subject, company)
}

// Testing an application handler behind RequireLogin: a user, a token with
// a tenant claim, one request.
func Example() {
	kit := authtest.New()
	kit.User("ann@example.com")
	auth, _ := httpauth.New(kit.HTTPConfig())
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+kit.Token("ann@example.com", map[string]any{"company_id": "acme"}))
	rec := httptest.NewRecorder()
	auth.RequireLogin(http.HandlerFunc(orders)).ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 orders of ann@example.com at acme
}
