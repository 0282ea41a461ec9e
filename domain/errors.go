package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors callers branch on with errors.Is. Transports map each of them to one
// HTTP status in exactly one place; adapters wrap them with context.
var (
	// ErrValidation is matched by every input-validation error: every
	// *ValidationError and the sentinels below down to ErrInvalidPage.
	// errors.Is(err, ErrValidation) tells "the caller sent well-formed but
	// unacceptable values".
	ErrValidation = errors.New("domain: invalid input")

	// ErrInvalidEmail reports an email that is not a single plain address.
	ErrInvalidEmail = validationError("domain: invalid email address")
	// ErrPasswordRequired reports an empty password.
	ErrPasswordRequired = validationError("domain: password is required")
	// ErrPasswordTooShort reports a password under the policy's minimum length.
	ErrPasswordTooShort = validationError("domain: password is too short")
	// ErrPasswordTooLong reports a password over MaxPasswordBytes bytes.
	ErrPasswordTooLong = validationError("domain: password is longer than 72 bytes")
	// ErrInvalidPage reports a limit or offset outside the accepted range.
	ErrInvalidPage = validationError("domain: invalid page")

	// ErrUserNotFound reports that no user has the given email.
	ErrUserNotFound = errors.New("domain: user not found")
	// ErrEmailTaken reports that the email is already registered, in any
	// letter case.
	ErrEmailTaken = errors.New("domain: email already registered")
	// ErrConflict reports that a user changed between being read and being
	// written: the write was not applied and the caller should read again.
	ErrConflict = errors.New("domain: user was changed concurrently")

	// ErrInvalidCredentials reports an unknown email or a wrong password;
	// the two are deliberately indistinguishable.
	ErrInvalidCredentials = errors.New("domain: invalid email or password")
	// ErrAccountPending reports a right password on an account that still
	// awaits an administrator's approval.
	ErrAccountPending = errors.New("domain: account awaits approval")
	// ErrAccountRejected reports a right password on a rejected account.
	ErrAccountRejected = errors.New("domain: account was rejected")
	// ErrIncorrectPassword reports a wrong current password on a password
	// change.
	ErrIncorrectPassword = errors.New("domain: current password is incorrect")
	// ErrPasswordMismatch is what a PasswordHasher returns when a password
	// does not match a hash.
	ErrPasswordMismatch = errors.New("domain: password does not match")

	// ErrInvalidToken reports a token that is missing, malformed, expired,
	// tampered with, or no longer valid for its user (rejected, deleted,
	// password changed since it was issued).
	ErrInvalidToken = errors.New("domain: invalid token")
	// ErrForbidden reports an authenticated principal that may not perform
	// the operation (a non-admin calling an admin operation).
	ErrForbidden = errors.New("domain: forbidden")
	// ErrPasswordChangeRequired reports an admin who still uses the built-in
	// default password: admin operations are refused until it is changed.
	ErrPasswordChangeRequired = errors.New("domain: change the default admin password first")
	// ErrCannotRejectAdmin reports an attempt to reject an administrator.
	ErrCannotRejectAdmin = errors.New("domain: an admin cannot be rejected")
	// ErrReservedClaim reports an extra claim whose name is reserved (see
	// IsReservedClaim); errors wrapping it name the claim.
	ErrReservedClaim = errors.New("domain: reserved claim")

	// ErrTooManyAttempts reports a login (or password check) refused,
	// without looking at the password, because its account or client
	// failed too often recently. Errors wrapping it are *RetryError values
	// that say when to try again.
	ErrTooManyAttempts = errors.New("domain: too many failed attempts; try again later")
	// ErrOverloaded reports a request refused because every password-hashing
	// slot stayed busy for the configured wait, or because its client (or
	// account) already had its fair share of the hashing queue. Errors
	// wrapping it are *RetryError values that say when to try again.
	ErrOverloaded = errors.New("domain: too many password checks at once; try again later")
	// ErrTooManyRegistrations reports a registration refused because its
	// client, or all clients together, registered too many accounts
	// recently. Errors wrapping it are *RetryError values that say when to
	// try again.
	ErrTooManyRegistrations = errors.New("domain: too many registrations; try again later")
	// ErrStoreUnavailable reports a store call that did not complete: it
	// passed its deadline (a database that stopped answering), or a write
	// lost its connection and could not be confirmed either way. Errors
	// wrapping it from the use cases' deadline are *RetryError values
	// that say when to try again; an HTTP transport answers 503.
	ErrStoreUnavailable = errors.New("domain: the user store did not answer in time, or a write's outcome is unknown; try again later")

	// ErrDefaultPasswordRemote reports a right password that is the
	// built-in default admin password, sent from another machine than the
	// server's: until it is changed, that password is accepted only from a
	// loopback client (unless the Service is configured otherwise), so that
	// nobody can take over a fresh deployment from outside.
	ErrDefaultPasswordRemote = errors.New("domain: the built-in default admin password is accepted only from the server's own machine until it is changed")
)

// RetryError is a refusal that clears with time.
type RetryError struct {
	// Err is ErrTooManyAttempts, ErrTooManyRegistrations, ErrOverloaded or
	// ErrStoreUnavailable.
	Err error
	// After is how long the caller should wait before trying again (an
	// HTTP transport sends it as Retry-After).
	After time.Duration
}

// Error returns Err's message followed by the wait, to the millisecond.
func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry after %v)", e.Err, e.After.Round(time.Millisecond))
}

// Unwrap returns Err, so that errors.Is(err, ErrTooManyAttempts) works.
func (e *RetryError) Unwrap() error { return e.Err }

// ValidationError is an input-validation failure with its detail. Every
// validation failure the domain and the use cases report is one (possibly
// wrapped), so a caller takes the detail from the error rather than parsing
// its text:
//
//	if ve, ok := errors.AsType[*domain.ValidationError](err); ok {
//		show(ve.Detail)
//	}
//
// errors.Is matches it against its Kind and against ErrValidation.
type ValidationError struct {
	// Kind is the sentinel that names the failure: ErrInvalidEmail,
	// ErrPasswordRequired, ErrPasswordTooShort, ErrPasswordTooLong,
	// ErrInvalidPage, or ErrValidation itself when no narrower one applies.
	Kind error
	// Detail says what is wrong, in words safe to show a client ("password
	// is too short: at least 8 characters"). It never repeats a password.
	Detail string
}

// Error returns "domain: " followed by Detail.
func (e *ValidationError) Error() string { return "domain: " + e.Detail }

// Unwrap returns Kind, so that errors.Is(err, ErrPasswordTooShort) works.
func (e *ValidationError) Unwrap() error { return e.Kind }

// Is reports whether target is ErrValidation, which every ValidationError
// matches whatever its Kind.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// invalid returns a *ValidationError of kind whose Detail is kind's own
// words ("password is too short") followed, if format is not empty, by ": "
// and the specifics.
func invalid(kind validationError, format string, args ...any) *ValidationError {
	detail := kind.words()
	if format != "" {
		detail += ": " + fmt.Sprintf(format, args...)
	}
	return &ValidationError{Kind: kind, Detail: detail}
}

// validationError is the type of the validation sentinels: each matches
// ErrValidation too.
type validationError string

func (e validationError) Error() string { return string(e) }

// words returns the sentinel's message without the package prefix.
func (e validationError) words() string { return strings.TrimPrefix(string(e), "domain: ") }

// Is reports whether target is ErrValidation, so that every validation
// sentinel (and every error wrapping one) matches it.
func (e validationError) Is(target error) bool { return target == ErrValidation }
