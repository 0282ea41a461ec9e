// Command customstore is an example server whose users live in a store
// written in the example itself (store.go) instead of bunstore: any type
// with the five methods of ports.UserRepository will do, as the original
// package's "Custom user repository" allowed. Its test runs the conformance
// suite ports/storetest against that store.
//
//	go run ./examples/customstore
//
// Where the other examples build everything with one authsetup call, run
// below wires the hexagon by hand: the driven adapters (store, password
// hasher, token codec), the use cases on them, the admin seeded, then the
// driving adapter (the net/http transport). It reads the same settings
// from the environment (see examples/README.md) but AUTH_DB_URL: the store
// is in memory, so every restart begins afresh with the default admin.
// Besides the routes of the other examples it serves GET /admin/audit, the
// store's audit trail, to administrators.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/examples/internal/exampleapp"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/transport/httpauth"
	"github.com/authadmin/authadmin/usecase"
)

func main() { exampleapp.Main("customstore", run) }

func run(ctx context.Context) error {
	s, err := authsetup.SettingsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if s.DBURL != "" {
		slog.Warn(authsetup.EnvDBURL + " is ignored: this example keeps its users in memory")
	}

	// The driven side: where users live, how passwords are hashed, how
	// tokens are signed.
	store := newAuditStore()
	hasher, err := bcrypthash.New(s.BcryptCost, lowCostForTests(s.BcryptCost)...)
	if err != nil {
		return fmt.Errorf("password hasher: %w", err)
	}
	tokens, err := jwtcodec.New(s.SecretKey, jwtcodec.WithAlgorithm(s.Algorithm))
	if err != nil {
		return fmt.Errorf("token codec: %w", err)
	}
	// The core: the use cases, which know the adapters only by their ports.
	svc, err := usecase.New(usecase.Config{
		Users: store, Hasher: hasher, Tokens: tokens, TokenTTL: s.TokenTTL,
		AdminEmail: s.AdminEmail, AdminPassword: s.AdminPassword,
		AllowRemoteDefaultAdmin: s.AllowRemoteDefaultAdmin,
	})
	if err != nil {
		return fmt.Errorf("use cases: %w", err)
	}
	if _, err := svc.EnsureAdmin(ctx); err != nil {
		return fmt.Errorf("seeding the admin: %w", err)
	}

	// The driving side: the auth routes and the application's on net/http.
	mux := http.NewServeMux()
	s.OpenAPI = documentRoutes
	app := &authsetup.Auth{Service: svc, Settings: s} // for its HTTP settings and server
	auth, err := httpauth.Setup(mux, app.HTTPConfig())
	if err != nil {
		return err
	}
	mux.Handle("GET /admin/audit", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exampleapp.WriteJSON(w, store.Trail())
	})))
	mux.Handle("GET /orders", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		exampleapp.WriteJSON(w, exampleapp.Orders(claims.Subject))
	})))
	mux.Handle("GET /admin/stats", auth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		exampleapp.WriteJSON(w, exampleapp.Stats(claims.Subject))
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		exampleapp.WriteJSON(w, exampleapp.Health())
	})
	return app.ListenAndServe(ctx, mux)
}

// lowCostForTests lets AUTH_BCRYPT_COST go below the production minimum,
// as the tests do to stay fast; bcrypthash logs such a cost as INSECURE.
func lowCostForTests(cost int) []bcrypthash.Option {
	if cost != 0 && cost < bcrypthash.MinProductionCost {
		return []bcrypthash.Option{bcrypthash.AllowLowCost()}
	}
	return nil
}

// documentRoutes documents this example's own admin route next to the
// shared ones.
func documentRoutes(doc *openapi.Document) {
	exampleapp.DocumentRoutes(doc)
	doc.AddOperation("GET", "/admin/audit", &openapi.Operation{
		OperationID: "auditTrail", Summary: "The store's audit trail (administrators only)", Tags: []string{"app"},
		Security:  openapi.Bearer(),
		Responses: exampleapp.AdminResponses("The trail, oldest first", map[string]any{"type": "array"}),
	})
}
