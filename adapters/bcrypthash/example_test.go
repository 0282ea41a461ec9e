package bcrypthash_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/domain"
)

func ExampleNew() {
	h, err := bcrypthash.New(0) // DefaultCost
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Cost())

	_, err = bcrypthash.New(8)
	fmt.Println(errors.Is(err, bcrypthash.ErrCostTooLow))
	// Output:
	// 12
	// true
}

func ExampleAllowLowCost() {
	// In tests, a low cost keeps suites fast; New logs a warning.
	h, err := bcrypthash.New(bcrypthash.MinCost,
		bcrypthash.AllowLowCost(),
		bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Cost())
	// Output:
	// 4
}

func ExampleHasher_Compare() {
	h, err := bcrypthash.New(bcrypthash.MinCost,
		bcrypthash.AllowLowCost(),
		bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hash[:7]) // algorithm and cost; salt and digest follow

	fmt.Println(h.Compare(ctx, hash, "correct horse battery staple"))
	err = h.Compare(ctx, hash, "Tr0ub4dor&3")
	fmt.Println(errors.Is(err, domain.ErrPasswordMismatch))
	err = h.Compare(ctx, "not a hash", "correct horse battery staple")
	fmt.Println(errors.Is(err, domain.ErrPasswordMismatch), err != nil)
	// Output:
	// $2a$04$
	// <nil>
	// true
	// false true
}

func ExampleHasher_Hash_tooLong() {
	h, err := bcrypthash.New(bcrypthash.MinCost,
		bcrypthash.AllowLowCost(),
		bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	// bcrypt reads 72 bytes at most: a longer password is refused rather
	// than silently truncated.
	_, err = h.Hash(context.Background(), strings.Repeat("x", 73))
	fmt.Println(errors.Is(err, domain.ErrPasswordTooLong))
	// Output:
	// true
}
