package contracttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// availability attacks what keeps the service up for everybody: floods of
// registrations and logins from one client, a store call that never ends,
// a fresh deployment reachable from outside, and requests the frameworks
// would read differently.
func (s suite) availability(t *testing.T) {
	t.Run("registration is throttled per client with 429 and Retry-After", func(t *testing.T) {
		t.Parallel()
		registrationThrottle(t, s.server(t, options{trustLoopback: true}))
	})
	t.Run("one client's hashing queue is bounded while another client is served", func(t *testing.T) {
		t.Parallel()
		fairQueue(t, s.server(t, options{trustLoopback: true, hashSlots: 1, hashWait: 5 * time.Second}))
	})
	t.Run("a stuck store call answers 503 while other requests are served", func(t *testing.T) {
		t.Parallel()
		stuckStoreCall(t, s.server(t, options{stuckStore: true, hashSlots: 1, storeTimeout: 500 * time.Millisecond}))
	})
	t.Run("a request out of time answers 503", func(t *testing.T) {
		t.Parallel()
		requestOutOfTime(t, s.server(t, options{stuckStore: true, storeTimeout: time.Minute, requestTimeout: 500 * time.Millisecond}))
	})
	t.Run("a route's context ends when the client goes away", func(t *testing.T) {
		t.Parallel()
		clientGone(t, s.server(t, options{stuckStore: true, storeTimeout: time.Minute, requestTimeout: time.Minute}))
	})
	t.Run("the default admin password works only from the server's own machine", func(t *testing.T) {
		t.Parallel()
		defaultAdminRemote(t, s.server(t, options{defaultAdmin: true, trustLoopback: true}), s.server(t, options{defaultAdmin: true}))
	})
	t.Run("the default admin password from anywhere, when allowed", func(t *testing.T) {
		t.Parallel()
		c := s.server(t, options{defaultAdmin: true, trustLoopback: true, allowRemoteDefaultAdmin: true})
		c.checkTokenResponse(c.from("198.51.100.7").loginResp("admin@admin.com", "changeme"), "admin@admin.com")
	})
	t.Run("refusals with Retry-After are held before they are sent", func(t *testing.T) {
		t.Parallel()
		refusalHold(t, s.server(t, options{trustLoopback: true, refusalHold: 400 * time.Millisecond}))
	})
	t.Run("two Content-Type headers are refused with 400", func(t *testing.T) {
		t.Parallel()
		duplicateContentType(t, s.server(t, options{}))
	})
}

// registrationThrottle: one client registers its burst, then waits; other
// clients are not held back, and an IPv6 client is counted per /64.
func registrationThrottle(t *testing.T, c *client) {
	c.clock.freeze() // the refill is counted in seconds
	const burst = 10 // usecase.DefaultRegistrationPolicy.PerClient.Burst
	a := c.from("203.0.113.9")
	for i := range burst {
		a.register(fmt.Sprintf("a%d@example.com", i))
	}
	r := a.postJSON("/register", map[string]string{"email": "a-more@example.com", "password": userPassword}, "")
	wait := time.Second
	if c.wantStatus(r, http.StatusTooManyRequests) {
		wait = c.retryAfter(r)
		if !strings.Contains(detail(r), "registrations") {
			c.errorf(r, "detail %q does not say registrations are throttled", detail(r))
		}
	}
	// A taken address counts too: registration cannot test addresses at
	// speed.
	c.wantStatus(a.postJSON("/register", map[string]string{"email": "a0@example.com", "password": userPassword}, ""), http.StatusTooManyRequests)
	// Invalid input costs nothing and is not counted: still a 422.
	c.wantStatus(a.postJSON("/register", map[string]string{"email": "not-an-address", "password": userPassword}, ""), http.StatusUnprocessableEntity)
	// Another client is not held back.
	c.from("198.51.100.20").register("b@example.com")
	// The flood left exactly its burst of pending accounts.
	pending := c.pendingEmails(c.adminToken(), "")
	n := 0
	for _, e := range pending {
		if strings.HasPrefix(e, "a") {
			n++
		}
	}
	if n != burst {
		t.Errorf("%s: %d pending accounts from the throttled client, want %d", c.name, n, burst)
	}
	// Not a lockout: the bucket refills.
	c.clock.advance(wait)
	a.register("a-later@example.com")
	c.wantStatus(a.postJSON("/register", map[string]string{"email": "a-later2@example.com", "password": userPassword}, ""), http.StatusTooManyRequests)
	// IPv6 clients are counted per /64.
	for i := range burst {
		c.from(fmt.Sprintf("2001:db8:5:6::%x", i+1)).register(fmt.Sprintf("v6-%d@example.com", i))
	}
	c.wantStatus(c.from("2001:db8:5:6:ffff::1").postJSON("/register", map[string]string{"email": "v6-more@example.com", "password": userPassword}, ""), http.StatusTooManyRequests)
}

// fairQueue: with one hashing slot held, a client that sends 20 logins at
// once gets at most its share of the queue (the rest 503 at once, with
// Retry-After), and another client's login is still queued and served.
func fairQueue(t *testing.T, c *client) {
	c.approvedUser("ann@example.com")
	c.approvedUser("bob@example.com")
	entered, release := c.hasher.holdCompares()
	defer release()
	flooder := c.from("203.0.113.7")
	first := flooder.asyncLogin("ann@example.com", userPassword)
	await(t, "the first login to take the hashing slot", entered)

	const flood = 20
	results := make(chan sendResult, flood)
	var wg sync.WaitGroup
	for i := range flood {
		wg.Go(func() {
			results <- <-flooder.asyncLogin(fmt.Sprintf("guess%d@example.com", i), userPassword)
		})
	}
	// The flood's share of the gate is 4 calls (4 per slot), the one
	// holding the slot included: every other login of the flood is
	// refused at once, while the slot is still held.
	refused := 0
	for refused < flood-3 {
		res := await(t, "the flood's refusals", results)
		if res.err != nil {
			t.Fatalf("%s: flood login: %v", c.name, res.err)
		}
		if !c.wantStatus(res.r, http.StatusServiceUnavailable) {
			break
		}
		c.retryAfter(res.r)
		refused++
	}
	// Another client still gets a place in the queue.
	other := c.from("198.51.100.8").asyncLogin("bob@example.com", userPassword)
	release()
	res := await(t, "the other client's login", other)
	if res.err != nil {
		t.Fatalf("%s: other client's login: %v", c.name, res.err)
	}
	c.checkTokenResponse(res.r, "bob@example.com")
	wg.Wait()
	close(results)
	for res := range results {
		if res.err == nil {
			c.wantStatus(res.r, http.StatusUnauthorized) // queued, then checked
		}
	}
	if res := await(t, "the first login", first); res.err == nil {
		c.checkTokenResponse(res.r, "ann@example.com")
	}
}

// stuckStoreCall: a login whose store call hangs holds no hashing slot:
// while it hangs, the only slot serves other logins and registrations, and
// the hung login answers 503 with Retry-After once the store's deadline
// passes.
func stuckStoreCall(t *testing.T, c *client) {
	tok := c.approvedUser("ann@example.com")
	start := time.Now()
	hung := c.asyncLogin(stuckEmail, userPassword)
	await(t, "the stuck store call to start", c.stuck)
	c.checkTokenResponse(c.loginResp("ann@example.com", userPassword), "ann@example.com")
	c.register("bob@example.com")
	c.wantStatus(c.get(c.auth("/me"), tok), http.StatusOK)
	c.wantStatus(c.get("/probe/login", tok), http.StatusOK)
	res := await(t, "the stuck login", hung)
	if res.err != nil {
		t.Fatalf("%s: stuck login: %v", c.name, res.err)
	}
	if c.wantStatus(res.r, http.StatusServiceUnavailable) {
		c.retryAfter(res.r)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("%s: the stuck login answered after %v, want about usecase.Config.StoreTimeout (500ms), then 503 for domain.ErrStoreUnavailable", c.name, took)
	}
	// A registration whose store call hangs too.
	r := c.postJSON("/register", map[string]string{"email": stuckEmail, "password": userPassword}, "")
	if c.wantStatus(r, http.StatusServiceUnavailable) {
		c.retryAfter(r)
	}
}

// requestOutOfTime: a route whose store call outlives the request's own
// deadline answers 503, not 500.
func requestOutOfTime(t *testing.T, c *client) {
	r := c.loginResp(stuckEmail, userPassword)
	if c.wantStatus(r, http.StatusServiceUnavailable) {
		c.retryAfter(r)
	}
	if strings.Contains(c.logs.String(), "level=ERROR") {
		t.Errorf("%s: a request out of time (httpapi.Config.RequestTimeout, context.DeadlineExceeded) was logged at level ERROR, want WARN:\n%s", c.name, c.logs.String())
	}
}

// clientGone: the context an auth route, and RequireLogin, hands on ends
// soon after the client closes its connection, long before any deadline:
// a store call hanging on it ends too.
func clientGone(t *testing.T, c *client) {
	c.approvedUser("ann@example.com")
	tok := c.login("ann@example.com", userPassword) // never used: not in the user cache
	body := `{"email": "` + stuckEmail + `", "password": "` + userPassword + `"}`
	for _, tc := range []struct {
		what    string
		request string
		arm     func()
	}{
		{"POST /login", fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			c.auth("/login"), len(body), body), func() {}},
		{"RequireLogin", "GET /probe/login HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\n\r\n",
			func() { c.stuckAll.Store(true) }},
	} {
		tc.arm()
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, tc.request); err != nil {
			t.Fatal(err)
		}
		await(t, tc.what+": the store call to hang", c.stuck)
		_ = conn.Close()
		select {
		case err := <-c.unstuck:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %s: the store call ended with %v, want context.Canceled (the client went away)", c.name, tc.what, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: %s: the route's context did not end within 5 s of the client closing its connection", c.name, tc.what)
		}
	}
	c.stuckAll.Store(false)
}

// defaultAdminRemote: until it is changed, the built-in default admin
// password logs in only from the server's own machine. behindProxy trusts
// the loopback proxy's X-Forwarded-For; direct trusts no proxy, so a
// loopback peer that relays another client counts as remote.
func defaultAdminRemote(t *testing.T, behindProxy, direct *client) {
	const admin, password = "admin@admin.com", "changeme"
	remote := behindProxy.from("198.51.100.7")
	r := remote.loginResp(admin, password)
	if behindProxy.wantStatus(r, http.StatusForbidden) && !strings.Contains(detail(r), "own machine") {
		behindProxy.errorf(r, "detail %q does not say the password works only from the server's own machine", detail(r))
	}
	// A wrong password from there is the usual 401.
	behindProxy.want401(remote.loginResp(admin, "wrong-password-1"), false)
	// A client the proxy names as loopback is on the server's machine.
	behindProxy.checkTokenResponse(behindProxy.from("127.0.0.1").loginResp(admin, password), admin)
	// Without a trusted proxy, a loopback peer relaying someone else is
	// remote; one relaying nobody is local.
	direct.wantStatus(direct.from("127.0.0.1").loginResp(admin, password), http.StatusForbidden)
	tok := direct.login(admin, password)
	// Once changed locally, the new password works from anywhere.
	const next = "a-long-admin-password"
	direct.secrets.add(next)
	r = direct.postJSON("/change-password", map[string]string{"current_password": password, "new_password": next}, tok)
	direct.mustStatus(r, http.StatusNoContent)
	direct.checkTokenResponse(direct.from("198.51.100.7").loginResp(admin, next), admin)
}

// duplicateContentType: net/http and Echo read the first of two
// Content-Type headers and Fiber the last; the contract refuses both.
func duplicateContentType(t *testing.T, c *client) {
	body := []byte(`{"email": "ann@example.com", "password": "correct horse"}`)
	for _, route := range []string{"/login", "/register"} {
		for _, pair := range [][2]string{
			{"application/json", "application/x-www-form-urlencoded"},
			{"application/x-www-form-urlencoded", "application/json"},
			{"application/json", "application/json"},
		} {
			status, err := c.rawHeaders(http.MethodPost, c.auth(route), []string{"Content-Type: " + pair[0], "Content-Type: " + pair[1]}, body)
			if err != nil {
				t.Fatalf("%s: POST %s: %v", c.name, route, err)
			}
			if status != http.StatusBadRequest {
				t.Errorf("%s: POST %s with Content-Type %q then %q: status %d, want 400", c.name, c.auth(route), pair[0], pair[1], status)
			}
		}
	}
	wantNotCreated(c, "ann@example.com")
}

// refusalHold: a 429 (or 503) that asks the client to come back later is
// sent only after the hold, so a client that floods without waiting sends
// one request per hold per connection; other answers are not held.
func refusalHold(t *testing.T, c *client) {
	const hold = 400 * time.Millisecond
	c.clock.freeze()
	a := c.from("203.0.113.9")
	for i := range 10 {
		a.register(fmt.Sprintf("a%d@example.com", i))
	}
	start := time.Now()
	r := a.postJSON("/register", map[string]string{"email": "a-more@example.com", "password": userPassword}, "")
	took := time.Since(start)
	if c.wantStatus(r, http.StatusTooManyRequests) && took < hold {
		c.errorf(r, "answered after %v, before the hold of %v", took, hold)
	}
	start = time.Now()
	c.wantStatus(a.postJSON("/register", map[string]string{"email": "bad", "password": userPassword}, ""), http.StatusUnprocessableEntity)
	if took := time.Since(start); took >= hold {
		t.Errorf("%s: a 422 took %v: only refusals with Retry-After are held", c.name, took)
	}
}
