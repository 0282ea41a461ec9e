package domain_test

import (
	"errors"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

func ExampleNormalizeEmail() {
	email, err := domain.NormalizeEmail("  Ann@Example.COM ")
	fmt.Println(email, err)

	_, err = domain.NormalizeEmail("Ann <ann@example.com>")
	fmt.Println(errors.Is(err, domain.ErrInvalidEmail), errors.Is(err, domain.ErrValidation))
	// Output:
	// ann@example.com <nil>
	// true true
}

func ExamplePasswordPolicy_Check() {
	policy := domain.PasswordPolicy{MinLength: 10}
	fmt.Println(policy.Check("correct horse battery"))
	fmt.Println(policy.Check("short"))
	// Output:
	// <nil>
	// domain: password is too short: at least 10 characters
}

func ExampleValidationError() {
	_, err := domain.NormalizeEmail("ann@localhost")
	if ve, ok := errors.AsType[*domain.ValidationError](err); ok {
		fmt.Println(ve.Detail)
		fmt.Println(ve.Kind == domain.ErrInvalidEmail, errors.Is(err, domain.ErrValidation))
	}
	// Output:
	// invalid email address: the domain needs a dot
	// true true
}

func ExampleClaims_Int64Claim() {
	claims := domain.Claims{Subject: "ann@example.com", Extra: map[string]any{"company_id": int64(42), "role": "manager"}}
	id, ok := claims.Int64Claim("company_id")
	role, _ := claims.StringClaim("role")
	fmt.Println(id, ok, role)
	// Output: 42 true manager
}
