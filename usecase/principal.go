package usecase

import (
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

// Principal is an authenticated caller: the verified claims of an access
// token whose user was, when Authenticate ran, still approved and had not
// changed password or been rejected since the token was issued.
//
// Only Authenticate makes a Principal, so a transport cannot hand the use
// cases claims it did not verify; the zero Principal authenticates nobody.
// The use cases that take one re-check it against the store.
type Principal struct {
	claims domain.Claims
	// mustChangePassword is the user's flag as Authenticate read it.
	mustChangePassword bool
}

// Claims returns the token's claims: subject, admin flag, times and the
// extra claims (company_id, role, ...). It returns a copy (domain.Claims.Clone):
// the Service caches verified tokens, and one request's changes to its
// claims must not reach another's.
func (p Principal) Claims() domain.Claims { return p.claims.Clone() }

// Email returns the caller's normalised email (the "sub" claim).
func (p Principal) Email() string { return p.claims.Subject }

// IsAdmin reports whether the token was issued to an administrator.
func (p Principal) IsAdmin() bool { return p.claims.IsAdmin }

// IsZero reports whether p is the zero Principal, which authenticates
// nobody.
func (p Principal) IsZero() bool { return p.claims.Subject == "" }

// MustChangePassword reports whether the user still had the built-in
// default password when Authenticate ran.
func (p Principal) MustChangePassword() bool { return p.mustChangePassword }

// CheckAdmin applies the rule of the admin operations to a route of the
// application (RequireAdmin middleware): nil for an administrator who has
// replaced the built-in default password, domain.ErrPasswordChangeRequired
// for one who has not, and an error wrapping domain.ErrForbidden for anyone
// else. It uses what Authenticate read, without another store lookup.
func (p Principal) CheckAdmin() error {
	switch {
	case p.IsZero() || !p.claims.IsAdmin:
		return fmt.Errorf("%w: administrators only", domain.ErrForbidden)
	case p.mustChangePassword:
		return domain.ErrPasswordChangeRequired
	}
	return nil
}
