package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
)

// FuzzNormalizeEmail checks the invariants of a normalised address: it is
// refused with ErrInvalidEmail or comes back plain ASCII, lower-case,
// trimmed, within the length limit, with one @, and normalising it again
// changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, seed := range []string{
		"ann@example.com", " Ann@Example.COM ", "Ann <ann@example.com>", "ann@example.com\r\nBcc: x@y.z",
		"\u212Aate@example.com", "a..b@example.com", `"a b"@example.com`, "a@b", "a@[127.0.0.1]",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 94) + "io", "o'brien+tag@sub-domain.example.org",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := domain.NormalizeEmail(in)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidEmail) || !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("NormalizeEmail(%q) error %v does not wrap ErrInvalidEmail and ErrValidation", in, err)
			}
			return
		}
		if len(got) == 0 || len(got) > domain.MaxEmailBytes || strings.Count(got, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q: empty, too long or not one @", in, got)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c <= ' ' || c >= 0x7f || c >= 'A' && c <= 'Z' {
				t.Fatalf("NormalizeEmail(%q) = %q holds byte %q", in, got, c)
			}
		}
		if again, err := domain.NormalizeEmail(got); err != nil || again != got {
			t.Fatalf("NormalizeEmail is not idempotent on %q: %q, %v", got, again, err)
		}
		if domain.EmailKey(in) != got {
			t.Fatalf("EmailKey(%q) = %q, NormalizeEmail gave %q", in, domain.EmailKey(in), got)
		}
	})
}
