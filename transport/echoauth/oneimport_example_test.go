package echoauth_test

// This file's imports are its point: besides the standard library, Echo
// and the test kit that stands for the application's Service, an
// application that uses Echo imports echoauth alone. Every authadmin type
// it names (Config, Claims, Principal, Document) is declared there.

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/echoauth"
)

// shopConfig is an application's configuration of the auth routes.
func shopConfig(kit *authtest.Kit) echoauth.Config {
	return echoauth.Config{Service: kit.Service, OpenAPI: titleShop}
}

// titleShop names the application in the OpenAPI document.
func titleShop(doc *echoauth.Document) { doc.Info.Title = "Shop" }

// tenant returns the caller's company from the verified claims.
func tenant(claims echoauth.Claims) string {
	company, _ := claims.StringClaim("company_id")
	return company
}

// caller describes the principal of a request.
func caller(p echoauth.Principal) string {
	return fmt.Sprintf("%s (admin: %v)", p.Email(), p.IsAdmin())
}

// An application on Echo needs one import of authadmin's transport layer:
// Config, Claims, Principal and Document are declared in echoauth.
func Example_oneImport() {
	kit := authtest.New()
	kit.User("ann@example.com")
	e := echo.New()
	auth, err := echoauth.Setup(e, shopConfig(kit))
	if err != nil {
		log.Fatal(err)
	}
	e.GET("/orders", func(c echo.Context) error {
		claims, _ := echoauth.ClaimsFrom(c)
		p, _ := echoauth.PrincipalFrom(c)
		return c.String(http.StatusOK, fmt.Sprintf("orders of %s at %s", caller(p), tenant(claims)))
	}, auth.RequireLogin())

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+kit.Token("ann@example.com", map[string]any{"company_id": "acme"}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)

	// The OpenAPI document served with the auth routes, as edited by titleShop.
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/openapi.json", nil))
	var doc echoauth.Document
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Info.Title)
	// Output:
	// 200 orders of ann@example.com (admin: false) at acme
	// Shop
}
