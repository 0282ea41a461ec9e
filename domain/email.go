package domain

import "strings"

// MaxEmailBytes is the longest address accepted (RFC 5321's path limit less
// the angle brackets).
const MaxEmailBytes = 254

const maxLocalPartBytes = 64

// NormalizeEmail trims surrounding spaces, lower-cases s and checks that the
// result is a single plain address: local@domain, ASCII only, no display
// name, no quoting, no comments, no control characters anywhere (CR, LF, NUL
// and tab are refused, not trimmed), at most MaxEmailBytes bytes, and a
// domain of at least two DNS labels. Anything else is a *ValidationError of
// Kind ErrInvalidEmail whose Detail says what is wrong.
//
// Only ASCII is accepted: lower-casing and comparing Unicode addresses
// safely needs normalisation the standard library lacks, and look-alike
// characters (Cyrillic "а" for Latin "a") would make a second account that
// reads like an existing one.
func NormalizeEmail(s string) (string, error) {
	// Check the raw input, before lower-casing can fold a non-ASCII
	// character (the Kelvin sign U+212A) into an ASCII one.
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return "", invalid(ErrInvalidEmail, "control character %q", rune(c))
		case c >= 0x80:
			return "", invalid(ErrInvalidEmail, "only ASCII addresses are accepted")
		}
	}
	e := strings.ToLower(strings.Trim(s, " "))
	if e == "" {
		return "", invalid(ErrInvalidEmail, "empty")
	}
	if len(e) > MaxEmailBytes {
		return "", invalid(ErrInvalidEmail, "longer than %d bytes", MaxEmailBytes)
	}
	at := strings.IndexByte(e, '@')
	if at < 0 || strings.LastIndexByte(e, '@') != at {
		return "", invalid(ErrInvalidEmail, "must contain exactly one @")
	}
	local, domain := e[:at], e[at+1:]
	if err := checkLocalPart(local); err != nil {
		return "", err
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	return e, nil
}

// EmailKey is the form under which stores index an email: trimmed and
// lower-cased, without validation. Stores use it so that lookups and the
// uniqueness rule are case-insensitive even for callers that skip
// NormalizeEmail. Invalid UTF-8 maps to U+FFFD, so two invalid strings may
// share a key; NormalizeEmail refuses both.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// checkLocalPart accepts an RFC 5322 dot-atom: atext runs separated by single
// dots.
func checkLocalPart(local string) error {
	if local == "" || len(local) > maxLocalPartBytes {
		return invalid(ErrInvalidEmail, "the part before @ must be 1 to %d bytes", maxLocalPartBytes)
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return invalid(ErrInvalidEmail, "misplaced dot before @")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return invalid(ErrInvalidEmail, "character %q not allowed before @", rune(c))
		}
	}
	return nil
}

// checkDomain accepts a DNS host name of two or more labels of letters,
// digits and inner hyphens, whose last label is not all digits.
func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return invalid(ErrInvalidEmail, "the domain needs a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return invalid(ErrInvalidEmail, "malformed domain")
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isLetterOrDigit(c) && c != '-' {
				return invalid(ErrInvalidEmail, "character %q not allowed in the domain", rune(c))
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return invalid(ErrInvalidEmail, "numeric top-level domain")
	}
	return nil
}

func isLetterOrDigit(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	return isLetterOrDigit(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
