package jwtcodec_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

var ctx = context.Background()

// exampleKey is the output of `openssl rand -base64 32`, published here and
// so good for nothing but examples.
const exampleKey = "IvLpYPrFV9c3XToXuKqV0xzkc6RKHDFJaNJZM3Kasvc="

func Example() {
	codec, err := jwtcodec.New([]byte(exampleKey), jwtcodec.WithIssuer("https://auth.example.com"))
	if err != nil {
		fmt.Println(err)
		return
	}
	issued := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	token, err := codec.Encode(ctx, domain.Claims{
		Subject:      "ann@example.com",
		IsAdmin:      true,
		TokenVersion: 1,
		IssuedAt:     issued,
		ExpiresAt:    issued.Add(30 * time.Minute),
		Extra:        map[string]any{"company_id": int64(9007199254740993), "role": "owner"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	claims, err := codec.Decode(ctx, token, issued.Add(time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	companyID, _ := claims.Int64Claim("company_id")
	role, _ := claims.StringClaim("role")
	fmt.Println(claims.Subject, claims.IsAdmin, claims.TokenVersion)
	fmt.Println(claims.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Println(companyID, role)

	_, err = codec.Decode(ctx, token, issued.Add(time.Hour))
	fmt.Println("an hour later:", errors.Is(err, domain.ErrInvalidToken), errors.Is(err, jwtcodec.ErrExpired))
	// Output:
	// ann@example.com true 1
	// 2025-01-02T03:34:05Z
	// 9007199254740993 owner
	// an hour later: true true
}

func ExampleNew_randomKey() {
	// Without a Secret the codec makes a random key and warns: tokens die
	// with the process. Fine for a demo, wrong behind a load balancer.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	codec, err := jwtcodec.New(nil, jwtcodec.WithLogger(logger))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(codec.Algorithm())
	// Output:
	// level=WARN msg="jwtcodec: no secret key configured; using a random key for this process: tokens die with the process and other instances refuse them"
	// HS256
}

func ExampleNew_keyTooShort() {
	_, err := jwtcodec.New([]byte("too short"), jwtcodec.WithAlgorithm("HS512"))
	fmt.Println(errors.Is(err, jwtcodec.ErrKeyTooShort))
	fmt.Println(err)
	// Output:
	// true
	// jwtcodec: secret key shorter than the algorithm's hash size: HS512 needs at least 64 bytes, got 9; generate one with `openssl rand -hex 64`
}

func ExampleNew_weakSecret() {
	// Long enough, but anyone holding one token signed with it could guess
	// it offline and forge any token.
	_, err := jwtcodec.New([]byte("my-super-secret-jwt-key-for-2026"))
	fmt.Println(errors.Is(err, jwtcodec.ErrWeakSecret))
	fmt.Println(err)
	// Output:
	// true
	// jwtcodec: secret key too weak: one token would let an attacker guess it offline: its strength is estimated at 39 bits, not above 128 (a repeated character or pattern, a sequence, common words, too few kinds of characters or a short hex string); generate a random key with `openssl rand -base64 32`
}

func ExampleCodec_Encode_reservedClaim() {
	codec, err := jwtcodec.New([]byte(exampleKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	issued := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err = codec.Encode(ctx, domain.Claims{
		Subject:   "ann@example.com",
		IssuedAt:  issued,
		ExpiresAt: issued.Add(time.Hour),
		Extra:     map[string]any{"is_admin": true}, // not a way to make an admin
	})
	fmt.Println(errors.Is(err, domain.ErrReservedClaim))
	// Output:
	// true
}

func ExampleCodec_Decode() {
	codec, err := jwtcodec.New([]byte(exampleKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, token := range []string{
		"",
		// Three segments, but "token" is no HS256 signature.
		"not.a.token",
		// {"alg":"none"}: never accepted.
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbm5AZXhhbXBsZS5jb20iLCJpc19hZG1pbiI6dHJ1ZX0.",
	} {
		_, err := codec.Decode(ctx, token, time.Now())
		fmt.Println(errors.Is(err, domain.ErrInvalidToken), errors.Is(err, jwtcodec.ErrMalformed), errors.Is(err, jwtcodec.ErrSignature))
	}
	// Output:
	// true true false
	// true false true
	// true false true
}
