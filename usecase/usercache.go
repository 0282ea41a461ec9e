package usecase

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// userState is what Authenticate needs of a user to accept a token: nothing
// secret (no password hash) is cached.
type userState struct {
	status             domain.Status
	isAdmin            bool
	tokenVersion       int64
	mustChangePassword bool
}

func stateOf(u domain.User) userState {
	return userState{
		status:             u.Status,
		isAdmin:            u.IsAdmin,
		tokenVersion:       u.TokenVersion,
		mustChangePassword: u.MustChangePassword,
	}
}

// userCache keeps recently read user states for Authenticate, each for at
// most ttl. The Service forgets a user's entry as soon as it writes that
// user, so in this process a rejection or password change takes effect at
// once; changes made elsewhere (another instance, the database directly)
// show after at most ttl.
type userCache struct {
	ttl time.Duration
	max int

	mu      sync.RWMutex
	entries map[string]cachedState
	// gen counts invalidations. A state read from the store is cached only
	// if no invalidation happened since the read began, so a read racing
	// with a write cannot put the old state back for a whole ttl.
	gen atomic.Uint64
}

type cachedState struct {
	state   userState
	expires time.Time
}

func newUserCache(ttl time.Duration, size int) *userCache {
	return &userCache{ttl: ttl, max: size, entries: make(map[string]cachedState)}
}

// get returns email's cached state if it is fresh at now.
func (c *userCache) get(email string, now time.Time) (userState, bool) {
	c.mu.RLock()
	e, ok := c.entries[email]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return userState{}, false
	}
	return e.state, true
}

// generation returns the value to pass to put for a read starting now.
func (c *userCache) generation() uint64 { return c.gen.Load() }

// put caches st for email unless an invalidation happened since gen was
// taken. A full cache first drops expired entries, then random ones, down
// to 7/8 of its size.
func (c *userCache) put(email string, st userState, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if _, ok := c.entries[email]; !ok && len(c.entries) >= c.max {
		c.shrink(now)
	}
	c.entries[email] = cachedState{state: st, expires: now.Add(c.ttl)}
}

func (c *userCache) shrink(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	target := shrinkTarget(c.max)
	for k := range c.entries { // map order is random
		if len(c.entries) <= target {
			break
		}
		delete(c.entries, k)
	}
}

// forget drops email's entry; the next Authenticate reads the store.
func (c *userCache) forget(email string) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.entries, email)
	c.mu.Unlock()
}

// len returns the number of entries (for tests).
func (c *userCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
