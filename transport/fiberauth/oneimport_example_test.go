package fiberauth_test

// This file's imports are its point: besides the standard library, Fiber
// and the test kit that stands for the application's Service, an
// application that uses Fiber imports fiberauth alone. Every authadmin type
// it names (Config, Claims, Principal, Document) is declared there.

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/fiberauth"
)

// shopConfig is an application's configuration of the auth routes.
func shopConfig(kit *authtest.Kit) fiberauth.Config {
	return fiberauth.Config{Service: kit.Service, OpenAPI: titleShop}
}

// titleShop names the application in the OpenAPI document.
func titleShop(doc *fiberauth.Document) { doc.Info.Title = "Shop" }

// tenant returns the caller's company from the verified claims.
func tenant(claims fiberauth.Claims) string {
	company, _ := claims.StringClaim("company_id")
	return company
}

// caller describes the principal of a request.
func caller(p fiberauth.Principal) string {
	return fmt.Sprintf("%s (admin: %v)", p.Email(), p.IsAdmin())
}

// An application on Fiber needs one import of authadmin's transport layer:
// Config, Claims, Principal and Document are declared in fiberauth.
func Example_oneImport() {
	kit := authtest.New()
	kit.User("ann@example.com")
	app := fiber.New(fiberauth.AppConfig(fiber.Config{}))
	auth, err := fiberauth.Setup(app, shopConfig(kit))
	if err != nil {
		log.Fatal(err)
	}
	app.Get("/orders", auth.RequireLogin(), func(c *fiber.Ctx) error {
		claims, _ := fiberauth.ClaimsFrom(c)
		p, _ := fiberauth.PrincipalFrom(c)
		return c.SendString(fmt.Sprintf("orders of %s at %s", caller(p), tenant(claims)))
	})

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+kit.Token("ann@example.com", map[string]any{"company_id": "acme"}))
	resp, err := app.Test(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))

	// The OpenAPI document served with the auth routes, as edited by titleShop.
	resp, err = app.Test(httptest.NewRequest("GET", "/auth/openapi.json", nil))
	if err != nil {
		log.Fatal(err)
	}
	var doc fiberauth.Document
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Info.Title)
	// Output:
	// 200 orders of ann@example.com (admin: false) at acme
	// Shop
}
