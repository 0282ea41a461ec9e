package jwtcodec_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
)

// weakSecrets are secrets long enough for HS256 that New must refuse, each
// named after what gives it away.
var weakSecrets = []struct {
	name   string
	secret []byte
}{
	{"one character 32 times", bytes.Repeat([]byte("a"), 32)},
	{"a word repeated", []byte("secretsecretsecretsecretsecret12")},
	{"words, separators and a year", []byte("my-super-secret-jwt-key-for-2026")},
	{"a famous passphrase", []byte("correct horse battery staple xyz")},
	{"the alphabet and digits", []byte("abcdefghijklmnopqrstuvwxyz012345")},
	{"a hex pattern repeated", []byte("0123456789abcdef0123456789abcdef")},
	{"a hex pattern repeated to 64", bytes.Repeat([]byte("0123456789abcdef"), 4)},
	{"a short pattern repeated", []byte("abcabcabcabcabcabcabcabcabcabcab")},
	{"two characters alternating", []byte("ababababababababababababababab12")},
	{"the alphabet backwards", []byte("zyxwvutsrqponmlkjihgfedcba987654")},
	{"keyboard rows", []byte("qwertyuiopasdfghjklzxcvbnm123456")},
	{"l33t password repeated", []byte("P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd")},
	{"l33t words", []byte("s3cr3t-k3y-f0r-jwt-t0k3ns-2026!!")},
	{"camel-case words", []byte("ThisIsMyVeryLongAndSecureSecretKeyForJWT2026!")},
	{"snake-case words", []byte("my_jwt_secret_key_that_is_long_enough_for_hs256_signing")},
	{"a sentence", []byte("change-me-in-production-please!!")},
	{"an example from the docs", []byte("an-example-secret-of-32-bytes-or-more")},
	{"a pangram", []byte("The quick brown fox jumps over the lazy dog!")},
	{"years", []byte("19701971197219731974197519761977")},
	{"hex words repeated", []byte("deadbeefdeadbeefdeadbeefdeadbeef")},
	{"a made-up word repeated", []byte("Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3")},
	{"a Cyrillic word repeated", []byte(strings.Repeat("пароль", 4))},
	{"zero bytes", make([]byte, 32)},
	{"one byte repeated", bytes.Repeat([]byte{0xA5}, 32)},
	{"bytes pattern, not UTF-8", bytes.Repeat([]byte{0xDE, 0xAD, 0xBE, 0xEF}, 8)},
}

// estimatedBits matches the only part of the error and the warning that
// depends on the secret.
var estimatedBits = regexp.MustCompile(`(estimated at |estimated_bits=)\d+`)

// leaksSecret reports whether text contains secret or 8 bytes of it in a
// row, raw, in hex or in base64.
func leaksSecret(text string, secret []byte) bool {
	for _, enc := range []string{
		string(secret), hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret),
		base64.RawURLEncoding.EncodeToString(secret),
	} {
		if strings.Contains(text, enc) {
			return true
		}
	}
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(text, string(secret[i:i+8])) {
			return true
		}
	}
	return false
}

func TestWeakSecretRefused(t *testing.T) {
	var template string
	for _, tt := range weakSecrets {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c, err := jwtcodec.New(tt.secret, jwtcodec.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if !errors.Is(err, jwtcodec.ErrWeakSecret) {
				t.Fatalf("New = %v; want an error wrapping ErrWeakSecret (estimate %.1f bits)", err, jwtcodec.SecretBits(tt.secret))
			}
			if c != nil {
				t.Fatal("New returned a codec with its error")
			}
			if logs.Len() != 0 {
				t.Fatalf("New logged %q", logs.String())
			}
			msg := err.Error()
			t.Logf("estimate %.1f bits", jwtcodec.SecretBits(tt.secret))
			for _, want := range []string{"jwtcodec: ", "openssl rand -base64 32"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if !strings.HasPrefix(msg, "jwtcodec: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			if leaksSecret(msg, tt.secret) {
				t.Fatalf("error %q contains the secret", msg)
			}
			// The message is one template for every secret: nothing but the
			// estimate depends on the key.
			sameTemplate(t, "error", msg, &template)
		})
	}
}

func TestWeakSecretHint(t *testing.T) {
	tests := []struct {
		alg    string
		secret []byte
		hint   string
	}{
		{"HS256", bytes.Repeat([]byte("x"), 32), "`openssl rand -base64 32`"},
		{"HS384", bytes.Repeat([]byte("x"), 48), "`openssl rand -base64 48`"},
		{"HS512", bytes.Repeat([]byte("x"), 64), "`openssl rand -hex 64`"},
		{"HS512", bytes.Repeat([]byte("x"), 63), "`openssl rand -hex 64`"}, // too short
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			_, err := jwtcodec.New(tt.secret, jwtcodec.WithAlgorithm(tt.alg))
			if err == nil || !strings.HasSuffix(err.Error(), tt.hint) {
				t.Fatalf("New = %v; want an error ending with %s", err, tt.hint)
			}
		})
	}
}

func TestRandomSecretsAccepted(t *testing.T) {
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	tests := []struct {
		name string
		alg  string
		gen  func() []byte
	}{
		{"32 random bytes", "HS256", func() []byte { return random(32) }},
		{"base64 of 24 random bytes (32 characters)", "HS256", func() []byte {
			return []byte(base64.StdEncoding.EncodeToString(random(24)))
		}},
		{"unpadded base64url of 32 random bytes (43 characters)", "HS256", func() []byte {
			return []byte(base64.RawURLEncoding.EncodeToString(random(32)))
		}},
		{"openssl rand -base64 32 (44 characters)", "HS256", func() []byte {
			return []byte(base64.StdEncoding.EncodeToString(random(32)))
		}},
		{"openssl rand -base64 32 with its newline", "HS256", func() []byte {
			return []byte(base64.StdEncoding.EncodeToString(random(32)) + "\n")
		}},
		{"openssl rand -hex 32 (64 characters)", "HS256", func() []byte {
			return []byte(hex.EncodeToString(random(32)))
		}},
		{"upper case hex of 32 random bytes", "HS256", func() []byte {
			return []byte(strings.ToUpper(hex.EncodeToString(random(32))))
		}},
		{"openssl rand -base64 48 for HS384", "HS384", func() []byte {
			return []byte(base64.StdEncoding.EncodeToString(random(48)))
		}},
		{"openssl rand -hex 64 for HS512", "HS512", func() []byte {
			return []byte(hex.EncodeToString(random(64)))
		}},
		{"64 random bytes for HS512", "HS512", func() []byte { return random(64) }},
	}
	const keys = 1000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			lowest := math.Inf(1)
			for range keys {
				secret := tt.gen()
				if _, err := jwtcodec.New(secret, jwtcodec.WithAlgorithm(tt.alg), jwtcodec.WithLogger(logger)); err != nil {
					t.Fatalf("New refused a random key (estimate %.1f bits): %v", jwtcodec.SecretBits(secret), err)
				}
				lowest = min(lowest, jwtcodec.SecretBits(secret))
			}
			if logs.Len() != 0 {
				t.Fatalf("New logged %q", logs.String())
			}
			t.Logf("lowest estimate of %d keys: %.1f bits", keys, lowest)
		})
	}
}

// TestShortHexSecretRefused holds the documented choice: 16 random bytes in
// hex (openssl rand -hex 16) carry 128 bits at most and are refused, every
// one of them, not at random.
func TestShortHexSecretRefused(t *testing.T) {
	for i := range 1000 {
		b := make([]byte, 16)
		rand.Read(b)
		secret := hex.EncodeToString(b)
		if i%2 == 1 {
			secret = strings.ToUpper(secret)
		}
		if bits := jwtcodec.SecretBits([]byte(secret)); bits > jwtcodec.MinSecretBits {
			t.Fatalf("estimate of 32 hex digits is %.1f bits, above %d", bits, jwtcodec.MinSecretBits)
		}
		if _, err := jwtcodec.New([]byte(secret)); !errors.Is(err, jwtcodec.ErrWeakSecret) {
			t.Fatalf("New(32 hex digits) = %v, want ErrWeakSecret", err)
		}
	}
}

func TestAllowWeakSecret(t *testing.T) {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	var template string
	for _, tt := range weakSecrets {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c, err := jwtcodec.New(tt.secret, jwtcodec.AllowWeakSecret(), jwtcodec.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: noTime}))))
			if err != nil {
				t.Fatalf("New with AllowWeakSecret: %v", err)
			}
			log := logs.String()
			for _, want := range []string{"level=WARN", "INSECURE", "AllowWeakSecret", "forge", "min_bits=128", "openssl rand -base64 32"} {
				if !strings.Contains(log, want) {
					t.Errorf("warning %q lacks %q", log, want)
				}
			}
			if strings.Count(log, "\n") != 1 {
				t.Errorf("want one warning, got %q", log)
			}
			if leaksSecret(log, tt.secret) {
				t.Fatalf("warning %q contains the secret", log)
			}
			sameTemplate(t, "warning", log, &template)
			// The codec works with the weak key.
			tok, err := c.Encode(bg, validClaims())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Decode(bg, tok, now); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("strong key logs nothing", func(t *testing.T) {
		var logs bytes.Buffer
		if _, err := jwtcodec.New(testKey, jwtcodec.AllowWeakSecret(), jwtcodec.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))); err != nil {
			t.Fatal(err)
		}
		if logs.Len() != 0 {
			t.Fatalf("unexpected log: %q", logs.String())
		}
	})

	t.Run("empty secret still means a random key", func(t *testing.T) {
		var logs bytes.Buffer
		c, err := jwtcodec.New(nil, jwtcodec.AllowWeakSecret(), jwtcodec.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		log := logs.String()
		if !strings.Contains(log, "random key") || strings.Contains(log, "INSECURE") || strings.Count(log, "\n") != 1 {
			t.Fatalf("want only the random-key warning, got %q", log)
		}
		if bits := jwtcodec.SecretBits(jwtcodec.KeyOf(c)); bits <= jwtcodec.MinSecretBits {
			t.Fatalf("the random key is estimated at %.1f bits", bits)
		}
	})
}

// TestWeakKeyForgery is the reported attack: an attacker who guessed a weak
// key (here from one token; any token works) signs an admin token. New
// refuses the key, so no codec can accept the forgery; with the opt-out,
// one would.
func TestWeakKeyForgery(t *testing.T) {
	weak := bytes.Repeat([]byte("a"), 32)
	forged := forge("HS256", weak, payload(map[string]any{"sub": "mallory@example.com", "is_admin": true}))

	c, err := jwtcodec.New(weak)
	if !errors.Is(err, jwtcodec.ErrWeakSecret) || c != nil {
		t.Fatalf("New(weak key) = %v, %v; want no codec and ErrWeakSecret", c, err)
	}

	// Only the explicit opt-out gives a codec on that key, and it takes
	// the forged admin token: what the refusal prevents.
	unsafe, err := jwtcodec.New(weak, jwtcodec.AllowWeakSecret(), jwtcodec.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	claims, err := unsafe.Decode(bg, forged, now)
	if err != nil || !claims.IsAdmin {
		t.Fatalf("control: the weak-key codec refused the forgery: %+v, %v", claims, err)
	}

	// A codec on a strong key refuses it.
	got, err := newCodec(t).Decode(bg, forged, now)
	wantInvalid(t, got, err)
}

// TestSecretEstimate checks each rule of the estimate: a secret with the
// pattern is estimated well below the same secret with random characters
// of the same kinds in its place.
func TestSecretEstimate(t *testing.T) {
	// A run of one character is the first character, then a copy of
	// length 31 starting at position 1: log2(6) + log2(1) + log2(31).
	if got, want := jwtcodec.SecretBits(bytes.Repeat([]byte("a"), 32)), math.Log2(6)+math.Log2(31); math.Abs(got-want) > 1e-9 {
		t.Errorf("estimate of 32 x 'a' = %v, want %v", got, want)
	}
	// Random characters of the alphabet of the secret: 64 hex digits of
	// no pattern get 4 bits each.
	if got := jwtcodec.SecretBits([]byte("9c4e07b2f5a18d3e6b90c27f4a5e81d09b3f62c7e4a05d18f29b7c3e60a4d5b1")); got > 256 || got < 240 {
		t.Errorf("estimate of 64 hex digits = %.1f, want 240 to 256", got)
	}
	if got := jwtcodec.SecretBits(nil); got != 0 {
		t.Errorf("estimate of nothing = %v", got)
	}

	tests := []struct {
		name            string
		weak, control   string
		minDrop         float64 // bits
		controlIsStrong bool
	}{
		{name: "dictionary word", weak: "Zq7vKp2XmR9wTb4N-secret-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "capitalised word", weak: "Zq7vKp2XmR9wTb4N-Secret-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-Gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "upper case word", weak: "Zq7vKp2XmR9wTb4N-SECRET-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-GZMWQU-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "l33t word", weak: "Zq7vKp2XmR9wTb4N-s3cr3t-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-g5mw8u-Lg8HsJ3cYf6D", minDrop: 20},
		{name: "ascending sequence", weak: "Zq7vKp2XmR9wTb4N-abcdef-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "descending digits", weak: "Zq7vKp2XmR9wTb4N-654321-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-930716-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "keyboard row", weak: "Zq7vKp2XmR9wTb4N-zxcvbn-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "keyboard row backwards", weak: "Zq7vKp2XmR9wTb4N-lkjhgf-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "year", weak: "Zq7vKp2XmR9wTb4N-2026-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-7358-Lg8HsJ3cYf6D", minDrop: 15},
		{name: "run of one character", weak: "Zq7vKp2XmR9wTb4N-uuuuuu-Lg8HsJ3cYf6D", control: "Zq7vKp2XmR9wTb4N-gzmwqu-Lg8HsJ3cYf6D", minDrop: 25},
		{name: "repeated substring", weak: "Zq7vKp2XmR9wTb4N-Zq7vKp2X-Lg8HsJ3cYf", control: "Zq7vKp2XmR9wTb4N-Gd5tWy6E-Lg8HsJ3cYf", minDrop: 35},
		{name: "repeated separator", weak: "Zq7vKp2X_mR9wTb4N_Lg8HsJ3c_Yf6D", control: "Zq7vKp2X_mR9wTb4N;Lg8HsJ3c^Yf6D", minDrop: 10},
		{name: "small alphabet", weak: "ababbbaabaababbbaababbaaabbabaabbabaa", control: "aWbq7bZa+baKab9bbXa/aTbbaJaab3ab0bRa", minDrop: 100},
		{name: "lower case only", weak: "zqvkpxmrwtbnlghsjcyfdoeuaiprtgkwhy", control: "zQvKp2xMr9wTb4nLg8hSj3cYf6dOeUa1Pr", minDrop: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			weak, control := jwtcodec.SecretBits([]byte(tt.weak)), jwtcodec.SecretBits([]byte(tt.control))
			t.Logf("%q: %.1f bits, %q: %.1f bits", tt.weak, weak, tt.control, control)
			if weak > control-tt.minDrop {
				t.Fatalf("the pattern costs %.1f bits, want at least %.0f", control-weak, tt.minDrop)
			}
		})
	}
}

// TestSecretEstimateReadsAPrefix: the estimate reads the first 256
// characters, which bounds its cost and can only underestimate.
func TestSecretEstimateReadsAPrefix(t *testing.T) {
	strong := base64.StdEncoding.EncodeToString(bytes.Repeat(testKey, 4)) // 342 characters
	tests := []struct {
		name   string
		secret []byte
		ok     bool
	}{
		{name: "strong start, weak tail", secret: []byte(strong[:256] + strings.Repeat("a", 1<<20)), ok: true},
		{name: "weak start, strong tail", secret: []byte(strings.Repeat("a", 256) + strong)},
		{name: "1 MiB of random bytes", secret: func() []byte { b := make([]byte, 1<<20); rand.Read(b); return b }(), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtcodec.New(tt.secret)
			if tt.ok && err != nil || !tt.ok && !errors.Is(err, jwtcodec.ErrWeakSecret) {
				t.Fatalf("New = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

func TestWeakWords(t *testing.T) {
	words, bad := jwtcodec.WeakWords()
	if len(bad) != 0 {
		t.Errorf("lines that are neither words (two or more lower case ASCII letters) nor comments: %q", bad)
	}
	if len(words) < 100 || len(words) > 500 {
		t.Fatalf("%d words, want a few hundred", len(words))
	}
	word := regexp.MustCompile(`^[a-z]{2,}$`)
	seen := map[string]bool{}
	for _, w := range words {
		if !word.MatchString(w) {
			t.Errorf("word %q is not two or more lower case ASCII letters", w)
		}
		if seen[w] {
			t.Errorf("word %q listed twice", w)
		}
		seen[w] = true
	}
	for _, w := range []string{"secret", "password", "changeme", "jwt", "token", "key", "admin", "test", "example", "default", "qwerty", "letmein"} {
		if !seen[w] {
			t.Errorf("word %q missing", w)
		}
	}
}

// FuzzSecretBits checks that the estimate never panics, is deterministic,
// and lies between 0 and 8 bits a character read.
func FuzzSecretBits(f *testing.F) {
	for _, tt := range weakSecrets {
		f.Add(tt.secret)
	}
	f.Add(testKey)
	f.Add([]byte("\xff\xfe\x00abc\u00e9\u4e16"))
	f.Fuzz(func(t *testing.T, secret []byte) {
		bits := jwtcodec.SecretBits(secret)
		if again := jwtcodec.SecretBits(secret); again != bits {
			t.Fatalf("estimate %v, then %v", bits, again)
		}
		if bits < 0 || bits > 8*float64(min(len(secret), 256))+1e-9 || math.IsNaN(bits) {
			t.Fatalf("estimate %v bits for %d bytes", bits, len(secret))
		}
	})
}

// BenchmarkNew measures New on a key from `openssl rand -base64 32`, most
// of which is the strength estimate.
func BenchmarkNew(b *testing.B) {
	secret := []byte("IvLpYPrFV9c3XToXuKqV0xzkc6RKHDFJaNJZM3Kasvc=")
	for b.Loop() {
		if _, err := jwtcodec.New(secret); err != nil {
			b.Fatal(err)
		}
	}
}

// sameTemplate fails unless text (an error or a warning, as what says)
// states the estimate, and, with the estimate masked, equals *template;
// the first text sets *template.
func sameTemplate(t *testing.T, what, text string, template *string) {
	t.Helper()
	masked := estimatedBits.ReplaceAllString(text, "${1}N")
	if masked == text {
		t.Fatalf("%s %q does not state the estimate", what, text)
	}
	if *template == "" {
		*template = masked
	} else if masked != *template {
		t.Fatalf("%s %q differs from the others' %q beyond the estimate", what, text, *template)
	}
}
