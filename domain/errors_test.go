package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
)

// TestValidationErrorDetails checks that every validation failure of the
// domain is a *domain.ValidationError, even wrapped, whose Kind is the
// sentinel, whose Detail is the words a client is shown, and which matches
// both the sentinel and domain.ErrValidation.
func TestValidationErrorDetails(t *testing.T) {
	policy := domain.PasswordPolicy{}
	email := func(s string) error { _, err := domain.NormalizeEmail(s); return err }
	status := func(s string) error { _, err := domain.ParseStatus(s); return err }
	tests := []struct {
		name   string
		err    error
		kind   error
		detail string
	}{
		{"empty email", email(""), domain.ErrInvalidEmail, "invalid email address: empty"},
		{"no at", email("ann.example.com"), domain.ErrInvalidEmail, "invalid email address: must contain exactly one @"},
		{"control character", email("ann\x00@example.com"), domain.ErrInvalidEmail, `invalid email address: control character '\x00'`},
		{"non-ASCII", email("jos\u00e9@example.com"), domain.ErrInvalidEmail, "invalid email address: only ASCII addresses are accepted"},
		{"single label", email("ann@localhost"), domain.ErrInvalidEmail, "invalid email address: the domain needs a dot"},
		{"bad local character", email("a(b@example.com"), domain.ErrInvalidEmail, `invalid email address: character '(' not allowed before @`},
		{"numeric TLD", email("ann@127.0.0.1"), domain.ErrInvalidEmail, "invalid email address: numeric top-level domain"},
		{"empty password", policy.Check(""), domain.ErrPasswordRequired, "password is required"},
		{"short password", policy.Check("1234567"), domain.ErrPasswordTooShort, "password is too short: at least 8 characters"},
		{"raised minimum", domain.PasswordPolicy{MinLength: 12}.Check("12345678"), domain.ErrPasswordTooShort, "password is too short: at least 12 characters"},
		{"long password", policy.Check(strings.Repeat("x", 80)), domain.ErrPasswordTooLong, "password is longer than 72 bytes (80 bytes)"},
		{"long login password", domain.CheckPasswordInput(strings.Repeat("x", 73)), domain.ErrPasswordTooLong, "password is longer than 72 bytes (73 bytes)"},
		{"empty login password", domain.CheckPasswordInput(""), domain.ErrPasswordRequired, "password is required"},
		{"unknown status", status("deleted"), domain.ErrValidation, `unknown status "deleted"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("usecase: register: %w", tt.err)
			ve, ok := errors.AsType[*domain.ValidationError](wrapped)
			if !ok {
				t.Fatalf("error %v (%T) is not a *domain.ValidationError", tt.err, tt.err)
			}
			if ve.Kind != tt.kind || ve.Detail != tt.detail {
				t.Errorf("Kind, Detail = %v, %q; want %v, %q", ve.Kind, ve.Detail, tt.kind, tt.detail)
			}
			if !errors.Is(wrapped, tt.kind) || !errors.Is(wrapped, domain.ErrValidation) {
				t.Errorf("%v does not match %v and domain.ErrValidation", wrapped, tt.kind)
			}
			if got := tt.err.Error(); got != "domain: "+tt.detail {
				t.Errorf("Error() = %q, want %q", got, "domain: "+tt.detail)
			}
		})
	}
}

// TestValidationErrorMatchesOnlyItsKind checks that a ValidationError is
// not taken for another sentinel.
func TestValidationErrorMatchesOnlyItsKind(t *testing.T) {
	err := domain.PasswordPolicy{}.Check("short")
	for _, other := range []error{domain.ErrInvalidEmail, domain.ErrPasswordRequired, domain.ErrPasswordTooLong, domain.ErrInvalidPage, domain.ErrInvalidCredentials} {
		if errors.Is(err, other) {
			t.Errorf("%v matches %v", err, other)
		}
	}
	custom := &domain.ValidationError{Kind: domain.ErrInvalidPage, Detail: "invalid page: limit must be 1..1000"}
	if !errors.Is(custom, domain.ErrInvalidPage) || !errors.Is(custom, domain.ErrValidation) || errors.Is(custom, domain.ErrInvalidEmail) {
		t.Errorf("a ValidationError of Kind ErrInvalidPage matches the wrong sentinels")
	}
}

// TestSentinelsArePrefixed checks that the domain's errors name their
// package.
func TestSentinelsArePrefixed(t *testing.T) {
	for _, err := range []error{
		domain.ErrValidation, domain.ErrInvalidEmail, domain.ErrPasswordRequired, domain.ErrPasswordTooShort,
		domain.ErrPasswordTooLong, domain.ErrInvalidPage, domain.ErrUserNotFound, domain.ErrEmailTaken,
		domain.ErrConflict, domain.ErrInvalidCredentials, domain.ErrAccountPending, domain.ErrAccountRejected,
		domain.ErrIncorrectPassword, domain.ErrPasswordMismatch, domain.ErrInvalidToken, domain.ErrForbidden,
		domain.ErrPasswordChangeRequired, domain.ErrCannotRejectAdmin, domain.ErrReservedClaim,
		domain.ErrTooManyAttempts, domain.ErrOverloaded, domain.ErrTooManyRegistrations,
		domain.ErrStoreUnavailable, domain.ErrDefaultPasswordRemote,
	} {
		if !strings.HasPrefix(err.Error(), "domain: ") {
			t.Errorf("%q does not start with \"domain: \"", err)
		}
	}
	if err := (domain.PasswordPolicy{MinLength: -1}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "domain: ") {
		t.Errorf("Validate error %v does not start with \"domain: \"", err)
	}
}
