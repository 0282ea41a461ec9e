package contracttest

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/ports"
)

// offsetClock is a server's clock: the real time plus an offset the suite
// moves forward, so that throttling waits can pass without sleeping while
// tokens the suite signs with the real time stay valid. A test whose
// outcome depends on no time passing between requests (a throttling wait
// of one second, on a slow machine) freezes it.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time
}

func (c *offsetClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

// advance moves the clock forward by d.
func (c *offsetClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// freeze stops the clock at the current time; only advance moves it then.
func (c *offsetClock) freeze() {
	c.mu.Lock()
	c.frozen = time.Now()
	c.mu.Unlock()
}

// countingHasher wraps a server's hasher: it counts comparisons and the
// bcrypt cost of each hash compared against, and can hold comparisons until
// the suite releases them.
type countingHasher struct {
	ports.PasswordHasher

	mu      sync.Mutex
	costs   []int         // cost of the hash of each Compare since reset
	hold    chan struct{} // non-nil: Compare waits until it is closed
	entered chan struct{} // receives one value per held Compare
}

func newCountingHasher(h ports.PasswordHasher) *countingHasher {
	return &countingHasher{PasswordHasher: h}
}

func (h *countingHasher) Compare(ctx context.Context, hash, password string) error {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		cost = -1
	}
	h.mu.Lock()
	h.costs = append(h.costs, cost)
	hold, entered := h.hold, h.entered
	h.mu.Unlock()
	if hold != nil {
		entered <- struct{}{}
		<-hold
	}
	return h.PasswordHasher.Compare(ctx, hash, password)
}

// reset forgets the comparisons counted so far.
func (h *countingHasher) reset() {
	h.mu.Lock()
	h.costs = nil
	h.mu.Unlock()
}

// compares returns the costs of the comparisons since the last reset.
func (h *countingHasher) compares() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.costs...)
}

// holdCompares makes every later Compare wait, after sending on the
// returned channel, until the returned release is called.
func (h *countingHasher) holdCompares() (entered <-chan struct{}, release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hold, in := make(chan struct{}), make(chan struct{}, 64)
	h.hold, h.entered = hold, in
	var once sync.Once
	return in, func() {
		once.Do(func() {
			h.mu.Lock()
			h.hold = nil
			h.mu.Unlock()
			close(hold)
		})
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secrets is what must never appear in a server's log: the passwords the
// suite uses, the signing key, and every token it received or sent.
type secrets struct {
	mu   sync.Mutex
	list []string
}

func newSecrets(s ...string) *secrets { return &secrets{list: s} }

// add records s as a secret; short strings are ignored, as they could
// appear in a log by coincidence.
func (s *secrets) add(v string) {
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	s.list = append(s.list, v)
	s.mu.Unlock()
}

func (s *secrets) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.list...)
}

// checkLogs fails the test if the server's log holds a secret or a bcrypt
// hash. It runs when the test ends.
func (c *client) checkLogs() {
	logs := c.logs.String()
	for _, p := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.Contains(logs, p) {
			c.t.Errorf("%s: the server logged what looks like a bcrypt hash", c.name)
		}
	}
	for _, s := range c.secrets.all() {
		if strings.Contains(logs, s) {
			c.t.Errorf("%s: the server logged a secret (a password, the key or a token): %s", c.name, snippet([]byte(s[:min(len(s), 12)])))
		}
	}
}
