package bcrypthash_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

var _ ports.PasswordHasher = (*bcrypthash.Hasher)(nil)

// fastHasher returns a hasher at bcrypt's minimum cost, with the warning
// discarded.
func fastHasher(t testing.TB) *bcrypthash.Hasher {
	t.Helper()
	h, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("New(MinCost): %v", err)
	}
	return h
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cost     int
		allowLow bool
		wantCost int
		wantErr  error // nil: success; errAny: some error
		wantWarn bool
	}{
		{name: "zero means DefaultCost", cost: 0, wantCost: bcrypthash.DefaultCost},
		{name: "DefaultCost is 12", cost: 12, wantCost: 12},
		{name: "MinProductionCost without AllowLowCost", cost: bcrypthash.MinProductionCost, wantCost: 10},
		{name: "MaxCost", cost: bcrypthash.MaxCost, wantCost: 31},
		{name: "cost 9 refused without AllowLowCost", cost: 9, wantErr: bcrypthash.ErrCostTooLow},
		{name: "MinCost refused without AllowLowCost", cost: bcrypthash.MinCost, wantErr: bcrypthash.ErrCostTooLow},
		{name: "cost 9 with AllowLowCost warns", cost: 9, allowLow: true, wantCost: 9, wantWarn: true},
		{name: "MinCost with AllowLowCost warns", cost: bcrypthash.MinCost, allowLow: true, wantCost: 4, wantWarn: true},
		{name: "AllowLowCost at a production cost does not warn", cost: 10, allowLow: true, wantCost: 10},
		{name: "cost 3 refused", cost: 3, wantErr: errAny},
		{name: "cost 3 refused with AllowLowCost", cost: 3, allowLow: true, wantErr: errAny},
		{name: "cost 32 refused", cost: 32, wantErr: errAny},
		{name: "cost 32 refused with AllowLowCost", cost: 32, allowLow: true, wantErr: errAny},
		{name: "negative cost refused", cost: -1, allowLow: true, wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			opts := []bcrypthash.Option{bcrypthash.WithLogger(slog.New(slog.NewTextHandler(&buf, nil)))}
			if tt.allowLow {
				opts = append(opts, bcrypthash.AllowLowCost())
			}
			h, err := bcrypthash.New(tt.cost, opts...)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("New(%d) accepted, cost %d", tt.cost, h.Cost())
				}
				if h != nil {
					t.Fatal("New returned a hasher with its error")
				}
				if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
					t.Fatalf("New(%d) error %q does not wrap %q", tt.cost, err, tt.wantErr)
				}
				if tt.wantErr == errAny && errors.Is(err, bcrypthash.ErrCostTooLow) {
					t.Fatalf("New(%d) error %q: out of bcrypt's range, not merely too low", tt.cost, err)
				}
				if !strings.HasPrefix(err.Error(), "bcrypthash: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				if tt.wantErr == errAny && !strings.Contains(err.Error(), "pass 0 for DefaultCost") {
					t.Errorf("error %q does not say what to pass instead", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%d): %v", tt.cost, err)
			}
			if got := h.Cost(); got != tt.wantCost {
				t.Fatalf("Cost() = %d, want %d", got, tt.wantCost)
			}
			log := buf.String()
			if !tt.wantWarn {
				if log != "" {
					t.Fatalf("unexpected log: %q", log)
				}
				return
			}
			for _, want := range []string{"level=WARN", "INSECURE", fmt.Sprintf("cost=%d", tt.cost), "min_production_cost=10"} {
				if !strings.Contains(log, want) {
					t.Errorf("log %q lacks %q", log, want)
				}
			}
		})
	}

	t.Run("nil logger with AllowLowCost", func(t *testing.T) {
		h, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(nil))
		if err != nil || h.Cost() != bcrypthash.MinCost {
			t.Fatalf("New = %v, %v", h, err)
		}
	})
}

// errAny marks a test case that expects an error without a particular
// sentinel.
var errAny = errors.New("any error")

func TestHashCompareRoundTrip(t *testing.T) {
	h := fastHasher(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		password string
		wrong    []string
	}{
		{name: "ASCII", password: "correct horse battery staple", wrong: []string{"correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple ", ""}},
		{name: "single byte", password: "x", wrong: []string{"X", "xx", ""}},
		{name: "UTF-8", password: "pässwörd 🔑 пароль", wrong: []string{"passwort 🔑 пароль", "pässwörd"}},
		{name: "NUL byte inside", password: "pass\x00word", wrong: []string{"pass", "pass\x00", "password"}},
		{name: "exactly 72 bytes", password: strings.Repeat("a", 71) + "b", wrong: []string{strings.Repeat("a", 72), strings.Repeat("a", 71)}},
		{name: "72 bytes of multi-byte runes", password: strings.Repeat("é", 36), wrong: []string{strings.Repeat("é", 35) + "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if len(tt.password) >= 8 && strings.Contains(hash, tt.password) {
				t.Fatalf("hash %q contains the password", hash)
			}
			if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypthash.MinCost {
				t.Fatalf("bcrypt.Cost(%q) = %d, %v; want %d", hash, cost, err, bcrypthash.MinCost)
			}
			if err := h.Compare(ctx, hash, tt.password); err != nil {
				t.Fatalf("Compare with the right password: %v", err)
			}
			for _, w := range tt.wrong {
				err := h.Compare(ctx, hash, w)
				if !errors.Is(err, domain.ErrPasswordMismatch) || !strings.HasPrefix(err.Error(), "bcrypthash: ") {
					t.Errorf("Compare(%q) = %v, want an error wrapping domain.ErrPasswordMismatch, prefixed \"bcrypthash: \"", w, err)
				}
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := fastHasher(t)
	ctx := context.Background()
	const pw = "same password"
	a, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
	// The salt is the 22 characters after "$2a$04$".
	if a[:29] == b[:29] {
		t.Fatalf("two hashes share a salt: %q %q", a, b)
	}
	for _, hash := range []string{a, b} {
		if err := h.Compare(ctx, hash, pw); err != nil {
			t.Fatalf("Compare(%q): %v", hash, err)
		}
	}
}

func TestPasswordLength(t *testing.T) {
	h := fastHasher(t)
	ctx := context.Background()
	p72 := strings.Repeat("k", 72)
	hash72, err := h.Hash(ctx, p72)
	if err != nil {
		t.Fatalf("Hash of 72 bytes: %v", err)
	}
	garbage := "not a bcrypt hash"

	hashTests := []struct {
		name     string
		password string
		ok       bool
	}{
		{name: "72 bytes hashed", password: p72, ok: true},
		{name: "73 bytes refused", password: p72 + "k"},
		{name: "73 bytes of multi-byte runes refused", password: strings.Repeat("é", 36) + "a"},
		{name: "1000 bytes refused", password: strings.Repeat("z", 1000)},
	}
	for _, tt := range hashTests {
		t.Run("Hash/"+tt.name, func(t *testing.T) {
			hash, err := h.Hash(ctx, tt.password)
			if tt.ok {
				if err != nil {
					t.Fatalf("Hash: %v", err)
				}
				return
			}
			if !errors.Is(err, domain.ErrPasswordTooLong) || !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("Hash(%d bytes) = %q, %v; want ErrPasswordTooLong", len(tt.password), hash, err)
			}
			if hash != "" {
				t.Fatalf("Hash returned %q with its error", hash)
			}
		})
	}

	compareTests := []struct {
		name         string
		hash         string
		password     string
		wantMismatch bool // else: an unusable-hash error
	}{
		{name: "73 bytes whose first 72 match", hash: hash72, password: p72 + "k", wantMismatch: true},
		{name: "73 bytes whose first 72 match, other tail", hash: hash72, password: p72 + "\x00", wantMismatch: true},
		{name: "1000 bytes whose first 72 match", hash: hash72, password: p72 + strings.Repeat("k", 928), wantMismatch: true},
		{name: "73 bytes against an unusable hash", hash: garbage, password: p72 + "k"},
	}
	for _, tt := range compareTests {
		t.Run("Compare/"+tt.name, func(t *testing.T) {
			err := h.Compare(ctx, tt.hash, tt.password)
			if err == nil {
				t.Fatalf("a %d-byte password matched", len(tt.password))
			}
			if got := errors.Is(err, domain.ErrPasswordMismatch); got != tt.wantMismatch {
				t.Fatalf("Compare error %q: mismatch = %v, want %v", err, got, tt.wantMismatch)
			}
		})
	}
}

func TestCompareUnusableHash(t *testing.T) {
	h := fastHasher(t)
	ctx := context.Background()
	valid, err := h.Hash(ctx, "password")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash string
	}{
		{name: "empty", hash: ""},
		{name: "garbage", hash: "garbage"},
		{name: "the password itself", hash: "password"},
		{name: "prefix only", hash: "$2a$04$"},
		{name: "truncated", hash: valid[:len(valid)-10]},
		{name: "cost out of range", hash: "$2a$99$" + valid[7:]},
		{name: "cost not a number", hash: "$2a$xx$" + valid[7:]},
		{name: "unknown version", hash: "$3a$04$" + valid[7:]},
		{name: "MD5 crypt", hash: "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
		{name: "SHA-256 hex", hash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Compare(ctx, tt.hash, "password")
			if err == nil {
				t.Fatalf("Compare accepted hash %q", tt.hash)
			}
			if errors.Is(err, domain.ErrPasswordMismatch) {
				t.Fatalf("an unusable hash is reported as a mismatch: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "bcrypthash: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestContext(t *testing.T) {
	h := fastHasher(t)
	hash, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()

	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{name: "cancelled", ctx: cancelled, want: context.Canceled},
		{name: "deadline exceeded", ctx: expired, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/Hash", func(t *testing.T) {
			got, err := h.Hash(tt.ctx, "password")
			if !errors.Is(err, tt.want) || got != "" {
				t.Fatalf("Hash = %q, %v; want %v", got, err, tt.want)
			}
		})
		t.Run(tt.name+"/Compare right password", func(t *testing.T) {
			err := h.Compare(tt.ctx, hash, "password")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Compare = %v, want %v", err, tt.want)
			}
		})
		t.Run(tt.name+"/Compare wrong password", func(t *testing.T) {
			err := h.Compare(tt.ctx, hash, "wrong")
			if !errors.Is(err, tt.want) || errors.Is(err, domain.ErrPasswordMismatch) {
				t.Fatalf("Compare = %v, want %v and not a mismatch", err, tt.want)
			}
		})
	}
}

func TestHashUsesConfiguredCost(t *testing.T) {
	ctx := context.Background()
	low := fastHasher(t)
	lowHash, err := low.Hash(ctx, "password")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cost int
		opts []bcrypthash.Option
	}{
		{name: "MinCost", cost: bcrypthash.MinCost, opts: []bcrypthash.Option{bcrypthash.AllowLowCost(), bcrypthash.WithLogger(slog.New(slog.DiscardHandler))}},
		{name: "MinProductionCost", cost: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := bcrypthash.New(tt.cost, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := h.Hash(ctx, "password")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := bcrypt.Cost([]byte(hash)); err != nil || got != tt.cost {
				t.Fatalf("bcrypt.Cost = %d, %v; want %d", got, err, tt.cost)
			}
			if !strings.HasPrefix(hash, fmt.Sprintf("$2a$%02d$", tt.cost)) {
				t.Fatalf("hash %q does not start with $2a$%02d$", hash, tt.cost)
			}
			if err := h.Compare(ctx, hash, "password"); err != nil {
				t.Fatalf("Compare: %v", err)
			}
			// Compare reads the cost from the hash, so hashes made at
			// another cost keep working after the cost changes.
			if err := h.Compare(ctx, lowHash, "password"); err != nil {
				t.Fatalf("Compare of a MinCost hash: %v", err)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	h := fastHasher(t)
	ctx := context.Background()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			pw := fmt.Sprintf("password-%d", w)
			hash, err := h.Hash(ctx, pw)
			if err != nil {
				errs <- err
				return
			}
			if err := h.Compare(ctx, hash, pw); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
				return
			}
			if err := h.Compare(ctx, hash, pw+"!"); !errors.Is(err, domain.ErrPasswordMismatch) {
				errs <- fmt.Errorf("worker %d wrong password: %v", w, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNeedsRehash(t *testing.T) {
	quiet := bcrypthash.WithLogger(slog.New(slog.DiscardHandler))
	at4 := fastHasher(t)
	at5, err := bcrypthash.New(5, bcrypthash.AllowLowCost(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	hash4, err := at4.Hash(t.Context(), "password1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		hasher *bcrypthash.Hasher
		hash   string
		want   bool
	}{
		{"same cost", at4, hash4, false},
		{"other cost", at5, hash4, true},
		{"not a bcrypt hash", at5, "garbage", false},
		{"empty", at5, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hasher.NeedsRehash(tt.hash); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}
