package contracttest

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// adversarialLogin attacks login and the account state: enumeration,
// password guessing (throttling), hashing floods and races between
// administrators and users.
func (s suite) adversarialLogin(t *testing.T) {
	s.cases(t, []testCase{
		{"pending and rejected users: right password 403, wrong password the same 401 as an unknown email", pendingRejected},
		{"unknown email and wrong password do the same work", equalWork},
		{"150 failed logins then the right password", failedLogins},
		{"spoofed X-Forwarded-For is ignored without a trusted proxy", spoofedForwardedFor},
		{"password spraying from one client is slowed", passwordSpraying},
		{"50 parallel approve and reject on one user", approveRejectRace},
	})
	t.Run("concurrent password change and login", func(t *testing.T) {
		t.Parallel()
		// Room in the queue for all 21 calls of the one client: the race
		// is the point here, not the fair share (see availability).
		changeWhileLoggingIn(t, s.server(t, options{hashPerClient: 64}))
	})
	t.Run("throttling is per client: the owner logs in while an attacker is throttled", func(t *testing.T) {
		t.Parallel()
		ownerDuringAttack(t, s.server(t, options{trustLoopback: true}))
	})
	t.Run("change-password guesses with a stolen token are throttled", func(t *testing.T) {
		t.Parallel()
		changePasswordGuesses(t, s.server(t, options{trustLoopback: true}))
	})
	t.Run("guesses from many clients hit the account cap, not the owner's known client", func(t *testing.T) {
		t.Parallel()
		distributedGuessing(t, s.server(t, options{trustLoopback: true}))
	})
	t.Run("a hashing flood gets 503 with Retry-After while RequireLogin keeps answering", func(t *testing.T) {
		t.Parallel()
		hashFlood(t, s.server(t, options{hashSlots: 1, hashWait: 200 * time.Millisecond}))
	})
}

func pendingRejected(t *testing.T, c *client) {
	c.register("pat@example.com")
	c.approvedUser("rex@example.com")
	c.setStatus("/reject", c.adminToken(), "rex@example.com")
	unknown := c.loginResp("nobody@example.com", "wrong-password-1")
	c.want401(unknown, false)
	for email, word := range map[string]string{"pat@example.com": "approval", "rex@example.com": "rejected"} {
		r := c.loginResp(email, "wrong-password-1")
		c.want401(r, false)
		if !bytes.Equal(r.raw, unknown.raw) || r.header.Get("WWW-Authenticate") != unknown.header.Get("WWW-Authenticate") {
			c.errorf(r, "wrong password for %s: body %s, want the unknown email's %s", email, snippet(r.raw), snippet(unknown.raw))
		}
		r = c.loginResp(email, userPassword)
		if c.wantStatus(r, http.StatusForbidden) && !strings.Contains(detail(r), word) {
			c.errorf(r, "right password for %s: detail %q does not say %q", email, detail(r), word)
		}
	}
}

// equalWork proves with the counting hasher that every login answer costs
// exactly one comparison against a hash of the configured cost: an unknown
// email is not cheaper than a known one.
func equalWork(t *testing.T, c *client) {
	c.approvedUser("ann@example.com")
	c.register("pat@example.com")
	c.approvedUser("rex@example.com")
	c.setStatus("/reject", c.adminToken(), "rex@example.com")
	for _, tc := range []struct {
		what, email, password string
		status                int
	}{
		{"wrong password of a rejected user", "rex@example.com", "wrong-password-1", http.StatusUnauthorized},
		{"right password of a rejected user", "rex@example.com", userPassword, http.StatusForbidden},
		{"unknown email", "nobody@example.com", "wrong-password-1", http.StatusUnauthorized},
		{"unknown email, the right password of another user", "nobody@example.com", userPassword, http.StatusUnauthorized},
		{"wrong password", "ann@example.com", "wrong-password-1", http.StatusUnauthorized},
		{"wrong password of a pending user", "pat@example.com", "wrong-password-1", http.StatusUnauthorized},
		{"wrong password of the admin", adminEmail, "wrong-password-1", http.StatusUnauthorized},
		{"right password", "ann@example.com", userPassword, http.StatusOK},
		{"right password of a pending user", "pat@example.com", userPassword, http.StatusForbidden},
	} {
		c.hasher.reset()
		r := c.loginResp(tc.email, tc.password)
		c.wantStatus(r, tc.status)
		if got := c.hasher.compares(); !slices.Equal(got, []int{hashCost}) {
			c.errorf(r, "%s: comparisons at costs %v, want exactly one at the configured cost [%d]", tc.what, got, hashCost)
		}
	}
}

// retryAfter returns r's Retry-After in seconds, reporting a failure if it
// is not a positive integer.
func (c *client) retryAfter(r *response) time.Duration {
	c.t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		c.errorf(r, "Retry-After %q, want a positive number of seconds", r.header.Get("Retry-After"))
		return time.Second
	}
	return time.Duration(n) * time.Second
}

func failedLogins(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	c.approvedUser("ann@example.com")
	c.hasher.reset()
	var statuses []int
	var last *response
	for i := range 150 {
		guess := fmt.Sprintf("wrong-password-%d", i)
		c.secrets.add(guess)
		last = c.loginResp("ann@example.com", guess)
		statuses = append(statuses, last.status)
	}
	want := slices.Repeat([]int{http.StatusUnauthorized}, 5)
	want = append(want, slices.Repeat([]int{http.StatusTooManyRequests}, 145)...)
	if !slices.Equal(statuses, want) {
		t.Errorf("%s: statuses of 150 failed logins %v, want five 401 then 429", c.name, statuses)
	}
	if n := len(c.hasher.compares()); n != 5 {
		t.Errorf("%s: %d password comparisons for 150 guesses, want 5 (a throttled guess is not checked)", c.name, n)
	}
	// The right password is refused exactly like a wrong one: the answer
	// tells nothing about it, and it is not even compared.
	right := c.loginResp("ann@example.com", userPassword)
	if c.wantStatus(right, http.StatusTooManyRequests) && !bytes.Equal(right.raw, last.raw) {
		c.errorf(right, "body %s differs from a wrong password's %s", snippet(right.raw), snippet(last.raw))
	}
	wait := c.retryAfter(right)
	if n := len(c.hasher.compares()); n != 5 {
		t.Errorf("%s: the throttled right password was compared", c.name)
	}
	// Progressive: once the wait passes one more guess is checked, and
	// the next wait is longer.
	c.clock.advance(wait)
	c.wantStatus(c.loginResp("ann@example.com", "wrong-password-x"), http.StatusUnauthorized)
	r := c.loginResp("ann@example.com", userPassword)
	if c.wantStatus(r, http.StatusTooManyRequests) {
		if next := c.retryAfter(r); next <= wait {
			c.errorf(r, "Retry-After %v after one more failure, want more than %v", next, wait)
		} else {
			wait = next
		}
	}
	// Not a lockout: when the wait passes, the right password logs in and
	// clears the failures.
	c.clock.advance(wait)
	c.checkTokenResponse(c.loginResp("ann@example.com", userPassword), "ann@example.com")
	c.wantStatus(c.loginResp("ann@example.com", "wrong-password-y"), http.StatusUnauthorized)
}

func spoofedForwardedFor(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	c.approvedUser("ann@example.com")
	c.hasher.reset()
	for i := range 20 {
		c.from(fmt.Sprintf("198.51.100.%d", i+1)).loginResp("ann@example.com", "wrong-password-1")
	}
	if n := len(c.hasher.compares()); n != 5 {
		t.Errorf("%s: %d guesses checked with a new X-Forwarded-For each, want 5: the header must be ignored unless the peer is a trusted proxy", c.name, n)
	}
}

func passwordSpraying(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	for i := range 30 {
		c.wantStatus(c.loginResp(fmt.Sprintf("user%d@example.com", i), "Spring2026!"), http.StatusUnauthorized)
	}
	r := c.loginResp("user30@example.com", "Spring2026!")
	c.wantStatus(r, http.StatusTooManyRequests)
	c.clock.advance(c.retryAfter(r))
	c.wantStatus(c.loginResp("user30@example.com", "Spring2026!"), http.StatusUnauthorized)
}

// changePasswordGuesses: a thief holding the owner's token guesses the
// current password from their own address; the owner logs in from theirs.
func changePasswordGuesses(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	c.register("ann@example.com")
	c.setStatus("/approve", c.adminToken(), "ann@example.com")
	owner, thief := c.from("203.0.113.5"), c.from("198.51.100.7")
	tok := owner.login("ann@example.com", userPassword)
	change := func(current string) *response {
		return thief.postJSON("/change-password", map[string]string{"current_password": current, "new_password": "a-new-password-1"}, tok)
	}
	var statuses []int
	for i := range 20 {
		guess := fmt.Sprintf("guess-number-%d", i)
		c.secrets.add(guess)
		statuses = append(statuses, change(guess).status)
	}
	want := append(slices.Repeat([]int{http.StatusBadRequest}, 5), slices.Repeat([]int{http.StatusTooManyRequests}, 15)...)
	if !slices.Equal(statuses, want) {
		t.Errorf("%s: statuses of 20 wrong current passwords %v, want five 400 then 429", c.name, statuses)
	}
	c.hasher.reset()
	r := change(userPassword)
	c.wantStatus(r, http.StatusTooManyRequests)
	if n := len(c.hasher.compares()); n != 0 {
		t.Errorf("%s: the throttled right current password was compared", c.name)
	}
	// The owner still logs in from their own address.
	owner.checkTokenResponse(owner.loginResp("ann@example.com", userPassword), "ann@example.com")
	c.clock.advance(c.retryAfter(r))
	c.secrets.add("a-new-password-1")
	c.wantStatus(change(userPassword), http.StatusNoContent)
}

func ownerDuringAttack(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	c.approvedUser("ann@example.com")
	attacker := c.from("198.51.100.7")
	for i := range 150 {
		attacker.loginResp("ann@example.com", fmt.Sprintf("wrong-password-%d", i))
	}
	c.wantStatus(attacker.loginResp("ann@example.com", userPassword), http.StatusTooManyRequests)
	c.checkTokenResponse(c.from("203.0.113.5").loginResp("ann@example.com", userPassword), "ann@example.com")
	// An IPv6 attacker gains nothing by moving within its /64.
	v6 := c.from("2001:db8:1:2::1")
	for i := range 5 {
		v6.loginResp("ann@example.com", fmt.Sprintf("wrong-password-%d", i))
	}
	c.wantStatus(c.from("2001:db8:1:2:ffff::9").loginResp("ann@example.com", userPassword), http.StatusTooManyRequests)
}

func distributedGuessing(t *testing.T, c *client) {
	c.clock.freeze() // the throttling waits are counted in seconds
	c.register("ann@example.com")
	c.setStatus("/approve", c.adminToken(), "ann@example.com")
	owner := c.from("203.0.113.5")
	owner.login("ann@example.com", userPassword)
	for i := range 10 {
		r := c.from(fmt.Sprintf("198.51.100.%d", i+1)).loginResp("ann@example.com", "wrong-password-1")
		c.wantStatus(r, http.StatusUnauthorized)
	}
	// The owner's known client is not held back by the account-wide cap,
	// and their login does not lift the cap for anyone else.
	owner.checkTokenResponse(owner.loginResp("ann@example.com", userPassword), "ann@example.com")
	r := c.from("198.51.100.200").loginResp("ann@example.com", userPassword)
	c.wantStatus(r, http.StatusTooManyRequests)
	c.clock.advance(c.retryAfter(r))
	c.checkTokenResponse(c.from("198.51.100.200").loginResp("ann@example.com", userPassword), "ann@example.com")
}

// async runs f on another goroutine and returns a channel for its result.
func async[T any](f func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return ch
}

// await receives from ch, failing the test after a minute.
func await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s: still waiting after a minute", what)
		panic("unreachable")
	}
}

// sendResult is the outcome of client.send.
type sendResult struct {
	r   *response
	err error
}

func (c *client) asyncLogin(email, password string) <-chan sendResult {
	return async(func() sendResult {
		r, err := c.send(http.MethodPost, c.auth("/login"), "application/json", map[string]string{"email": email, "password": password}, "", true)
		return sendResult{r, err}
	})
}

func hashFlood(t *testing.T, c *client) {
	tok := c.approvedUser("ann@example.com")
	entered, release := c.hasher.holdCompares()
	defer release()
	first := c.asyncLogin("ann@example.com", userPassword)
	await(t, "the first login to start comparing", entered)
	// The only hashing slot is taken: more logins and registrations wait
	// for it, then get 503 with Retry-After.
	for _, r := range []*response{
		c.loginResp("ann@example.com", userPassword),
		c.loginResp("nobody@example.com", userPassword),
		c.postJSON("/register", map[string]string{"email": "bob@example.com", "password": userPassword}, ""),
	} {
		if c.wantStatus(r, http.StatusServiceUnavailable) {
			c.retryAfter(r)
		}
	}
	// Routes that do not hash answer as usual.
	c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
	c.wantStatus(c.get(c.auth("/me"), tok), http.StatusOK)
	release()
	res := await(t, "the first login", first)
	if res.err != nil {
		t.Fatalf("%s: first login: %v", c.name, res.err)
	}
	c.checkTokenResponse(res.r, "ann@example.com")
	c.register("bob@example.com")
}

func approveRejectRace(t *testing.T, c *client) {
	admin := c.adminToken()
	tok := c.approvedUser("ann@example.com")
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 50 {
		route, want := "/approve", "approved"
		if i%2 == 1 {
			route, want = "/reject", "rejected"
		}
		wg.Go(func() {
			<-start
			r, err := c.send(http.MethodPost, c.auth(route), "application/json", map[string]string{"email": "ann@example.com"}, "Bearer "+admin, true)
			if err != nil {
				t.Errorf("%s: POST %s: %v", c.name, route, err)
				return
			}
			if c.wantStatus(r, http.StatusOK) {
				if got := c.object(r)["status"]; got != want {
					c.errorf(r, "status %v after %s, want %q", got, route, want)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	// At least one reject found the user approved, so the old token is
	// dead whatever the final state.
	c.refused("token from before the race", tok)
	r := c.loginResp("ann@example.com", userPassword)
	switch r.status {
	case http.StatusOK:
		me := c.get(c.auth("/me"), c.token(r))
		if c.wantStatus(me, http.StatusOK) {
			c.checkUser(me, c.object(me), wantUser{email: "ann@example.com", status: "approved"}, "claims")
		}
	case http.StatusForbidden:
		c.setStatus("/approve", admin, "ann@example.com")
		c.wantStatus(c.get(c.auth("/me"), c.login("ann@example.com", userPassword)), http.StatusOK)
	default:
		c.errorf(r, "login after the race: status %d, want 200 (approved) or 403 (rejected)", r.status)
	}
	c.wantEmails("pending", c.pendingEmails(admin, ""))
	c.refused("token from before the race", tok)
}

func changeWhileLoggingIn(t *testing.T, c *client) {
	tok := c.approvedUser("ann@example.com")
	const newPassword = "a-new-password-1"
	c.secrets.add(newPassword)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tokens []string
	for range 20 {
		wg.Go(func() {
			<-start
			res := <-c.asyncLogin("ann@example.com", userPassword)
			if res.err != nil {
				t.Errorf("%s: login: %v", c.name, res.err)
				return
			}
			switch res.r.status {
			case http.StatusOK:
				mu.Lock()
				tokens = append(tokens, c.object(res.r)["access_token"].(string))
				mu.Unlock()
			case http.StatusUnauthorized, http.StatusTooManyRequests:
			default:
				c.errorf(res.r, "status %d, want 200, 401 or 429", res.r.status)
			}
		})
	}
	changed := async(func() sendResult {
		<-start
		body := map[string]string{"current_password": userPassword, "new_password": newPassword}
		r, err := c.send(http.MethodPost, c.auth("/change-password"), "application/json", body, "Bearer "+tok, true)
		return sendResult{r, err}
	})
	close(start)
	wg.Wait()
	res := await(t, "the password change", changed)
	if res.err != nil {
		t.Fatalf("%s: change-password: %v", c.name, res.err)
	}
	c.mustStatus(res.r, http.StatusNoContent)
	// Every token won with the old password predates the change: refused.
	for _, old := range tokens {
		c.refused("token won with the old password during the change", old)
	}
	c.clock.advance(time.Hour) // past any throttling wait
	c.checkTokenResponse(c.loginResp("ann@example.com", newPassword), "ann@example.com")
	c.wantStatus(c.loginResp("ann@example.com", userPassword), http.StatusUnauthorized)
}
