package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
)

func TestPasswordPolicyCheck(t *testing.T) {
	tests := []struct {
		name   string
		policy domain.PasswordPolicy
		pw     string
		want   error
	}{
		{"default minimum met", domain.PasswordPolicy{}, "12345678", nil},
		{"default minimum missed", domain.PasswordPolicy{}, "1234567", domain.ErrPasswordTooShort},
		{"empty", domain.PasswordPolicy{}, "", domain.ErrPasswordRequired},
		{"72 bytes", domain.PasswordPolicy{}, strings.Repeat("x", 72), nil},
		{"73 bytes", domain.PasswordPolicy{}, strings.Repeat("x", 73), domain.ErrPasswordTooLong},
		{"characters not bytes: 8 runes, 16 bytes", domain.PasswordPolicy{}, strings.Repeat("\u00e9", 8), nil},
		{"7 runes of 3 bytes each", domain.PasswordPolicy{}, strings.Repeat("\u20ac", 7), domain.ErrPasswordTooShort},
		{"25 runes but 75 bytes", domain.PasswordPolicy{}, strings.Repeat("\u20ac", 25), domain.ErrPasswordTooLong},
		{"configured minimum met", domain.PasswordPolicy{MinLength: 12}, "123456789012", nil},
		{"configured minimum missed", domain.PasswordPolicy{MinLength: 12}, "12345678901", domain.ErrPasswordTooShort},
		{"configured lower minimum", domain.PasswordPolicy{MinLength: 4}, "1234", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.pw)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("Check error %v is not an ErrValidation", err)
			}
		})
	}
}

func TestPasswordPolicyValidate(t *testing.T) {
	for _, min := range []int{-1, 73} {
		if err := (domain.PasswordPolicy{MinLength: min}).Validate(); err == nil {
			t.Errorf("MinLength %d accepted", min)
		}
	}
	for _, min := range []int{0, 1, 8, 72} {
		if err := (domain.PasswordPolicy{MinLength: min}).Validate(); err != nil {
			t.Errorf("MinLength %d refused: %v", min, err)
		}
	}
}

func TestCheckPasswordInputSkipsMinimum(t *testing.T) {
	if err := domain.CheckPasswordInput("short"); err != nil {
		t.Fatalf("CheckPasswordInput applies the minimum length: %v", err)
	}
}
