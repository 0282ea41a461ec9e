package domain

import (
	"fmt"
	"unicode/utf8"
)

// MaxPasswordBytes is the longest password accepted: bcrypt reads only the
// first 72 bytes, so a longer one would be silently truncated.
const MaxPasswordBytes = 72

// DefaultMinPasswordLength is the minimum length, in characters, of a new
// password unless a PasswordPolicy says otherwise.
const DefaultMinPasswordLength = 8

// PasswordPolicy is the rule a new password must meet (on registration and on
// a password change).
type PasswordPolicy struct {
	// MinLength is the minimum number of characters (Unicode code points).
	// Zero means DefaultMinPasswordLength.
	MinLength int
}

// Check reports whether pw is acceptable as a new password. The error is a
// *ValidationError of Kind ErrPasswordRequired, ErrPasswordTooShort or
// ErrPasswordTooLong.
func (p PasswordPolicy) Check(pw string) error {
	if err := CheckPasswordInput(pw); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(pw); n < p.minLength() {
		return invalid(ErrPasswordTooShort, "at least %d characters", p.minLength())
	}
	return nil
}

// Validate reports a policy that cannot be met or is meaningless: a
// MinLength outside 0..MaxPasswordBytes.
func (p PasswordPolicy) Validate() error {
	if p.MinLength < 0 || p.MinLength > MaxPasswordBytes {
		return fmt.Errorf("domain: password minimum length %d outside 0..%d", p.MinLength, MaxPasswordBytes)
	}
	return nil
}

func (p PasswordPolicy) minLength() int {
	if p.MinLength == 0 {
		return DefaultMinPasswordLength
	}
	return p.MinLength
}

// CheckPasswordInput is the check every password passes before it reaches a
// hasher, on login as well: not empty and at most MaxPasswordBytes bytes. It
// does not apply the minimum length, so that a policy raised later does not
// lock out users with older, shorter passwords. The error is a
// *ValidationError of Kind ErrPasswordRequired or ErrPasswordTooLong.
func CheckPasswordInput(pw string) error {
	if pw == "" {
		return invalid(ErrPasswordRequired, "")
	}
	if len(pw) > MaxPasswordBytes {
		e := invalid(ErrPasswordTooLong, "")
		e.Detail += fmt.Sprintf(" (%d bytes)", len(pw))
		return e
	}
	return nil
}
