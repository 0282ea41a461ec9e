package usecase

import (
	"context"
	"sync"
	"time"

	"github.com/authadmin/authadmin/ports"
)

// Rate is a token bucket: Burst events may happen at once, and the bucket
// refills by one every Every. Over any t, at most Burst + t/Every events
// get through.
type Rate struct {
	// Burst is how many events may happen at once (at least 1).
	Burst int
	// Every is how long the bucket takes to refill by one event.
	Every time.Duration
}

// RegistrationPolicy configures NewMemoryRegistrationLimiter. Its zero
// fields take the values of DefaultRegistrationPolicy.
type RegistrationPolicy struct {
	// PerClient bounds the registrations of one client (an IP address or
	// an IPv6 /64): by default 10 at once, then one every 10 s, so one
	// client makes at most 10 + t/10s accounts in t (370 in an hour; a
	// company signing its staff up from behind one NAT is the case to
	// size it for).
	PerClient Rate
	// Total bounds the registrations of all clients together: by default
	// 200 at once, then one a second, so a flood spread over many
	// addresses makes at most 200 + t/1s accounts in t.
	Total Rate
	// MaxClients bounds the clients remembered (default 100 000). When
	// full, clients whose bucket has refilled are forgotten first (they
	// lose nothing), then random ones (which get their burst back: Total
	// still holds).
	MaxClients int
}

// DefaultRegistrationPolicy is the policy of the default registration
// limiter.
var DefaultRegistrationPolicy = RegistrationPolicy{
	PerClient:  Rate{Burst: 10, Every: 10 * time.Second},
	Total:      Rate{Burst: 200, Every: time.Second},
	MaxClients: 100_000,
}

func (p RegistrationPolicy) withDefaults() RegistrationPolicy {
	d := DefaultRegistrationPolicy
	if p.PerClient.Burst <= 0 || p.PerClient.Every <= 0 {
		p.PerClient = d.PerClient
	}
	if p.Total.Burst <= 0 || p.Total.Every <= 0 {
		p.Total = d.Total
	}
	if p.MaxClients <= 0 {
		p.MaxClients = d.MaxClients
	}
	return p
}

// bucket is a token bucket kept as the time at which it will be full again
// (GCRA's theoretical arrival time): one number per client.
type bucket struct{ full time.Time }

// take reports how long an event at now must wait under r (0: it may
// happen now) and the bucket after the event, which the caller stores
// only if every bucket involved lets the event through.
func (b bucket) take(r Rate, now time.Time) (time.Duration, bucket) {
	full := b.full
	if full.Before(now) {
		full = now
	}
	full = full.Add(r.Every)
	// The event fits if the bucket, after it, is at most Burst events
	// from full.
	if over := full.Sub(now) - time.Duration(r.Burst)*r.Every; over > 0 {
		return over, b
	}
	return 0, bucket{full: full}
}

// MemoryRegistrationLimiter is the in-process ports.RegistrationLimiter the
// Service uses unless Config.Registrations says otherwise. Like
// MemoryLimiter, it counts within this process only.
//
// It is safe for concurrent use.
type MemoryRegistrationLimiter struct {
	policy RegistrationPolicy

	mu      sync.Mutex
	total   bucket
	clients map[string]bucket
}

var _ ports.RegistrationLimiter = (*MemoryRegistrationLimiter)(nil)

// NewMemoryRegistrationLimiter returns a registration limiter with policy p
// (zero fields take DefaultRegistrationPolicy's values).
func NewMemoryRegistrationLimiter(p RegistrationPolicy) *MemoryRegistrationLimiter {
	return &MemoryRegistrationLimiter{policy: p.withDefaults(), clients: make(map[string]bucket)}
}

// Allow implements ports.RegistrationLimiter.
func (l *MemoryRegistrationLimiter) Allow(_ context.Context, client string, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	totalWait, total := l.total.take(l.policy.Total, now)
	var clientWait time.Duration
	var cb bucket
	if client != "" {
		clientWait, cb = l.clients[client].take(l.policy.PerClient, now)
	}
	if wait := max(totalWait, clientWait); wait > 0 {
		return wait, nil
	}
	l.total = total
	if client != "" {
		if _, ok := l.clients[client]; !ok && len(l.clients) >= l.policy.MaxClients {
			shrink(l.clients, shrinkTarget(l.policy.MaxClients),
				func(_ string, b bucket) bool { return !b.full.After(now) })
		}
		l.clients[client] = cb
	}
	return 0, nil
}
