package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
)

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".io"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "ann@example.com", "ann@example.com"},
		{"trimmed and lower-cased", "  Ann@Example.COM ", "ann@example.com"},
		{"plus and dots", "first.last+tag@sub.example.org", "first.last+tag@sub.example.org"},
		{"atext specials", "o'brien!#$%&*=?^_`{|}~-@example.com", "o'brien!#$%&*=?^_`{|}~-@example.com"},
		{"hyphenated domain", "a@my-host.example", "a@my-host.example"},
		{"254 bytes", long, long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.NormalizeEmail(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
	if len(long) != domain.MaxEmailBytes {
		t.Fatalf("test address is %d bytes, want %d", len(long), domain.MaxEmailBytes)
	}
}

func TestNormalizeEmailRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"no at", "ann.example.com"},
		{"two ats", "ann@b@example.com"},
		{"display name", "Ann <ann@example.com>"},
		{"angle brackets", "<ann@example.com>"},
		{"two addresses", "ann@example.com, bob@example.com"},
		{"comment", "ann(comment)@example.com"},
		{"quoted local part", `"ann smith"@example.com`},
		{"inner space", "ann smith@example.com"},
		{"CR", "ann@example.com\r"},
		{"LF header injection", "ann@example.com\nBcc: eve@example.com"},
		{"CR inside", "an\rn@example.com"},
		{"NUL", "ann\x00@example.com"},
		{"tab inside", "an\tn@example.com"},
		{"trailing tab", "ann@example.com\t"},
		{"trailing CRLF", "ann@example.com\r\n"},
		{"DEL", "ann\x7f@example.com"},
		{"no local part", "@example.com"},
		{"no domain", "ann@"},
		{"single-label domain", "ann@localhost"},
		{"leading dot", ".ann@example.com"},
		{"trailing dot", "ann.@example.com"},
		{"double dot", "a..nn@example.com"},
		{"empty domain label", "ann@example..com"},
		{"domain trailing dot", "ann@example.com."},
		{"hyphen label edge", "ann@-example.com"},
		{"underscore in domain", "ann@ex_ample.com"},
		{"IP literal", "ann@[127.0.0.1]"},
		{"numeric TLD", "ann@127.0.0.1"},
		{"Cyrillic look-alike", "admin@\u0430dmin.com"},
		{"non-ASCII local part", "jos\u00e9@example.com"},
		{"Kelvin sign folds to k", "\u212Aate@example.com"},
		{"dotless i folds to i", "\u0130nfo@example.com"},
		{"no-break space", "\u00a0ann@example.com"},
		{"local part over 64 bytes", strings.Repeat("a", 65) + "@example.com"},
		{"label over 63 bytes", "a@" + strings.Repeat("b", 64) + ".com"},
		{"over 254 bytes", strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.NormalizeEmail(tt.in)
			if !errors.Is(err, domain.ErrInvalidEmail) || !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want ErrInvalidEmail (an ErrValidation)", tt.in, got, err)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	if got := domain.EmailKey("  Ann@Example.COM "); got != "ann@example.com" {
		t.Fatalf("EmailKey = %q", got)
	}
}
