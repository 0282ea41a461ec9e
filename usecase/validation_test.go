package usecase_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// Every validation failure a use case reports is a *domain.ValidationError
// whose Detail is what a client is shown, and whose Kind is the sentinel.
func TestUseCaseValidationErrors(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	ctx := t.Context()
	tests := []struct {
		name   string
		call   func() error
		kind   error
		detail string
	}{
		{"register: invalid email", func() error {
			_, err := e.svc.Register(ctx, "ann@localhost", "password1")
			return err
		}, domain.ErrInvalidEmail, "invalid email address: the domain needs a dot"},
		{"register: short password", func() error {
			_, err := e.svc.Register(ctx, "bob@example.com", "short")
			return err
		}, domain.ErrPasswordTooShort, "password is too short: at least 8 characters"},
		{"login: long password", func() error {
			_, err := e.svc.Login(ctx, usecase.LoginRequest{Email: "ann@example.com", Password: strings.Repeat("p", 73)})
			return err
		}, domain.ErrPasswordTooLong, "password is longer than 72 bytes (73 bytes)"},
		{"login: empty password", func() error {
			_, err := e.svc.Login(ctx, usecase.LoginRequest{Email: "ann@example.com"})
			return err
		}, domain.ErrPasswordRequired, "password is required"},
		{"login: invalid email", func() error {
			_, err := e.svc.Login(ctx, usecase.LoginRequest{Email: "", Password: "password1"})
			return err
		}, domain.ErrInvalidEmail, "invalid email address: empty"},
		{"change password: short new password", func() error {
			return e.svc.ChangePassword(ctx, ann, "password1", "short")
		}, domain.ErrPasswordTooShort, "password is too short: at least 8 characters"},
		{"list pending: limit 0", func() error {
			_, err := e.svc.ListPending(ctx, admin, 0, 0)
			return err
		}, domain.ErrInvalidPage, "invalid page: limit must be 1..1000 and offset >= 0"},
		{"list pending: negative offset", func() error {
			_, err := e.svc.ListPending(ctx, admin, 10, -1)
			return err
		}, domain.ErrInvalidPage, "invalid page: limit must be 1..1000 and offset >= 0"},
		{"approve: invalid email", func() error {
			_, err := e.svc.Approve(ctx, admin, "Ann <ann@example.com>")
			return err
		}, domain.ErrInvalidEmail, `invalid email address: character ' ' not allowed before @`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			ve, ok := errors.AsType[*domain.ValidationError](err)
			if !ok {
				t.Fatalf("error %v is not a *domain.ValidationError", err)
			}
			if ve.Kind != tt.kind || ve.Detail != tt.detail {
				t.Fatalf("Kind, Detail = %v, %q; want %v, %q", ve.Kind, ve.Detail, tt.kind, tt.detail)
			}
			if !errors.Is(err, tt.kind) || !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("%v does not match %v and domain.ErrValidation", err, tt.kind)
			}
			if !strings.HasPrefix(err.Error(), "usecase: ") {
				t.Fatalf("error %q is not wrapped with the use case's context", err)
			}
		})
	}
}
