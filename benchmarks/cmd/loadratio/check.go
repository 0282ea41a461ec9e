package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// checkRoutes checks, before anything is measured, that the server behind
// info answers as the comparison assumes: /bare 200 with okJSON; /authadmin
// and /peer 200 with okJSON given the token, and 401 without a token and
// with the same claims signed by another key. Every failure is reported.
func checkRoutes(ctx context.Context, client *http.Client, info readyInfo) error {
	forged, err := resign(info.Token, []byte("another-key-of-thirty-two-bytes!"))
	if err != nil {
		return err
	}
	type probe struct {
		route, what, token string
		want               int
	}
	probes := []probe{
		{routeBare, "with the token", info.Token, http.StatusOK},
		{routeBare, "without a token", "", http.StatusOK},
	}
	for _, route := range []string{routeAuthadmin, routePeer} {
		probes = append(probes,
			probe{route, "with the token", info.Token, http.StatusOK},
			probe{route, "without a token", "", http.StatusUnauthorized},
			probe{route, "with a token signed by another key", forged, http.StatusUnauthorized},
		)
	}
	var errs []error
	for _, p := range probes {
		status, body, err := get(ctx, client, info.URL(p.route), p.token)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %s: %w", p.route, p.what, err))
		case status != p.want:
			errs = append(errs, fmt.Errorf("%s %s: status %d, want %d (body %q)", p.route, p.what, status, p.want, truncate(body, 200)))
		case p.want == http.StatusOK && body != okJSON:
			errs = append(errs, fmt.Errorf("%s %s: body %q, want %q", p.route, p.what, truncate(body, 200), okJSON))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("route check of the %s server failed: %w", info.Framework, errors.Join(errs...))
	}
	return nil
}

// checkLogin checks that the login route answers the right password with
// 200 and an access token.
func checkLogin(ctx context.Context, client *http.Client, info readyInfo) error {
	status, body, err := postLogin(ctx, client, info.Login, userEmail, userPassword)
	if err != nil {
		return fmt.Errorf("login check: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("login check: status %d, want 200 (body %q)", status, truncate(body, 200))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("login check: no access_token in %q", truncate(body, 200))
	}
	return nil
}

// get sends GET target, with "Authorization: Bearer token" unless token is
// empty, and returns the status and body.
func get(ctx context.Context, client *http.Client, target, token string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, "", fmt.Errorf("request: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(client, req)
}

// postLogin posts the OAuth2 password form to loginURL.
func postLogin(ctx context.Context, client *http.Client, loginURL, username, password string) (int, string, error) {
	form := url.Values{"username": {username}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(client, req)
}

// do sends req and reads the whole response.
func do(client *http.Client, req *http.Request) (int, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("reading the response: %w", err)
	}
	return resp.StatusCode, string(body), nil
}

// resign returns token's header and claims signed with HS256 and key: a
// well-formed token whose signature the servers must refuse.
func resign(token string, key []byte) (string, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return "", fmt.Errorf("reading the token's claims: %w", err)
	}
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("signing the forged token: %w", err)
	}
	return forged, nil
}

// truncate shortens s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// newClient returns an HTTP client with its own transport keeping up to
// conns idle connections to the server.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}
