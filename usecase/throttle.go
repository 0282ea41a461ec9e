package usecase

import (
	"context"
	"sync"
	"time"

	"github.com/authadmin/authadmin/ports"
)

// Backoff is how one kind of counter slows password guessing: the first Free
// guesses (at least one) go through at once; after the Free-th failure the
// next guess waits Base, and every further failure doubles the wait, up to
// Max. Base 0 turns the counter off; a Max under Base means Base.
type Backoff struct {
	// Free is how many failures pass before any wait.
	Free int
	// Base is the wait after the Free-th failure.
	Base time.Duration
	// Max caps the wait.
	Max time.Duration
}

// delay is the wait after failures failures.
func (b Backoff) delay(failures int) time.Duration {
	over := failures - max(b.Free, 1)
	if over < 0 || b.Base <= 0 {
		return 0
	}
	limit := max(b.Max, b.Base)
	d := b.Base
	for ; over > 0 && d < limit; over-- {
		if d > limit/2 {
			return limit // doubling would pass the limit (or overflow)
		}
		d *= 2
	}
	return min(d, limit)
}

// ThrottlePolicy configures NewMemoryLimiter. Its zero fields take the
// values of DefaultThrottlePolicy.
//
// Three counters see every guess: the account from that client (Pair), the
// account from every client (Account) and the client against every account
// (Client). A guess waits as long as the strictest of them says, except that
// a client from which the account's owner logged in recently (a known
// client) answers only to Pair: a distributed attack that trips Account or a
// crowd behind one NAT that trips Client does not lock the owner out at
// their usual address.
type ThrottlePolicy struct {
	// Pair slows one client guessing at one account
	// (default 5 free failures, then 1 s doubling up to 15 min).
	Pair Backoff
	// Account is the hard cap on guesses at one account from all clients
	// together (default 10 free failures, then 1 min doubling up to
	// 30 min: about 60 guesses a day at most).
	Account Backoff
	// Client slows one client guessing across many accounts (password
	// spraying) (default 30 free failures, then 1 s doubling up to 15 min).
	Client Backoff
	// ForgetAfter is how long a counter lasts after its last failure
	// (default 24 h; never less than the longest Max). A right password
	// clears the Pair counter of its client at once.
	ForgetAfter time.Duration
	// KnownClientTTL is how long a client stays known after the account's
	// owner logged in from it (default 30 days).
	KnownClientTTL time.Duration
	// MaxEntries bounds the counters, and separately the known clients,
	// kept in memory (default 100 000 each). When full, expired entries go
	// first, then random ones.
	MaxEntries int
}

// DefaultThrottlePolicy is the policy of the default limiter.
var DefaultThrottlePolicy = ThrottlePolicy{
	Pair:           Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute},
	Account:        Backoff{Free: 10, Base: time.Minute, Max: 30 * time.Minute},
	Client:         Backoff{Free: 30, Base: time.Second, Max: 15 * time.Minute},
	ForgetAfter:    24 * time.Hour,
	KnownClientTTL: 30 * 24 * time.Hour,
	MaxEntries:     100_000,
}

// withDefaults fills p's zero fields from DefaultThrottlePolicy.
func (p ThrottlePolicy) withDefaults() ThrottlePolicy {
	d := DefaultThrottlePolicy
	if p.Pair == (Backoff{}) {
		p.Pair = d.Pair
	}
	if p.Account == (Backoff{}) {
		p.Account = d.Account
	}
	if p.Client == (Backoff{}) {
		p.Client = d.Client
	}
	if p.ForgetAfter <= 0 {
		p.ForgetAfter = d.ForgetAfter
	}
	if p.KnownClientTTL <= 0 {
		p.KnownClientTTL = d.KnownClientTTL
	}
	if p.MaxEntries <= 0 {
		p.MaxEntries = d.MaxEntries
	}
	// A counter forgotten before its longest wait would give its free
	// guesses back early.
	p.ForgetAfter = max(p.ForgetAfter, p.Pair.Max, p.Account.Max, p.Client.Max)
	return p
}

// counterKind tells the three counters of a guess apart.
type counterKind uint8

const (
	pairCounter counterKind = iota
	accountCounter
	clientCounter
)

type counterKey struct {
	kind            counterKind
	account, client string
}

type counter struct {
	failures int
	last     time.Time
}

// MemoryLimiter is the in-process ports.LoginLimiter the Service uses unless
// Config.Limiter says otherwise. Its counters live in this process only:
// several instances behind a load balancer each throttle on their own, so an
// attacker spreading guesses over n instances gets n times the guesses.
// Plug in a shared LoginLimiter to throttle them together.
//
// It is safe for concurrent use.
type MemoryLimiter struct {
	policy ThrottlePolicy

	mu       sync.Mutex
	counters map[counterKey]counter
	known    map[counterKey]time.Time // pair keys
}

var _ ports.LoginLimiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns a limiter with policy p (zero fields take
// DefaultThrottlePolicy's values).
func NewMemoryLimiter(p ThrottlePolicy) *MemoryLimiter {
	return &MemoryLimiter{
		policy:   p.withDefaults(),
		counters: make(map[counterKey]counter),
		known:    make(map[counterKey]time.Time),
	}
}

// keys returns the counters a guess touches. With a client, the first is
// the Pair counter, the only one a known client obeys.
func (l *MemoryLimiter) keys(a ports.LoginAttempt) []counterKey {
	if a.Client == "" {
		return []counterKey{{kind: accountCounter, account: a.Account}}
	}
	return []counterKey{
		{kind: pairCounter, account: a.Account, client: a.Client},
		{kind: accountCounter, account: a.Account},
		{kind: clientCounter, client: a.Client},
	}
}

func (l *MemoryLimiter) backoff(k counterKind) Backoff {
	switch k {
	case pairCounter:
		return l.policy.Pair
	case accountCounter:
		return l.policy.Account
	}
	return l.policy.Client
}

// Wait implements ports.LoginLimiter.
func (l *MemoryLimiter) Wait(_ context.Context, a ports.LoginAttempt, now time.Time) (time.Duration, error) {
	keys := l.keys(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(a, keys, now), nil
}

// wait is the wait a guess on keys must make at now.
func (l *MemoryLimiter) wait(a ports.LoginAttempt, keys []counterKey, now time.Time) time.Duration {
	known := a.Client != "" && l.isKnown(keys[0], now)
	var wait time.Duration
	for i, k := range keys {
		if known && i > 0 {
			break
		}
		c, ok := l.live(k, now)
		if !ok {
			continue
		}
		// A counter under its free failures holds nobody back. Skipping it
		// matters when the clock readings of concurrent calls reach the
		// lock out of order: with now just before c.last, "c.last + 0 -
		// now" would be a small positive wait, a 429 for a right password.
		if d := l.backoff(k.kind).delay(c.failures); d > 0 {
			wait = max(wait, c.last.Add(d).Sub(now))
		}
	}
	return wait
}

// Attempt implements ports.LoginLimiter.
func (l *MemoryLimiter) Attempt(_ context.Context, a ports.LoginAttempt, now time.Time) (time.Duration, error) {
	keys := l.keys(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.wait(a, keys, now); wait > 0 {
		return wait, nil
	}
	for _, k := range keys {
		c, _ := l.live(k, now)
		c.failures++
		c.last = now
		l.put(k, c, now)
	}
	return 0, nil
}

// Succeeded implements ports.LoginLimiter.
func (l *MemoryLimiter) Succeeded(_ context.Context, a ports.LoginAttempt, now time.Time) error {
	keys := l.keys(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if k.kind == pairCounter {
			delete(l.counters, k)
			continue
		}
		// Undo the failure Attempt counted in advance, and no more: the
		// owner's right passwords neither add up against the account or
		// the client nor wipe out an attacker's failures elsewhere
		// (which would reopen the account-wide cap, and show that the
		// account exists and is in use).
		if c, ok := l.live(k, now); ok && c.failures > 1 {
			c.failures--
			l.counters[k] = c
		} else {
			delete(l.counters, k)
		}
	}
	if a.Client != "" {
		if len(l.known) >= l.policy.MaxEntries {
			l.shrinkKnown(now)
		}
		l.known[keys[0]] = now
	}
	return nil
}

// live returns k's counter if it has not been forgotten by now.
func (l *MemoryLimiter) live(k counterKey, now time.Time) (counter, bool) {
	c, ok := l.counters[k]
	if !ok || now.Sub(c.last) >= l.policy.ForgetAfter {
		return counter{}, false
	}
	return c, true
}

func (l *MemoryLimiter) isKnown(pair counterKey, now time.Time) bool {
	at, ok := l.known[pair]
	return ok && now.Sub(at) < l.policy.KnownClientTTL
}

// put stores c under k, making room first if the limiter is full.
func (l *MemoryLimiter) put(k counterKey, c counter, now time.Time) {
	if _, ok := l.counters[k]; !ok && len(l.counters) >= l.policy.MaxEntries {
		l.shrinkCounters(now)
	}
	l.counters[k] = c
}

// shrinkCounters makes room, down to 7/8 of the bound: it drops every
// forgotten counter, then counters still under their free failures (which
// hold nobody back), and only if that is not enough, random others.
//
// So a flood of fresh guesses, which makes counters under their free
// failures, evicts its own counters, not a counter that holds an attacker
// back. To push those out, the map must first fill with counters past their
// free failures, which takes several guesses per counter, each one counted
// only once it holds a hashing slot: for the default 100 000 entries, well
// over 100 000 hashed guesses.
func (l *MemoryLimiter) shrinkCounters(now time.Time) {
	shrink(l.counters, shrinkTarget(l.policy.MaxEntries),
		func(_ counterKey, c counter) bool { return now.Sub(c.last) >= l.policy.ForgetAfter },
		func(k counterKey, c counter) bool { return c.failures < l.backoff(k.kind).Free })
}

// shrinkKnown is shrinkCounters for the known clients: expired ones first,
// then random ones.
func (l *MemoryLimiter) shrinkKnown(now time.Time) {
	shrink(l.known, shrinkTarget(l.policy.MaxEntries),
		func(_ counterKey, at time.Time) bool { return now.Sub(at) >= l.policy.KnownClientTTL })
}

// shrink deletes from m every entry the first rule dooms (expired ones),
// then entries each further rule dooms, and last random ones, until m holds
// at most target entries.
func shrink[K comparable, V any](m map[K]V, target int, expired func(K, V) bool, rules ...func(K, V) bool) {
	for k, v := range m {
		if expired(k, v) {
			delete(m, k)
		}
	}
	for _, doomed := range append(rules, func(K, V) bool { return true }) {
		for k, v := range m { // map order is random
			if len(m) <= target {
				return
			}
			if doomed(k, v) {
				delete(m, k)
			}
		}
	}
}

// shrinkTarget is the size a full map bounded by n shrinks to before an
// insertion: 7/8 of n, but always at least one below n, so that the entry
// about to be added fits under the bound even when n is under 8.
func shrinkTarget(n int) int { return n - max(1, n/8) }
