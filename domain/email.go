package domain

import (
	"fmt"
	"strings"
)

// MaxEmailBytes is the longest address accepted (RFC 5321's path limit less
// the angle brackets).
const MaxEmailBytes = 254

const maxLocalPartBytes = 64

// NormalizeEmail trims surrounding spaces, lower-cases s and checks that the
// result is a single plain address: local@domain, ASCII only, no display
// name, no quoting, no comments, no control characters anywhere (CR, LF, NUL
// and tab are refused, not trimmed), at most
// MaxEmailBytes bytes, and a domain of at least two DNS labels. Anything else
// is an error wrapping ErrInvalidEmail.
//
// Only ASCII is accepted on purpose: lower-casing and comparing Unicode
// addresses safely needs normalisation the standard library lacks, and
// look-alike characters (Cyrillic "а" for Latin "a") would otherwise make a
// second account that reads like an existing one.
func NormalizeEmail(s string) (string, error) {
	// Check the raw input, before lower-casing can fold a non-ASCII
	// character (the Kelvin sign U+212A) into an ASCII one.
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return "", fmt.Errorf("%w: control character %q", ErrInvalidEmail, rune(c))
		case c >= 0x80:
			return "", fmt.Errorf("%w: only ASCII addresses are accepted", ErrInvalidEmail)
		}
	}
	e := strings.ToLower(strings.Trim(s, " "))
	if e == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidEmail)
	}
	if len(e) > MaxEmailBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidEmail, MaxEmailBytes)
	}
	at := strings.IndexByte(e, '@')
	if at < 0 || strings.LastIndexByte(e, '@') != at {
		return "", fmt.Errorf("%w: must contain exactly one @", ErrInvalidEmail)
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
// NormalizeEmail. (Invalid UTF-8 maps to U+FFFD, so two such invalid
// strings may share a key; NormalizeEmail refuses them anyway.)
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// checkLocalPart accepts an RFC 5322 dot-atom: atext runs separated by single
// dots.
func checkLocalPart(local string) error {
	if local == "" || len(local) > maxLocalPartBytes {
		return fmt.Errorf("%w: the part before @ must be 1 to %d bytes", ErrInvalidEmail, maxLocalPartBytes)
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return fmt.Errorf("%w: misplaced dot before @", ErrInvalidEmail)
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return fmt.Errorf("%w: character %q not allowed before @", ErrInvalidEmail, rune(c))
		}
	}
	return nil
}

// checkDomain accepts a DNS host name of two or more labels of letters,
// digits and inner hyphens, whose last label is not all digits.
func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%w: the domain needs a dot", ErrInvalidEmail)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%w: malformed domain", ErrInvalidEmail)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isLetterOrDigit(c) && c != '-' {
				return fmt.Errorf("%w: character %q not allowed in the domain", ErrInvalidEmail, rune(c))
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("%w: numeric top-level domain", ErrInvalidEmail)
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
