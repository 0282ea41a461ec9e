package usecase_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// t0 is the instant the limiter tests start at.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// never is a Backoff that does not trip within any test.
var never = usecase.Backoff{Free: 1 << 30, Base: time.Hour, Max: time.Hour}

// only returns a policy in which every counter but the one set by edit
// never trips.
func only(edit func(*usecase.ThrottlePolicy)) usecase.ThrottlePolicy {
	p := usecase.ThrottlePolicy{Pair: never, Account: never, Client: never}
	edit(&p)
	return p
}

// counterCase aims guesses at one of the limiter's counters and at no other.
type counterCase struct {
	name string
	// policy returns a policy where b applies to this counter only.
	policy func(b usecase.Backoff) usecase.ThrottlePolicy
	// guess returns the i-th guess.
	guess func(i int) ports.LoginAttempt
}

var counterCases = []counterCase{
	{
		name: "pair: one client at one account",
		policy: func(b usecase.Backoff) usecase.ThrottlePolicy {
			return only(func(p *usecase.ThrottlePolicy) { p.Pair = b })
		},
		guess: func(int) ports.LoginAttempt {
			return ports.LoginAttempt{Account: "ann@example.com", Client: "1.2.3.4"}
		},
	},
	{
		name: "account: many clients at one account",
		policy: func(b usecase.Backoff) usecase.ThrottlePolicy {
			return only(func(p *usecase.ThrottlePolicy) { p.Account = b })
		},
		guess: func(i int) ports.LoginAttempt {
			return ports.LoginAttempt{Account: "ann@example.com", Client: fmt.Sprintf("10.0.%d.%d", i/256, i%256)}
		},
	},
	{
		name: "account: unknown client",
		policy: func(b usecase.Backoff) usecase.ThrottlePolicy {
			return only(func(p *usecase.ThrottlePolicy) { p.Account = b })
		},
		guess: func(int) ports.LoginAttempt {
			return ports.LoginAttempt{Account: "ann@example.com"}
		},
	},
	{
		name: "client: one client at many accounts",
		policy: func(b usecase.Backoff) usecase.ThrottlePolicy {
			return only(func(p *usecase.ThrottlePolicy) { p.Client = b })
		},
		guess: func(i int) ports.LoginAttempt {
			return ports.LoginAttempt{Account: fmt.Sprintf("user%d@example.com", i), Client: "6.6.6.6"}
		},
	},
}

// attempt calls l.Attempt and fails the test on error.
func attempt(t *testing.T, l *usecase.MemoryLimiter, a ports.LoginAttempt, now time.Time) time.Duration {
	t.Helper()
	wait, err := l.Attempt(t.Context(), a, now)
	if err != nil {
		t.Fatalf("Attempt(%+v): %v", a, err)
	}
	return wait
}

// succeeded calls l.Succeeded and fails the test on error.
func succeeded(t *testing.T, l *usecase.MemoryLimiter, a ports.LoginAttempt, now time.Time) {
	t.Helper()
	if err := l.Succeeded(t.Context(), a, now); err != nil {
		t.Fatalf("Succeeded(%+v): %v", a, err)
	}
}

// admitAll makes guesses guess(from), guess(from+1), ... at now until one is
// refused, and returns how many were admitted and the refused one's wait.
// It gives up after limit guesses.
func admitAll(t *testing.T, l *usecase.MemoryLimiter, guess func(int) ports.LoginAttempt, from int, now time.Time, limit int) (admitted int, wait time.Duration) {
	t.Helper()
	for i := from; i < from+limit; i++ {
		if wait = attempt(t, l, guess(i), now); wait != 0 {
			return i - from, wait
		}
	}
	t.Fatalf("%d guesses in a row admitted", limit)
	return 0, 0
}

// Each counter admits exactly Free guesses at one instant; then the wait is
// Base, doubled by every further failure, up to Max. A refused guess counts
// nothing, and once the wait has passed exactly one more guess is admitted.
func TestMemoryLimiterBackoff(t *testing.T) {
	b := usecase.Backoff{Free: 4, Base: time.Second, Max: 20 * time.Second}
	wantWaits := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second, 20 * time.Second}
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			l := usecase.NewMemoryLimiter(tc.policy(b))
			now := t0
			i := 0
			admitted, wait := admitAll(t, l, tc.guess, i, now, 100)
			if admitted != b.Free || wait != b.Base {
				t.Fatalf("at one instant: %d guesses admitted, then a wait of %v; want %d, then %v", admitted, wait, b.Free, b.Base)
			}
			i += admitted + 1
			for n, want := range wantWaits {
				if got := attempt(t, l, tc.guess(i), now); got != want {
					t.Fatalf("failure %d: wait %v, want %v", b.Free+n, got, want)
				}
				i++
				// Refused guesses count nothing: the wait only runs down.
				if got := attempt(t, l, tc.guess(i), now.Add(want/2)); got != want-want/2 {
					t.Fatalf("failure %d, half-way through the wait: wait %v, want %v", b.Free+n, got, want-want/2)
				}
				i++
				if got := attempt(t, l, tc.guess(i), now.Add(want-time.Nanosecond)); got != time.Nanosecond {
					t.Fatalf("failure %d, 1ns before the end of the wait: wait %v, want 1ns", b.Free+n, got)
				}
				i++
				now = now.Add(want)
				if got := attempt(t, l, tc.guess(i), now); got != 0 {
					t.Fatalf("failure %d: still refused (wait %v) once the wait of %v passed", b.Free+n, got, want)
				}
				i++
			}
		})
	}
}

// A zero ThrottlePolicy means DefaultThrottlePolicy.
func TestMemoryLimiterDefaultPolicy(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{})
	pair := counterCases[0].guess
	admitted, wait := admitAll(t, l, pair, 0, t0, 100)
	if admitted != d.Pair.Free || wait != d.Pair.Base {
		t.Fatalf("zero policy, one client at one account: %d admitted, then wait %v; want the default %d, then %v", admitted, wait, d.Pair.Free, d.Pair.Base)
	}
	if w := attempt(t, l, pair(0), t0.Add(d.ForgetAfter-time.Nanosecond)); w != 0 {
		// The wait passed long ago; the guess is admitted and counted.
		t.Fatalf("refused (%v) long after the wait", w)
	}
	later := t0.Add(d.ForgetAfter - time.Nanosecond).Add(d.ForgetAfter)
	if admitted, _ := admitAll(t, l, pair, 0, later, 100); admitted != d.Pair.Free {
		t.Fatalf("after the default ForgetAfter: %d admitted, want %d", admitted, d.Pair.Free)
	}

	// The default Pair backoff doubles up to its cap.
	l = usecase.NewMemoryLimiter(only(func(p *usecase.ThrottlePolicy) { p.Pair = d.Pair }))
	admitAll(t, l, pair, 0, t0, 100)
	now := t0
	for want := d.Pair.Base; ; want = min(2*want, d.Pair.Max) {
		if got := attempt(t, l, pair(0), now); got != want {
			t.Fatalf("wait %v, want %v", got, want)
		}
		now = now.Add(want)
		if got := attempt(t, l, pair(0), now); got != 0 {
			t.Fatalf("refused (%v) after waiting %v", got, want)
		}
		if want == d.Pair.Max {
			if got := attempt(t, l, pair(0), now); got != d.Pair.Max {
				t.Fatalf("wait %v past the cap, want %v", got, d.Pair.Max)
			}
			break
		}
	}
}

// A right password forgets the Pair counter of the guess; the Account and
// Client counters only forget the failure counted in advance for it, so
// the owner's logins do not reopen the account to guesses from elsewhere.
func TestMemoryLimiterSucceeded(t *testing.T) {
	b := usecase.Backoff{Free: 5, Base: time.Minute, Max: time.Hour}
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			l := usecase.NewMemoryLimiter(tc.policy(b))
			for i := range b.Free - 1 {
				if w := attempt(t, l, tc.guess(i), t0); w != 0 {
					t.Fatalf("guess %d refused (%v)", i, w)
				}
			}
			right := tc.guess(b.Free - 1)
			if w := attempt(t, l, right, t0); w != 0 {
				t.Fatalf("last free guess refused (%v)", w)
			}
			succeeded(t, l, right, t0)

			admitted, wait := admitAll(t, l, tc.guess, b.Free, t0, 100)
			want := 1 // back to Free-1 failures
			if strings.HasPrefix(tc.name, "pair") {
				want = b.Free // the counter was cleared
			}
			if admitted != want || wait != b.Base {
				t.Fatalf("after a right password: %d admitted, then wait %v; want %d, then %v", admitted, wait, want, b.Base)
			}
		})
	}
}

// Right passwords from one client (an office behind one NAT) do not add up
// against it; its failures still do.
func TestMemoryLimiterClientCountsOnlyFailures(t *testing.T) {
	b := usecase.Backoff{Free: 3, Base: time.Second, Max: time.Minute}
	l := usecase.NewMemoryLimiter(only(func(p *usecase.ThrottlePolicy) { p.Client = b }))
	guess := counterCases[3].guess
	if w := attempt(t, l, guess(0), t0); w != 0 {
		t.Fatalf("first failure refused (%v)", w)
	}
	for i := 1; i <= 100; i++ {
		if w := attempt(t, l, guess(i), t0); w != 0 {
			t.Fatalf("login %d of many right ones refused (wait %v)", i, w)
		}
		succeeded(t, l, guess(i), t0)
	}
	// One failure so far: Free-1 more are admitted.
	admitted, wait := admitAll(t, l, guess, 1000, t0, 100)
	if admitted != b.Free-1 || wait != b.Base {
		t.Fatalf("after 1 failure and 100 right passwords: %d admitted, then wait %v; want %d, then %v", admitted, wait, b.Free-1, b.Base)
	}
}

// Many clients failing at one account trip the Account counter: a fresh
// client is refused, but not at another account, and the client itself may
// still guess elsewhere.
func TestMemoryLimiterAccountCounterAcrossClients(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{})
	spread := counterCases[1].guess
	admitted, wait := admitAll(t, l, spread, 0, t0, 100)
	if admitted != d.Account.Free || wait != d.Account.Base {
		t.Fatalf("%d distinct clients admitted at one account, then wait %v; want %d, then %v", admitted, wait, d.Account.Free, d.Account.Base)
	}
	for _, a := range []ports.LoginAttempt{
		{Account: "ann@example.com", Client: "192.0.2.99"},
		{Account: "ann@example.com"},
	} {
		if w := attempt(t, l, a, t0); w != d.Account.Base {
			t.Errorf("fresh guess %+v: wait %v, want %v", a, w, d.Account.Base)
		}
	}
	if w := attempt(t, l, ports.LoginAttempt{Account: "bob@example.com", Client: "192.0.2.99"}, t0); w != 0 {
		t.Errorf("another account refused (wait %v)", w)
	}
}

// One client spraying guesses across accounts trips the Client counter: it
// is refused at a fresh account, while other clients are not.
func TestMemoryLimiterClientCounterAcrossAccounts(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{})
	spray := counterCases[3].guess
	admitted, wait := admitAll(t, l, spray, 0, t0, 100)
	if admitted != d.Client.Free || wait != d.Client.Base {
		t.Fatalf("%d accounts admitted from one client, then wait %v; want %d, then %v", admitted, wait, d.Client.Free, d.Client.Base)
	}
	if w := attempt(t, l, ports.LoginAttempt{Account: "fresh@example.com", Client: "6.6.6.6"}, t0); w != d.Client.Base {
		t.Errorf("sprayer at a fresh account: wait %v, want %v", w, d.Client.Base)
	}
	if w := attempt(t, l, ports.LoginAttempt{Account: "user0@example.com", Client: "7.7.7.7"}, t0); w != 0 {
		t.Errorf("another client refused (wait %v)", w)
	}
}

// Without a client only the Account counter applies: not Pair's smaller
// allowance, and no Client counter shared by every client-less guess.
func TestMemoryLimiterNoClientUsesAccountOnly(t *testing.T) {
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{
		Pair:    usecase.Backoff{Free: 2, Base: time.Second, Max: time.Minute},
		Account: usecase.Backoff{Free: 6, Base: time.Minute, Max: time.Hour},
		Client:  usecase.Backoff{Free: 2, Base: time.Second, Max: time.Minute},
	})
	noClient := counterCases[2].guess
	admitted, wait := admitAll(t, l, noClient, 0, t0, 100)
	if admitted != 6 || wait != time.Minute {
		t.Fatalf("client-less guesses at one account: %d admitted, then wait %v; want 6 (Account.Free), then 1m", admitted, wait)
	}
	for i := range 10 {
		a := ports.LoginAttempt{Account: fmt.Sprintf("user%d@example.com", i)}
		if w := attempt(t, l, a, t0); w != 0 {
			t.Fatalf("client-less guess at account %d refused (wait %v): the client-less guesses share a counter", i, w)
		}
	}
	// The client-less failures did not touch a real client's counters.
	admitted, _ = admitAll(t, l, func(i int) ports.LoginAttempt {
		return ports.LoginAttempt{Account: fmt.Sprintf("user%d@example.com", i), Client: "1.2.3.4"}
	}, 0, t0, 100)
	if admitted != 2 {
		t.Fatalf("client 1.2.3.4 across the same accounts: %d admitted, want 2 (its own Client.Free)", admitted)
	}
}

// A client from which the owner logged in is held by the Pair counter only,
// until KnownClientTTL passes.
func TestMemoryLimiterKnownClient(t *testing.T) {
	policy := usecase.ThrottlePolicy{
		Pair:           usecase.Backoff{Free: 3, Base: time.Second, Max: time.Second},
		Account:        usecase.Backoff{Free: 5, Base: 2 * time.Hour, Max: 2 * time.Hour},
		Client:         never,
		KnownClientTTL: time.Hour,
	}
	l := usecase.NewMemoryLimiter(policy)
	owner := ports.LoginAttempt{Account: "ann@example.com", Client: "198.51.100.1"}
	fresh := ports.LoginAttempt{Account: "ann@example.com", Client: "192.0.2.1"}
	if w := attempt(t, l, owner, t0); w != 0 {
		t.Fatalf("owner's first login refused (%v)", w)
	}
	succeeded(t, l, owner, t0)

	// A distributed attack trips the Account counter.
	admitted, wait := admitAll(t, l, counterCases[1].guess, 0, t0, 100)
	if admitted != 5 || wait != 2*time.Hour {
		t.Fatalf("attack: %d admitted, then wait %v; want 5, then 2h", admitted, wait)
	}
	if w := attempt(t, l, fresh, t0); w != 2*time.Hour {
		t.Fatalf("fresh client: wait %v, want 2h", w)
	}

	// The owner is not locked out, but still obeys Pair.
	admitted, wait = admitAll(t, l, func(int) ports.LoginAttempt { return owner }, 0, t0, 100)
	if admitted != 3 || wait != time.Second {
		t.Fatalf("known client: %d admitted, then wait %v; want 3 (Pair.Free), then 1s (Pair.Base)", admitted, wait)
	}
	end := t0.Add(policy.KnownClientTTL)
	if w := attempt(t, l, owner, end.Add(-time.Nanosecond)); w != 0 {
		t.Fatalf("known client just before KnownClientTTL: refused (%v)", w)
	}
	// Once no longer known, the owner waits as long as anyone.
	ownerWait, freshWait := attempt(t, l, owner, end), attempt(t, l, fresh, end)
	if ownerWait != freshWait || ownerWait != 2*time.Hour-time.Nanosecond {
		t.Fatalf("after KnownClientTTL: owner waits %v, a fresh client %v; want both 2h-1ns", ownerWait, freshWait)
	}
}

// A counter is forgotten ForgetAfter after its last failure: all its free
// guesses come back (a remembered counter whose wait passed would let one
// through). ForgetAfter is never shorter than the longest Max, so a wait is
// never cut short by forgetting.
func TestMemoryLimiterForgetsAfter(t *testing.T) {
	b := usecase.Backoff{Free: 3, Base: time.Hour, Max: time.Hour}
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, forget := range []time.Duration{time.Hour, 10 * time.Minute} { // 10 min is raised to Max
				p := tc.policy(b)
				p.ForgetAfter = forget
				l := usecase.NewMemoryLimiter(p)
				admitted, _ := admitAll(t, l, tc.guess, 0, t0, 100)
				if admitted != b.Free {
					t.Fatalf("%d admitted, want %d", admitted, b.Free)
				}
				if w := attempt(t, l, tc.guess(100), t0.Add(10*time.Minute)); w != 50*time.Minute {
					t.Fatalf("ForgetAfter %v, 10 min in: wait %v, want 50m0s", forget, w)
				}
				if w := attempt(t, l, tc.guess(100), t0.Add(time.Hour-time.Nanosecond)); w != time.Nanosecond {
					t.Fatalf("ForgetAfter %v, 1ns before an hour: wait %v, want 1ns", forget, w)
				}
				admitted, wait := admitAll(t, l, tc.guess, 200, t0.Add(time.Hour), 100)
				if admitted != b.Free || wait != b.Base {
					t.Fatalf("ForgetAfter %v, after an hour: %d admitted, then wait %v; want %d, then %v", forget, admitted, wait, b.Free, b.Base)
				}
			}
		})
	}
}

// Concurrent guesses cannot slip past together: Attempt counts each one as
// it admits it.
func TestMemoryLimiterConcurrentAttempts(t *testing.T) {
	const goroutines = 100
	b := usecase.Backoff{Free: 5, Base: time.Second, Max: time.Minute}
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			l := usecase.NewMemoryLimiter(tc.policy(b))
			var admitted atomic.Int64
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range goroutines {
				done.Go(func() {
					start.Wait()
					wait, err := l.Attempt(context.Background(), tc.guess(i), t0)
					if err != nil {
						t.Error(err)
					}
					if wait == 0 {
						admitted.Add(1)
					}
				})
			}
			start.Done()
			done.Wait()
			if n := admitted.Load(); n != int64(b.Free) {
				t.Fatalf("%d of %d concurrent guesses admitted, want exactly %d", n, goroutines, b.Free)
			}
		})
	}
}

// Concurrent logins read the clock before they take the limiter's lock, so
// their times can arrive out of order: a guess stamped a microsecond before
// one already counted must not be made to wait while failures are free
// (found by the load harness: a right password got 429).
func TestMemoryLimiterTimesOutOfOrder(t *testing.T) {
	b := usecase.Backoff{Free: 5, Base: time.Second, Max: time.Minute}
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			l := usecase.NewMemoryLimiter(tc.policy(b))
			for i := range b.Free {
				at := t0.Add(time.Duration(b.Free-i) * time.Microsecond) // each earlier than the last
				if wait, err := l.Attempt(context.Background(), tc.guess(i), at); err != nil || wait != 0 {
					t.Fatalf("guess %d of %d free ones, stamped before the previous: wait %v, err %v", i+1, b.Free, wait, err)
				}
				if i == b.Free-1 {
					break // the free guesses are used up: from now on there is a wait
				}
				if wait, _ := l.Wait(context.Background(), tc.guess(i), at.Add(-time.Microsecond)); wait != 0 {
					t.Fatalf("Wait after %d free guesses, stamped before them: %v", i+1, wait)
				}
			}
			if wait, _ := l.Attempt(context.Background(), tc.guess(b.Free), t0); wait <= 0 {
				t.Fatalf("guess %d, past the free ones: wait %v, want a wait", b.Free+1, wait)
			}
		})
	}
}

// MaxEntries bounds the counters and, separately, the known clients.
func TestMemoryLimiterMaxEntries(t *testing.T) {
	for _, size := range []int{1, 2, 7, 8, 10, 64} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{MaxEntries: size})
			maxCounters, maxKnown := 0, 0
			for i := range 10 * size {
				// Distinct account and client: three new counters.
				a := ports.LoginAttempt{Account: fmt.Sprintf("user%d@example.com", i), Client: fmt.Sprintf("10.1.%d.%d", i/256, i%256)}
				if w := attempt(t, l, a, t0); w != 0 {
					t.Fatalf("guess %d refused (%v)", i, w)
				}
				counters, _ := l.Sizes()
				maxCounters = max(maxCounters, counters)
				if i%2 == 0 {
					succeeded(t, l, a, t0)
					_, known := l.Sizes()
					maxKnown = max(maxKnown, known)
				}
			}
			if maxCounters > size || maxKnown > size {
				t.Fatalf("MaxEntries %d: up to %d counters and %d known clients held", size, maxCounters, maxKnown)
			}
			if maxCounters == 0 || maxKnown == 0 {
				t.Fatalf("nothing was kept (%d counters, %d known clients)", maxCounters, maxKnown)
			}
		})
	}
}

// A full limiter drops forgotten counters and expired known clients before
// live ones.
func TestMemoryLimiterEvictsExpiredFirst(t *testing.T) {
	const size = 16
	l := usecase.NewMemoryLimiter(usecase.ThrottlePolicy{
		Pair:           never,
		Account:        usecase.Backoff{Free: 1, Base: time.Hour, Max: time.Hour},
		Client:         never,
		ForgetAfter:    time.Hour,
		KnownClientTTL: time.Hour,
		MaxEntries:     size,
	})
	later := t0.Add(time.Hour)

	t.Run("counters", func(t *testing.T) {
		for i := range size - 1 {
			attempt(t, l, ports.LoginAttempt{Account: fmt.Sprintf("old%d@example.com", i)}, t0)
		}
		victim := ports.LoginAttempt{Account: "victim@example.com"}
		attempt(t, l, victim, later)
		if w := attempt(t, l, victim, later); w != time.Hour {
			t.Fatalf("victim: wait %v, want 1h", w)
		}
		if counters, _ := l.Sizes(); counters != size {
			t.Fatalf("%d counters, want %d (full)", counters, size)
		}
		attempt(t, l, ports.LoginAttempt{Account: "new@example.com"}, later)
		if counters, _ := l.Sizes(); counters != 2 {
			t.Fatalf("%d counters after making room, want 2: the forgotten ones go first", counters)
		}
		if w := attempt(t, l, victim, later); w != time.Hour {
			t.Fatalf("victim after making room: wait %v, want 1h", w)
		}
	})
	t.Run("known clients", func(t *testing.T) {
		for i := range size - 1 {
			succeeded(t, l, ports.LoginAttempt{Account: fmt.Sprintf("old%d@example.com", i), Client: "10.0.0.1"}, t0)
		}
		owner := ports.LoginAttempt{Account: "owner@example.com", Client: "10.0.0.2"}
		succeeded(t, l, owner, later)
		succeeded(t, l, ports.LoginAttempt{Account: "new@example.com", Client: "10.0.0.3"}, later)
		if _, known := l.Sizes(); known != 2 {
			t.Fatalf("%d known clients after making room, want 2: the expired ones go first", known)
		}
		// The owner is still known: an account tripped by others does not
		// hold them.
		attempt(t, l, ports.LoginAttempt{Account: "owner@example.com", Client: "192.0.2.1"}, later)
		if w := attempt(t, l, ports.LoginAttempt{Account: "owner@example.com", Client: "192.0.2.2"}, later); w != time.Hour {
			t.Fatalf("fresh client at the tripped account: wait %v, want 1h", w)
		}
		if w := attempt(t, l, owner, later); w != 0 {
			t.Fatalf("owner refused (%v): they were forgotten as a known client", w)
		}
	})
}

// --- Through the Service ---

// loginFrom logs in from client.
func (e *env) loginFrom(t *testing.T, client, email, pw string) (usecase.Token, error) {
	t.Helper()
	return e.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Address: client}), usecase.LoginRequest{Email: email, Password: pw})
}

// asRetry returns err as a *domain.RetryError wrapping want, or fails.
func asRetry(t *testing.T, what string, err, want error) *domain.RetryError {
	t.Helper()
	var re *domain.RetryError
	if !errors.As(err, &re) || !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want a *domain.RetryError wrapping %v", what, err, want)
	}
	return re
}

func TestLoginThrottled(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")
	e.hasher.takeCompares()

	for i := range d.Pair.Free {
		_, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", fmt.Sprintf("wrong-guess-%d", i))
		wantErr(t, fmt.Sprintf("wrong password %d", i), err, domain.ErrInvalidCredentials)
	}
	if n := len(e.hasher.takeCompares()); n != d.Pair.Free {
		t.Fatalf("%d comparisons for %d wrong passwords", n, d.Pair.Free)
	}

	_, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", "password1")
	re := asRetry(t, "right password after the free failures", err, domain.ErrTooManyAttempts)
	if re.After != d.Pair.Base {
		t.Fatalf("RetryError.After = %v, want %v", re.After, d.Pair.Base)
	}
	if c := e.hasher.takeCompares(); len(c) != 0 {
		t.Fatalf("a throttled login compared the password (%d comparisons)", len(c))
	}
	// Another client is not held by this pair.
	if _, err := e.loginFrom(t, "5.6.7.8", "ann@example.com", "password1"); err != nil {
		t.Fatalf("login from another client: %v", err)
	}

	e.clock.Advance(re.After - time.Nanosecond)
	_, err = e.loginFrom(t, "1.2.3.4", "ann@example.com", "password1")
	asRetry(t, "1ns before RetryError.After", err, domain.ErrTooManyAttempts)
	e.clock.Advance(time.Nanosecond)
	tok, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", "password1")
	if err != nil {
		t.Fatalf("right password after waiting RetryError.After: %v", err)
	}
	if _, err := e.svc.Authenticate(t.Context(), tok.AccessToken); err != nil {
		t.Fatalf("token of the login after the wait: %v", err)
	}
	// The right password cleared the pair: its free failures are back.
	for i := range d.Pair.Free {
		_, err := e.loginFrom(t, "1.2.3.4", "ann@example.com", fmt.Sprintf("wrong-again-%d", i))
		wantErr(t, fmt.Sprintf("wrong password %d after the right one", i), err, domain.ErrInvalidCredentials)
	}

	logs := e.logs.String()
	for _, want := range []string{
		"event=login_throttled email=ann@example.com operation=login retry_after=1s suppressed_before=0 client=1.2.3.4",
		"event=login_failed email=ann@example.com client=1.2.3.4",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	for _, secret := range []string{"password1", "wrong-guess", "wrong-again", "$2a$"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}

// Throttling must not tell which emails exist: an unknown email is admitted
// and refused exactly like a known one.
func TestLoginThrottlingDoesNotRevealAccounts(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")

	type outcome struct {
		admitted int
		refusal  string
		after    time.Duration
	}
	probe := func(email string) outcome {
		for i := range 100 {
			_, err := e.loginFrom(t, "1.2.3.4", email, "wrong-password")
			var re *domain.RetryError
			if errors.As(err, &re) {
				return outcome{i, err.Error(), re.After}
			}
			wantErr(t, email, err, domain.ErrInvalidCredentials)
		}
		t.Fatalf("%s: never throttled", email)
		return outcome{}
	}
	known, unknown := probe("ann@example.com"), probe("nobody@example.com")
	if known != unknown {
		t.Fatalf("known email: %+v; unknown email: %+v; want the same", known, unknown)
	}
	if known.admitted != usecase.DefaultThrottlePolicy.Pair.Free {
		t.Fatalf("%d guesses admitted, want %d", known.admitted, usecase.DefaultThrottlePolicy.Pair.Free)
	}
}

// The owner, at a client they logged in from, is not locked out by an
// attack that trips their account's counter from everywhere else.
func TestLoginKnownClientNotLockedOut(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	e := newEnv(t)
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")
	if _, err := e.loginFrom(t, "10.0.0.1", "ann@example.com", "password1"); err != nil {
		t.Fatal(err)
	}
	for i := range d.Account.Free {
		_, err := e.loginFrom(t, fmt.Sprintf("192.0.2.%d", i), "ann@example.com", "guess")
		wantErr(t, "attack", err, domain.ErrInvalidCredentials)
	}
	_, err := e.loginFrom(t, "192.0.2.200", "ann@example.com", "password1")
	if re := asRetry(t, "owner from a new client", err, domain.ErrTooManyAttempts); re.After != d.Account.Base {
		t.Fatalf("RetryError.After = %v, want %v", re.After, d.Account.Base)
	}
	if _, err := e.loginFrom(t, "10.0.0.1", "ann@example.com", "password1"); err != nil {
		t.Fatalf("owner from their known client: %v", err)
	}
}

// A stolen token must not let its holder guess the password through
// ChangePassword's current-password check.
func TestChangePasswordThrottled(t *testing.T) {
	d := usecase.DefaultThrottlePolicy
	e := newEnv(t)
	admin := e.admin(t)
	ann := e.as(t, e.approvedUser(t, admin, "ann@example.com", "password1"))
	before, _ := e.store.FindByEmail(t.Context(), "ann@example.com")
	e.hasher.takeCompares()

	for i := range d.Account.Free {
		err := e.svc.ChangePassword(t.Context(), ann, fmt.Sprintf("guess-%d", i), "password2")
		wantErr(t, fmt.Sprintf("wrong current password %d", i), err, domain.ErrIncorrectPassword)
	}
	e.hasher.takeCompares()
	err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2")
	if re := asRetry(t, "right current password after the free failures", err, domain.ErrTooManyAttempts); re.After != d.Account.Base {
		t.Fatalf("RetryError.After = %v, want %v", re.After, d.Account.Base)
	}
	if c := e.hasher.takeCompares(); len(c) != 0 {
		t.Fatalf("a throttled password change compared the password (%d comparisons)", len(c))
	}
	if u, _ := e.store.FindByEmail(t.Context(), "ann@example.com"); u.PasswordHash != before.PasswordHash {
		t.Fatal("a throttled password change changed the password")
	}
	if !e.logsContain("event=login_throttled email=ann@example.com operation=change_password retry_after=1m0s") {
		t.Errorf("no throttling audit event for the password change:\n%s", e.logs)
	}

	e.clock.Advance(d.Account.Base)
	if err := e.svc.ChangePassword(t.Context(), ann, "password1", "password2"); err != nil {
		t.Fatalf("right current password after the wait: %v", err)
	}
}

// recordingLimiter is a LoginLimiter that records its calls and returns the
// configured results.
type recordingLimiter struct {
	mu           sync.Mutex
	waits        []ports.LoginAttempt
	attempts     []ports.LoginAttempt
	succeeded    []ports.LoginAttempt
	attemptErr   error
	succeededErr error
}

func (l *recordingLimiter) Wait(_ context.Context, a ports.LoginAttempt, _ time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, a)
	return 0, l.attemptErr
}

func (l *recordingLimiter) Attempt(_ context.Context, a ports.LoginAttempt, _ time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
	return 0, l.attemptErr
}

func (l *recordingLimiter) Succeeded(_ context.Context, a ports.LoginAttempt, _ time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.succeeded = append(l.succeeded, a)
	return l.succeededErr
}

// The Service asks Config.Limiter before every password check and tells it
// of every right password (whatever the account's status), with the
// normalised email and the client.
func TestLoginUsesConfiguredLimiter(t *testing.T) {
	lim := &recordingLimiter{}
	e := newEnv(t, func(c *usecase.Config) { c.Limiter = lim })
	admin := e.admin(t)
	e.approvedUser(t, admin, "ann@example.com", "password1")
	e.register(t, "pat@example.com", "password1")
	lim.mu.Lock()
	lim.attempts, lim.succeeded = nil, nil
	lim.mu.Unlock()

	_, err := e.loginFrom(t, "1.2.3.4", " Ann@Example.com", "wrong-password")
	wantErr(t, "wrong password", err, domain.ErrInvalidCredentials)
	_, err = e.loginFrom(t, "1.2.3.4", "nobody@example.com", "password1")
	wantErr(t, "unknown email", err, domain.ErrInvalidCredentials)
	_, err = e.loginFrom(t, "1.2.3.4", "pat@example.com", "password1")
	wantErr(t, "pending account", err, domain.ErrAccountPending)
	if _, err := e.loginFrom(t, "", "ann@example.com", "password1"); err != nil {
		t.Fatal(err)
	}

	lim.mu.Lock()
	attempts, succ := lim.attempts, lim.succeeded
	lim.mu.Unlock()
	wantAttempts := []ports.LoginAttempt{
		{Account: "ann@example.com", Client: "1.2.3.4"},
		{Account: "nobody@example.com", Client: "1.2.3.4"},
		{Account: "pat@example.com", Client: "1.2.3.4"},
		{Account: "ann@example.com"},
	}
	wantSucceeded := []ports.LoginAttempt{wantAttempts[2], wantAttempts[3]}
	if fmt.Sprint(attempts) != fmt.Sprint(wantAttempts) || fmt.Sprint(succ) != fmt.Sprint(wantSucceeded) {
		t.Fatalf("limiter saw attempts %v and successes %v; want %v and %v", attempts, succ, wantAttempts, wantSucceeded)
	}
}

func TestLoginLimiterFailures(t *testing.T) {
	boom := errors.New("limiter store down")
	t.Run("Attempt fails: no comparison, the error is returned", func(t *testing.T) {
		lim := &recordingLimiter{}
		e := newEnv(t, func(c *usecase.Config) { c.Limiter = lim })
		if _, err := e.svc.EnsureAdmin(t.Context()); err != nil {
			t.Fatal(err)
		}
		lim.attemptErr = boom
		_, err := e.svc.Login(usecase.WithClient(t.Context(), usecase.Client{Local: true}), usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"})
		wantErr(t, "Login", err, boom)
		if c := e.hasher.takeCompares(); len(c) != 0 {
			t.Fatalf("%d comparisons despite the limiter's failure", len(c))
		}
	})
	t.Run("Succeeded fails: the login goes on, with a warning", func(t *testing.T) {
		lim := &recordingLimiter{succeededErr: boom}
		e := newEnv(t, func(c *usecase.Config) { c.Limiter = lim })
		e.login(t, "admin@admin.com", "changeme")
		if !e.logsContain("level=WARN") || !e.logsContain("limiter store down") {
			t.Fatalf("no warning about the limiter's failure:\n%s", e.logs)
		}
	})
}

// TestBackoffEdges checks the documented corner values of a Backoff: Free 0
// behaves as 1, a Max under Base means Base, and Base 0 turns the counter
// off.
func TestBackoffEdges(t *testing.T) {
	ann := ports.LoginAttempt{Account: "ann@example.com", Client: "1.2.3.4"}
	for _, tc := range []struct {
		name  string
		b     usecase.Backoff
		waits []time.Duration // the wait after each admitted guess
	}{
		{"free 0 is free 1", usecase.Backoff{Free: 0, Base: time.Second, Max: time.Minute}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"free 1", usecase.Backoff{Free: 1, Base: time.Second, Max: time.Minute}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"max 0 means base", usecase.Backoff{Free: 1, Base: time.Second}, []time.Duration{time.Second, time.Second, time.Second}},
		{"max under base means base", usecase.Backoff{Free: 1, Base: time.Minute, Max: time.Second}, []time.Duration{time.Minute, time.Minute}},
		{"base 0 is off", usecase.Backoff{Free: 1, Max: time.Hour}, []time.Duration{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := usecase.NewMemoryLimiter(only(func(p *usecase.ThrottlePolicy) { p.Pair = tc.b }))
			now := t0
			for i, want := range tc.waits {
				if w := attempt(t, l, ann, now); w != 0 {
					t.Fatalf("guess %d refused with wait %v", i+1, w)
				}
				if got := attempt(t, l, ann, now); got != want {
					t.Fatalf("after %d failures: wait %v, want %v", i+1, got, want)
				}
				now = now.Add(want)
			}
		})
	}
}
