// Package bcrypthash implements ports.PasswordHasher with bcrypt
// (golang.org/x/crypto/bcrypt).
//
// The cost defaults to DefaultCost (12). Costs below MinProductionCost (10)
// are refused unless AllowLowCost is given, which exists for test setups where
// hashing at full cost would make a suite slow; it logs a warning.
//
// Compare spends the work of a comparison at the configured cost on every
// mismatch, even against a hash made at a lower cost (before the cost was
// raised), so that the time of a failed login does not tell accounts with
// old hashes from unknown emails, which are compared against a stand-in hash
// at the configured cost. See Hasher.Compare.
package bcrypthash

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"

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
// concurrent use. Use the *Hasher New returns (a copy would share its
// stand-in hashes, which is harmless, but nothing needs one).
type Hasher struct {
	cost int
	// padding[c-MinCost] is the stand-in hash at cost c (c < cost) that
	// Compare pads a mismatch against a hash of lower cost with, made on
	// first use. It is a slice, not an array, so that a copied Hasher
	// shares the sync.Once values rather than copying them.
	padding []standIn
	// observe, when not nil, is called with the cost of every bcrypt
	// comparison Compare makes. Only the tests set it.
	observe func(cost int)
}

// standIn is a bcrypt hash of a random password, made once.
type standIn struct {
	once sync.Once
	hash []byte // nil if it could not be made
}

// get returns the stand-in hash at cost, making it on first use.
func (s *standIn) get(cost int) []byte {
	s.once.Do(func() {
		// The password is random and thrown away: the stand-in matches
		// nothing anyone can type, and its only use is the work of
		// comparing against it.
		s.hash, _ = bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	})
	return s.hash
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
		return nil, fmt.Errorf("bcrypthash: cost %d outside %d..%d; pass 0 for DefaultCost (%d)", cost, MinCost, MaxCost, DefaultCost)
	}
	if cost < MinProductionCost {
		if !o.allowLowCost {
			return nil, fmt.Errorf("%w: got %d", ErrCostTooLow, cost)
		}
		if o.logger != nil {
			o.logger.Warn("bcrypthash: INSECURE low bcrypt cost, for tests only", "cost", cost, "min_production_cost", MinProductionCost)
		}
	}
	return &Hasher{cost: cost, padding: make([]standIn, cost-MinCost)}, nil
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
//
// The work of a mismatch is that of one bcrypt comparison at the larger of
// Cost and the cost of hash, whatever the cost of hash: against a hash of
// lower cost c, Compare adds comparisons against stand-in hashes of costs
// c, c+1, ..., Cost-1, and bcrypt's work doubling with each step of cost,
// the total is 2^c + 2^c + 2^(c+1) + ... + 2^(Cost-1) = 2^Cost. (The first
// such mismatch also makes the stand-ins it needs, once per Hasher.) So
// after the cost is raised, a wrong password for an account whose hash is
// still at the old cost takes as long as one for an unknown email compared
// against a stand-in at the new cost. A match is not padded: it costs one
// comparison at the cost of hash, and the caller learns the password was
// right anyway (and replaces the hash, see NeedsRehash). Nor can a hash of
// higher cost than Cost be compared faster: after the cost is lowered, a
// mismatch against a hash still at the old, higher cost takes longer than
// one for an unknown email until its account logs in and is rehashed. A
// hash that cannot be used returns its error without padding.
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
	stored := []byte(hash)
	cost, costErr := bcrypt.Cost(stored)
	if costErr == nil && h.observe != nil {
		h.observe(cost)
	}
	err := bcrypt.CompareHashAndPassword(stored, pw)
	switch {
	case err == nil && !tooLong:
		return nil
	case err == nil, errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		h.pad(cost, pw)
		return fmt.Errorf("bcrypthash: %w", domain.ErrPasswordMismatch)
	default:
		return fmt.Errorf("bcrypthash: unusable stored hash: %w", err)
	}
}

// pad compares pw against stand-in hashes of costs from, from+1, ...,
// h.cost-1, which brings a mismatch against a hash of cost from to the
// work of one comparison at h.cost. It does nothing if from >= h.cost.
func (h *Hasher) pad(from int, pw []byte) {
	for c := max(from, MinCost); c < h.cost; c++ {
		standIn := h.padding[c-MinCost].get(c)
		if standIn == nil {
			continue // cannot happen: c is a valid cost, pw at most 72 bytes
		}
		if h.observe != nil {
			h.observe(c)
		}
		_ = bcrypt.CompareHashAndPassword(standIn, pw)
	}
}
