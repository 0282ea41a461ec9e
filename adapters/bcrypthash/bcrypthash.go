// Package bcrypthash implements ports.PasswordHasher with bcrypt
// (golang.org/x/crypto/bcrypt).
//
// The cost defaults to DefaultCost (12). Costs below MinProductionCost (10)
// are refused unless AllowLowCost is given, which exists for test setups where
// hashing at full cost would make a suite slow; it logs a warning.
package bcrypthash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

const (
	// DefaultCost is the cost used when New is given 0.
	DefaultCost = 12
	// MinProductionCost is the lowest cost accepted without AllowLowCost.
	MinProductionCost = 10
	// MinCost and MaxCost are bcrypt's own bounds.
	MinCost = bcrypt.MinCost
	MaxCost = bcrypt.MaxCost
)

// ErrCostTooLow reports a cost under MinProductionCost without AllowLowCost.
var ErrCostTooLow = errors.New("bcrypthash: cost below 10 is only for tests (use AllowLowCost)")

// Hasher hashes and compares passwords with bcrypt. It is safe for
// concurrent use.
type Hasher struct {
	cost int
}

var _ ports.PasswordHasher = (*Hasher)(nil)

type options struct {
	allowLowCost bool
	logger       *slog.Logger
}

// Option configures New.
type Option func(*options)

// AllowLowCost lets New accept costs from MinCost up to MinProductionCost-1.
// Use it only in tests: such hashes are fast to brute-force.
func AllowLowCost() Option { return func(o *options) { o.allowLowCost = true } }

// WithLogger sets the logger for the low-cost warning (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a Hasher at the given cost; 0 means DefaultCost.
func New(cost int, opts ...Option) (*Hasher, error) {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if cost == 0 {
		cost = DefaultCost
	}
	if cost < MinCost || cost > MaxCost {
		return nil, fmt.Errorf("bcrypthash: cost %d outside %d..%d", cost, MinCost, MaxCost)
	}
	if cost < MinProductionCost {
		if !o.allowLowCost {
			return nil, fmt.Errorf("%w: got %d", ErrCostTooLow, cost)
		}
		if o.logger != nil {
			o.logger.Warn("bcrypthash: INSECURE low bcrypt cost, for tests only", "cost", cost, "min_production_cost", MinProductionCost)
		}
	}
	return &Hasher{cost: cost}, nil
}

// Cost returns the bcrypt cost new hashes are made with.
func (h *Hasher) Cost() int { return h.cost }

// NeedsRehash reports whether hash is a bcrypt hash of another cost than
// Cost. A hash that cannot be parsed is not reported: Compare reports it.
func (h *Hasher) NeedsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	return err == nil && cost != h.cost
}

// Hash returns the bcrypt hash of password. Passwords longer than
// domain.MaxPasswordBytes are refused rather than silently truncated.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("bcrypthash: %w", err)
	}
	if len(password) > domain.MaxPasswordBytes {
		return "", fmt.Errorf("bcrypthash: %w", domain.ErrPasswordTooLong)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("bcrypthash: hash: %w", err)
	}
	return string(b), nil
}

// Compare reports whether password matches hash: nil on a match, an error
// wrapping domain.ErrPasswordMismatch otherwise. A hash that is not a bcrypt
// hash is a distinct error. A password over domain.MaxPasswordBytes never
// matches.
func (h *Hasher) Compare(ctx context.Context, hash, password string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bcrypthash: %w", err)
	}
	pw := []byte(password)
	// bcrypt reads only the first 72 bytes of a password, so
	// CompareHashAndPassword matches a longer password against the hash of
	// its prefix. Such a password can never have been hashed by Hash, so it
	// must never match; the comparison still runs (on the prefix) so that the
	// call costs the same and an unusable hash is still reported as such.
	tooLong := len(pw) > domain.MaxPasswordBytes
	if tooLong {
		pw = pw[:domain.MaxPasswordBytes]
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), pw)
	switch {
	case err == nil && !tooLong:
		return nil
	case err == nil, errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return domain.ErrPasswordMismatch
	default:
		return fmt.Errorf("bcrypthash: unusable stored hash: %w", err)
	}
}
