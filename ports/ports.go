// Package ports declares the interfaces the authadmin core needs from the
// outside world: where users are stored, how passwords are hashed, and how
// tokens are signed and verified. The use cases depend only on these, so any
// implementation can be plugged in and the use cases tested with fakes.
//
// (Some hexagonal codebases call inbound HTTP handlers "ports" too; here the
// inbound side lives in transport/ and ports/ holds the driven interfaces.)
package ports

import (
	"context"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// UserRepository stores users. It is the interface to implement for a custom
// store; ports/storetest checks an implementation against this contract.
//
// Emails are matched case-insensitively: implementations index users by
// domain.EmailKey(email) and store that form in User.Email, so
// "Ann@Example.com" and "ann@example.com" are the same user.
//
// Users are values: what a method returns must not share state with what the
// store keeps, and a User passed in may be reused by the caller afterwards.
// Stores keep times to at least microsecond precision (the use cases
// truncate to the microsecond) and may return them in any location.
//
// A store may refuse a user it cannot represent (an empty email, an unknown
// status) with an error wrapping domain.ErrValidation; the use cases never
// pass one. Any other failure (I/O, a closed store, a done context) is an
// error the use cases pass on wrapped.
//
// Every method must return soon after its context is done (the use cases
// give each call a deadline, usecase.Config.StoreTimeout), with an error
// wrapping ctx.Err(). A write whose outcome is unknown (the connection was
// lost after the statement was sent) must be confirmed or reported as
// such, never as a conflict: a store that retries a write after a lost
// connection must recognise its own earlier write (Create must not then
// report domain.ErrEmailTaken, nor Update domain.ErrConflict, for a row
// that write made), and a write it can confirm neither way is an error
// wrapping domain.ErrStoreUnavailable.
//
// Implementations must be safe for concurrent use.
type UserRepository interface {
	// FindByEmail returns the user with the given email, or an error wrapping
	// domain.ErrUserNotFound.
	FindByEmail(ctx context.Context, email string) (domain.User, error)

	// Create stores a new user with Revision 1 (whatever u.Revision holds).
	// If a user with the same email exists, in any letter case, it stores
	// nothing and returns an error wrapping domain.ErrEmailTaken; of many
	// concurrent Creates of one email exactly one succeeds.
	Create(ctx context.Context, u domain.User) error

	// Update replaces the stored user with the same email by u, but only if
	// the stored Revision equals u.Revision; it then stores u with Revision
	// u.Revision+1. If the stored Revision differs it changes nothing and
	// returns an error wrapping domain.ErrConflict; if no such user exists,
	// an error wrapping domain.ErrUserNotFound. The check and the write are
	// one atomic step, so no concurrent update is ever lost.
	Update(ctx context.Context, u domain.User) error

	// ListPending returns at most limit users whose Status is
	// domain.StatusPending, skipping the first offset of them, oldest
	// CreatedAt first (ties broken by email in byte order, COLLATE "C" in
	// SQL terms). It returns an empty, non-nil slice when there are none.
	// Callers pass limit >= 1 and offset >= 0.
	ListPending(ctx context.Context, limit, offset int) ([]domain.User, error)

	// EnsureAdmin stores u, an approved administrator, with Revision 1,
	// only if no administrator exists at all and no user has its email,
	// and reports whether it did. It never modifies an existing user,
	// whatever u holds. The check and the insert are one atomic step: of
	// concurrent calls, for one email or several, at most one reports true
	// (so two instances starting at once with different admin emails
	// seed one admin, not two), and exactly one when no admin existed.
	EnsureAdmin(ctx context.Context, u domain.User) (created bool, err error)
}

// PasswordHasher turns passwords into hashes and checks them.
// Implementations must be safe for concurrent use.
type PasswordHasher interface {
	// Hash returns an encoded hash of password, salted so that two calls
	// give different results.
	Hash(ctx context.Context, password string) (string, error)

	// Compare returns nil if password matches hash, an error wrapping
	// domain.ErrPasswordMismatch if it does not, and another error if the
	// hash cannot be used. It costs the same whether or not they match.
	Compare(ctx context.Context, hash, password string) error

	// NeedsRehash reports whether hash was made with other parameters (a
	// different cost) than Hash uses now. Login then replaces it, so that
	// every account converges on the configured cost and a login's work
	// does not tell old accounts from unknown emails.
	NeedsRehash(hash string) bool
}

// TokenCodec signs claims into an access token and verifies tokens.
// Implementations must be safe for concurrent use.
type TokenCodec interface {
	// Encode signs c. It refuses extra claims that are reserved
	// (domain.ErrReservedClaim) or cannot be encoded. The context matters to
	// codecs that sign remotely (a KMS); local ones may ignore it.
	Encode(ctx context.Context, c domain.Claims) (string, error)

	// Decode verifies token as of now (signature, algorithm, expiry, issue
	// time) and returns its claims, or an error wrapping
	// domain.ErrInvalidToken. It does not know about users: whether the
	// subject still exists and may log in is the use case's check. The
	// context matters to codecs that fetch keys (JWKS); local ones may
	// ignore it.
	Decode(ctx context.Context, token string, now time.Time) (domain.Claims, error)
}

// StableTokenCodec is a TokenCodec that promises its verdicts can be
// cached: Decode's result for a token depends only on the token and the
// time (not on the context, nor on state that changes, such as a deny-list
// or keys fetched from elsewhere), and a token accepted at some time is
// accepted, with the same claims, at every later time before its "exp".
// usecase.Service caches the verdicts of such a codec by default (see
// usecase.Config.TokenCacheSize); other codecs are asked every time unless
// the cache is turned on explicitly.
type StableTokenCodec interface {
	TokenCodec
	// StableVerdicts reports whether the promise holds for this codec as
	// configured.
	StableVerdicts() bool
}

// LoginAttempt identifies a password guess for a LoginLimiter.
type LoginAttempt struct {
	// Account is the email the guess is for, as domain.EmailKey gives it
	// (known or not: unknown emails are throttled the same way, so that
	// throttling does not tell which exist).
	Account string
	// Client identifies where the guess comes from: an IP address, or an
	// IPv6 /64 prefix ("2001:db8:1:2::/64"), as the transport saw it. ""
	// means unknown; only the account is then throttled.
	Client string
}

// LoginLimiter throttles password guessing: logins, and the current-password
// check of a password change. The use cases ask it before comparing a
// password and tell it when a password was right.
//
// An implementation keeps its counters per account, per client and per
// account-and-client pair, in memory (usecase.NewMemoryLimiter, the default)
// or in shared storage so that several instances throttle together.
// Implementations must be safe for concurrent use, and return soon after
// their context is done (the use cases give every call the store's
// deadline, usecase.Config.StoreTimeout).
type LoginLimiter interface {
	// Wait reports how long a guess must wait before it may be checked at
	// now (0: it may be checked now), and counts nothing. The use cases
	// ask it first, so that a throttled guess is refused at once, without
	// reading the store or queueing for a hashing slot.
	Wait(ctx context.Context, a LoginAttempt, now time.Time) (time.Duration, error)

	// Attempt is Wait for a guess about to be checked: when it returns 0
	// it counts the guess as a failure at once, in the same atomic step,
	// so that concurrent guesses cannot all slip past before the first
	// fails. Otherwise it returns the wait and counts nothing. The use
	// cases call it once they hold a hashing slot, right before the
	// comparison, so every guess it counts is also checked, and guesses
	// still waiting in the queue (a client's own concurrent logins) are
	// not counted against each other. It is the only call made while a
	// slot is held: keep it quick.
	Attempt(ctx context.Context, a LoginAttempt, now time.Time) (wait time.Duration, err error)

	// Succeeded reports that the password of a guess Attempt counted was
	// right: that guess stops counting as a failure, the failures of the
	// account from that client are forgotten, and the client is
	// remembered as one the account's owner uses. (The failures of the
	// account from other clients still count: the owner's logins do not
	// reopen the account to an attacker elsewhere.)
	Succeeded(ctx context.Context, a LoginAttempt, now time.Time) error
}

// RegistrationLimiter bounds how fast accounts are registered, per client
// and in total, so that one client cannot fill the store with junk pending
// accounts (nor use registration to learn, address by address, which
// accounts exist). usecase.NewMemoryRegistrationLimiter is the default.
// Implementations must be safe for concurrent use, and return soon after
// their context is done.
type RegistrationLimiter interface {
	// Allow asks whether a registration from client (see
	// LoginAttempt.Client; "" means unknown, and only the total bound
	// applies) may go ahead at now. When it may (wait 0), Allow counts it
	// at once, in the same atomic step; otherwise it returns how long to
	// wait and counts nothing.
	Allow(ctx context.Context, client string, now time.Time) (wait time.Duration, err error)
}
