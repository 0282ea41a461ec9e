//go:build loadtest && !race && linux

package floodtest_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/examples/internal/walktest"
	"github.com/authadmin/authadmin/usecase"
)

// The load, as the issue states it.
const (
	// floodConcurrency is how many requests each flooding address keeps
	// in flight.
	floodConcurrency = 300
	// floodFor is how long the flood lasts; the honest client logs in
	// once a second meanwhile.
	floodFor = 20 * time.Second
	// idleLogins is how many logins measure the idle login time.
	idleLogins = 10
	// bcryptCost is the servers' cost: the production minimum, so that a
	// run takes seconds of setup, not minutes (the ratios do not depend
	// on it: every login pays one hash).
	bcryptCost = "10"
)

// The clients: each its own loopback address.
const (
	registerFlooder = "127.0.0.2"
	honest          = "127.0.0.3"
	loginFlooder    = "127.0.0.4"
)

const (
	adminEmail    = "admin@admin.com"
	adminPassword = "flood-test-admin-password"
	honestEmail   = "carol@example.com"
	flooderEmail  = "bee@example.com"
	userPassword  = "correct horse battery"
)

func TestFlood(t *testing.T) {
	// The load generator runs in this process on one P, so that it leaves
	// the server (GOMAXPROCS = cores) a share of the machine like a
	// flooder elsewhere would; the server runs with its defaults.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, ex := range []struct{ name, dir string }{
		{"nethttp", "../../nethttp"},
		{"echo", "../../echo"},
		{"fiber", "../../fiber"},
	} {
		t.Run(ex.name, func(t *testing.T) { flood(t, ex.name, ex.dir) })
	}
}

func flood(t *testing.T, name, dir string) {
	tmp := t.TempDir()
	bin := walktest.Build(t, name, dir, tmp)
	srv := walktest.Start(t, name, bin, tmp, map[string]string{
		"ADDR":                "127.0.0.1:0",
		"AUTH_DB_URL":         "sqlite://" + filepath.Join(tmp, "users.db"),
		"AUTH_BCRYPT_COST":    bcryptCost,
		"AUTH_SECRET_KEY":     rand.Text() + rand.Text(),
		"AUTH_ADMIN_PASSWORD": adminPassword,
	})
	base := srv.URL

	admin := newClient(t, "127.0.0.1", 4)
	adminTok := mustLogin(t, admin, base, adminEmail, adminPassword)
	carol := newClient(t, honest, 4)
	register(t, carol, base, honestEmail)
	register(t, admin, base, flooderEmail)
	approve(t, admin, base, adminTok, honestEmail)
	approve(t, admin, base, adminTok, flooderEmail)

	// Idle: the honest client logs in alone.
	var idle []time.Duration
	for range idleLogins {
		status, took := login(carol, base, honestEmail, userPassword)
		if status != http.StatusOK {
			t.Fatalf("%s: idle login: status %d", name, status)
		}
		idle = append(idle, took)
	}
	idleTime := percentile(idle, 50)

	// The flood.
	ctx, stop := context.WithTimeout(context.Background(), floodFor)
	defer stop()
	var wg sync.WaitGroup
	registrations := newCounts()
	regClient := newClient(t, registerFlooder, floodConcurrency)
	var seq atomic.Int64
	for range floodConcurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				email := fmt.Sprintf("flood-%d@example.com", seq.Add(1))
				registrations.add(post(regClient, base+"/auth/register", "application/json",
					fmt.Sprintf(`{"email": %q, "password": %q}`, email, userPassword)))
			}
		})
	}
	logins := newCounts()
	loginClient := newClient(t, loginFlooder, floodConcurrency)
	for range floodConcurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				logins.add(post(loginClient, base+"/auth/login", "application/x-www-form-urlencoded",
					url.Values{"username": {flooderEmail}, "password": {userPassword}}.Encode()))
			}
		})
	}
	started := time.Now()
	var honestTimes []time.Duration
	honestOK := 0
	tick := time.NewTicker(time.Second)
	for ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		status, took := login(carol, base, honestEmail, userPassword)
		honestTimes = append(honestTimes, took)
		if status == http.StatusOK {
			honestOK++
		} else {
			t.Logf("%s: honest login %d during the flood: status %d after %v", name, len(honestTimes), status, took)
		}
	}
	tick.Stop()
	wg.Wait()
	floodTook := time.Since(started)
	regClient.CloseIdleConnections()
	loginClient.CloseIdleConnections()

	// The accounts the flood left.
	pending := pendingFlood(t, admin, base, adminTok)
	policy := usecase.DefaultRegistrationPolicy.PerClient
	bound := policy.Burst + int(floodTook/policy.Every) + 1

	p99 := percentile(honestTimes, 99)
	share := float64(honestOK) / float64(len(honestTimes))
	t.Logf("%s: idle login (median of %d) %v; during the flood: %d/%d logins 200 (%.0f%%), median %v, p99 %v = %.2f× idle, max %v",
		name, len(idle), idleTime.Round(time.Millisecond), honestOK, len(honestTimes), 100*share,
		percentile(honestTimes, 50).Round(time.Millisecond), p99.Round(time.Millisecond),
		float64(p99)/float64(idleTime), percentile(honestTimes, 100).Round(time.Millisecond))
	t.Logf("%s: register flood from %s: %s; login flood from %s: %s", name, registerFlooder, registrations, loginFlooder, logins)
	t.Logf("%s: pending accounts the register flood made in %v: %d (documented bound %d + %v/%v = %d)",
		name, floodTook.Round(time.Second), pending, policy.Burst, floodTook.Round(time.Second), policy.Every, bound)

	if len(honestTimes) < int(floodFor/time.Second)-2 {
		t.Errorf("%s: only %d honest logins in %v", name, len(honestTimes), floodFor)
	}
	if share < 0.95 {
		t.Errorf("%s: %d of %d honest logins got 200 during the flood, want at least 95%%", name, honestOK, len(honestTimes))
	}
	if p99 >= 5*idleTime {
		t.Errorf("%s: p99 of the honest logins %v, want under 5× the idle login time %v", name, p99, idleTime)
	}
	if pending > bound {
		t.Errorf("%s: the flood made %d pending accounts, over the bound %d", name, pending, bound)
	}
	if registrations.total() < 1000 || logins.total() < 1000 {
		t.Errorf("%s: the flood sent only %d registrations and %d logins: no flood", name, registrations.total(), logins.total())
	}
	srv.Stop(t)
}

// newClient returns an HTTP client whose connections come from the local
// address ip, with up to conns connections.
func newClient(t *testing.T, ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// post sends a POST and returns its status (0: no response).
func post(c *http.Client, u, contentType, body string) int {
	resp, err := c.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// login logs in with the OAuth2 form and returns the status and how long
// the request took.
func login(c *http.Client, base, email, password string) (int, time.Duration) {
	start := time.Now()
	status := post(c, base+"/auth/login", "application/x-www-form-urlencoded",
		url.Values{"username": {email}, "password": {password}}.Encode())
	return status, time.Since(start)
}

func mustLogin(t *testing.T, c *http.Client, base, email, password string) string {
	t.Helper()
	resp, err := c.Post(base+"/auth/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"username": {email}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: status %d, %v", email, resp.StatusCode, err)
	}
	return tok.AccessToken
}

func register(t *testing.T, c *http.Client, base, email string) {
	t.Helper()
	if status := post(c, base+"/auth/register", "application/json",
		fmt.Sprintf(`{"email": %q, "password": %q}`, email, userPassword)); status != http.StatusCreated {
		t.Fatalf("register %s: status %d", email, status)
	}
}

func approve(t *testing.T, c *http.Client, base, token, email string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/auth/approve", strings.NewReader(fmt.Sprintf(`{"email": %q}`, email)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve %s: status %d", email, resp.StatusCode)
	}
}

// pendingFlood counts the pending accounts the register flood made.
func pendingFlood(t *testing.T, c *http.Client, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/auth/pending?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var users []struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&users); err != nil {
		t.Fatalf("pending: status %d: %v", resp.StatusCode, err)
	}
	n := 0
	for _, u := range users {
		if strings.HasPrefix(u.Email, "flood-") {
			n++
		}
	}
	return n
}

// percentile returns the p-th percentile of d (nearest rank).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// counts tallies response statuses.
type counts struct {
	mu sync.Mutex
	by map[int]int
}

func newCounts() *counts { return &counts{by: make(map[int]int)} }

func (c *counts) add(status int) {
	c.mu.Lock()
	c.by[status]++
	c.mu.Unlock()
}

func (c *counts) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.by {
		n += v
	}
	return n
}

func (c *counts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keys []int
	for k := range c.by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		label := fmt.Sprint(k)
		if k == 0 {
			label = "no response"
		}
		parts = append(parts, fmt.Sprintf("%d× %s", c.by[k], label))
	}
	return strings.Join(parts, ", ")
}
