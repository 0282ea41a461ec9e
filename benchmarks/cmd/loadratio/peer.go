package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
)

// This file holds the peer middlewares: what an application on each
// framework would typically use instead of authadmin. They check the
// token's signature (HS256 with the shared secret) and registered claims
// (exp, nbf, iat) only: no user lookup, no revocation.

// peerClaimsKey is the context key of peerJWT's claims.
type peerClaimsKey struct{}

// peerJWT is the usual hand-written golang-jwt/v5 middleware for net/http:
// strip "Bearer ", jwt.Parse into jwt.MapClaims with a key func that
// insists on HMAC, HS256 only, and put the claims in the request's context.
// A missing or invalid token gets 401.
func peerJWT(secret []byte) func(http.Handler) http.Handler {
	keyFunc := func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return secret, nil
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || raw == "" {
				w.Header().Set("WWW-Authenticate", "Bearer")
				http.Error(w, "missing bearer token", http.StatusUnauthorized)
				return
			}
			token, err := jwt.Parse(raw, keyFunc, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
			if err != nil || !token.Valid {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				http.Error(w, "invalid token", http.StatusUnauthorized)
				return
			}
			claims, _ := token.Claims.(jwt.MapClaims)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), peerClaimsKey{}, claims)))
		})
	}
}

// peerSubject returns the "sub" claim peerJWT put in ctx, or "".
func peerSubject(ctx context.Context) string {
	claims, _ := ctx.Value(peerClaimsKey{}).(jwt.MapClaims)
	sub, _ := claims.GetSubject()
	return sub
}

// echoPeer is echo-jwt with the shared secret and its defaults: HS256,
// "Authorization: Bearer", jwt.MapClaims, the *jwt.Token under "user",
// 401 for a missing or invalid token.
func echoPeer(secret []byte) (echo.MiddlewareFunc, error) {
	mw, err := echojwt.Config{SigningKey: secret}.ToMiddleware()
	if err != nil {
		return nil, fmt.Errorf("echo-jwt: %w", err)
	}
	return mw, nil
}

// echoPeerSubject returns the "sub" claim of the token echo-jwt stored, or
// "".
func echoPeerSubject(c echo.Context) string {
	return tokenSubject(c.Get("user"))
}

// fiberPeer is gofiber/contrib/jwt with the shared secret, HS256 and its
// defaults (jwt.MapClaims, the *jwt.Token in Locals "user"), except for the
// error handler: the default one answers a missing token with 400, and the
// checks (and RFC 6750) want 401 for every refusal. It only runs on the
// refusal path, so it does not touch what is measured.
func fiberPeer(secret []byte) fiber.Handler {
	return jwtware.New(jwtware.Config{
		SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
			return c.Status(fiber.StatusUnauthorized).SendString("Invalid or expired JWT")
		},
	})
}

// fiberPeerSubject returns the "sub" claim of the token
// gofiber/contrib/jwt stored, or "".
func fiberPeerSubject(c *fiber.Ctx) string {
	return tokenSubject(c.Locals("user"))
}

// tokenSubject returns the subject of v if it is a *jwt.Token, or "".
func tokenSubject(v any) string {
	token, ok := v.(*jwt.Token)
	if !ok || token.Claims == nil {
		return ""
	}
	sub, _ := token.Claims.GetSubject()
	return sub
}
