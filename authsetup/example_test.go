package authsetup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/authsetup"
	"github.com/authadmin/authadmin/transport/httpauth"
)

// An application's whole auth: one call builds it from the environment
// (ADDR, AUTH_SECRET_KEY, AUTH_DB_URL, ...; SQLite users.db by default),
// one call mounts its routes, and ListenAndServe serves until SIGINT or
// SIGTERM, then closes the store.
func Example() {
	ctx := context.Background()
	auth, err := authsetup.FromEnv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	routes, err := httpauth.Setup(mux, auth.HTTPConfig())
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET /orders", routes.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.ClaimsFrom(r.Context())
		fmt.Fprintln(w, "orders of", claims.Subject)
	})))
	if err := auth.ListenAndServe(ctx, mux); err != nil {
		log.Fatal(err)
	}
}

// Settings in code instead of the environment, here on a store of the
// application's own (a memory store); the routes are served by a test
// server, and the seeded admin logs in.
func ExampleNew() {
	ctx := context.Background()
	auth, err := authsetup.New(ctx, authsetup.Settings{
		Users:         memstore.New(),
		SecretKey:     []byte("oT3DLAouMTPkkz5HM525Z+5Q7zbPbJt8"), // `openssl rand -base64 32`
		AdminPassword: "a long admin password",
		BcryptCost:    4, // tests only: logged as INSECURE
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer auth.Close()
	mux := http.NewServeMux()
	if _, err := httpauth.Setup(mux, auth.HTTPConfig()); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	form := url.Values{"username": {"admin@admin.com"}, "password": {"a long admin password"}}
	resp, err := http.PostForm(srv.URL+"/auth/login", form)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var token struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, token.TokenType, token.AccessToken != "")
	// Output: 200 OK bearer true
}
