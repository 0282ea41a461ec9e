package usecase

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// hashGate bounds how many password hashes and comparisons run at once, so
// that a flood of logins or registrations cannot take every CPU from the
// rest of the application, and shares the slots fairly between clients,
// so that one client's flood cannot take them from everybody else.
//
// A call is first admitted (admit), at once or not at all: a client may
// have at most perClient calls in the gate (admitted, waiting or running),
// an account as many (many clients aiming at one account share that
// account's share), and all clients together at most queue+slots. Past a
// client's or an account's bound the call is refused with
// domain.ErrOverloaded without waiting. When the whole gate is full, a
// newcomer from a client with fewer calls in the gate than the client
// with the longest queue takes the place of that client's newest waiter,
// which is refused instead (as FQ-CoDel drops from the fattest flow): so
// a few clients that each keep their share queued cannot shut the gate to
// everybody else. An admitted call then waits for a slot (acquire) for at
// most wait. When a slot comes free it goes to a client in turn, not to the
// longest waiter: first to clients that had nothing waiting (new flows, as
// in FQ-CoDel, RFC 8290: a user who logs in now and then is served next,
// ahead of a flood), then round-robin among the clients that keep a queue.
// So a client that floods gets one slot in turn like every other client,
// and a sporadic client waits for at most the hashes already running.
//
// Admission and acquisition are two steps so that a caller can do what
// must not happen inside a slot (read the store, count a guess with the
// limiter) in between, knowing its place: only admitted calls are counted
// by the limiter, so a flood refused here cannot make the limiter count
// guesses that never get checked.
type hashGate struct {
	slots     int
	wait      time.Duration
	queue     int
	perClient int

	mu       sync.Mutex
	free     int                  // slots not in use
	admitted int                  // calls between admit and done, all flows
	queued   int                  // calls waiting for a slot, all flows
	flows    map[string]*gateFlow // flows with calls admitted
	fresh    flowList             // flows that had nothing waiting when their first call queued
	old      flowList             // flows served once that still have calls waiting
	accounts map[string]int       // calls admitted per account
}

// gateKey says whose a hashing call is: the client's flow, and the account
// it is for. Either may be empty (a system call such as the stand-in hash,
// or a caller that names no client).
type gateKey struct {
	client  string
	account string
}

// flow is the name of the queue the call waits in: its client's, or, for
// a call from no known client, one per account.
func (k gateKey) flow() string {
	if k.client != "" {
		return "c:" + k.client
	}
	return "a:" + k.account
}

// gateFlow is one client's calls.
type gateFlow struct {
	key      string
	admitted int         // calls of this flow between admit and done
	waiters  []*gatePass // calls waiting for a slot, oldest first
	next     *gateFlow   // in fresh or old
	listed   bool        // in fresh or old
}

// gatePass is an admitted call. ready is closed when a slot is handed to
// it by another call's done, or when a newcomer takes its place.
type gatePass struct {
	g       *hashGate
	key     gateKey
	flow    *gateFlow
	ready   chan struct{}
	granted bool // a slot was handed to it while it waited
	evicted bool // a newcomer took its place while it waited
	holding bool // it holds a slot
}

// flowList is a FIFO of flows.
type flowList struct{ head, tail *gateFlow }

func (l *flowList) push(f *gateFlow) {
	f.next, f.listed = nil, true
	if l.tail == nil {
		l.head = f
	} else {
		l.tail.next = f
	}
	l.tail = f
}

func (l *flowList) pop() *gateFlow {
	f := l.head
	if f == nil {
		return nil
	}
	l.head = f.next
	if l.head == nil {
		l.tail = nil
	}
	f.next, f.listed = nil, false
	return f
}

// remove takes f out of l, reporting whether it was there.
func (l *flowList) remove(f *gateFlow) bool {
	var prev *gateFlow
	for cur := l.head; cur != nil; prev, cur = cur, cur.next {
		if cur != f {
			continue
		}
		if prev == nil {
			l.head = cur.next
		} else {
			prev.next = cur.next
		}
		if l.tail == cur {
			l.tail = prev
		}
		f.next, f.listed = nil, false
		return true
	}
	return false
}

func newHashGate(slots int, wait time.Duration, queue, perClient int) *hashGate {
	return &hashGate{
		slots:     slots,
		wait:      wait,
		queue:     queue,
		perClient: perClient,
		free:      slots,
		flows:     make(map[string]*gateFlow),
		accounts:  make(map[string]int),
	}
}

// overloaded is the refusal of a call that found no place or no slot.
func (g *hashGate) overloaded() error {
	return &domain.RetryError{Err: domain.ErrOverloaded, After: max(time.Second, g.wait)}
}

// run calls f in a slot, on behalf of key.
func (g *hashGate) run(ctx context.Context, key gateKey, f func() error) error {
	p, err := g.admit(key)
	if err != nil {
		return err
	}
	defer p.done()
	if err := p.acquire(ctx); err != nil {
		return err
	}
	return f()
}

// admit admits a call of key, or refuses it at once if key's client or
// account already has its share of the gate, or the gate is full. The
// caller must call done on the pass.
func (g *hashGate) admit(key gateKey) (*gatePass, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	name := key.flow()
	fl := g.flows[name]
	switch {
	case fl != nil && fl.admitted >= g.perClient,
		key.account != "" && g.accounts[key.account] >= g.perClient:
		return nil, g.overloaded()
	case g.admitted >= g.queue+g.slots:
		admitted := 0
		if fl != nil {
			admitted = fl.admitted
		}
		if !g.evictFrom(admitted) {
			return nil, g.overloaded()
		}
	}
	if fl == nil {
		fl = &gateFlow{key: name}
		g.flows[name] = fl
	}
	fl.admitted++
	g.admitted++
	if key.account != "" {
		g.accounts[key.account]++
	}
	return &gatePass{g: g, key: key, flow: fl}, nil
}

// evictFrom refuses the newest waiter of the flow with the longest queue,
// if that flow has more calls in the gate than a newcomer's flow
// (which has admitted), and reports whether it did. The evicted call's
// acquire returns domain.ErrOverloaded; its place is the newcomer's.
func (g *hashGate) evictFrom(admitted int) bool {
	var fattest *gateFlow
	for _, fl := range g.flows {
		if len(fl.waiters) > 0 && (fattest == nil || len(fl.waiters) > len(fattest.waiters)) {
			fattest = fl
		}
	}
	if fattest == nil || fattest.admitted <= admitted+1 {
		return false
	}
	w := fattest.waiters[len(fattest.waiters)-1]
	g.unqueue(w)
	w.evicted = true
	close(w.ready)
	// The evicted call still counts as admitted until its done: the
	// newcomer's place is the one it frees, so the total may pass the
	// bound by the calls evicted but not yet done.
	return true
}

// acquire waits for a slot, for at most the gate's wait.
func (p *gatePass) acquire(ctx context.Context) error {
	g := p.g
	g.mu.Lock()
	if g.free > 0 && g.queued == 0 {
		g.free--
		p.holding = true
		g.mu.Unlock()
		return nil
	}
	p.ready = make(chan struct{})
	fl := p.flow
	fl.waiters = append(fl.waiters, p)
	if !fl.listed {
		g.fresh.push(fl)
	}
	g.queued++
	g.mu.Unlock()

	t := time.NewTimer(g.wait)
	defer t.Stop()
	var err error
	select {
	case <-p.ready:
	case <-t.C:
		err = g.overloaded()
	case <-ctx.Done():
		err = fmt.Errorf("usecase: waiting to hash a password: %w", ctx.Err())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case p.granted:
		// The slot came, perhaps as the wait ended: take it.
		return nil
	case p.evicted:
		return g.overloaded()
	}
	g.unqueue(p)
	return err
}

// unqueue takes a waiter that gave up out of its flow's queue.
func (g *hashGate) unqueue(p *gatePass) {
	fl := p.flow
	for i, w := range fl.waiters {
		if w == p {
			copy(fl.waiters[i:], fl.waiters[i+1:])
			fl.waiters[len(fl.waiters)-1] = nil
			fl.waiters = fl.waiters[:len(fl.waiters)-1]
			break
		}
	}
	g.queued--
	if len(fl.waiters) == 0 && fl.listed && !g.fresh.remove(fl) {
		g.old.remove(fl)
	}
}

// done ends an admitted call: its slot, if it holds one, goes to the next
// flow in turn, and its place is given back.
func (p *gatePass) done() {
	g := p.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.holding {
		p.holding = false
		g.handOff()
	}
	fl := p.flow
	fl.admitted--
	g.admitted--
	if fl.admitted == 0 {
		delete(g.flows, fl.key)
	}
	if a := p.key.account; a != "" {
		if n := g.accounts[a] - 1; n > 0 {
			g.accounts[a] = n
		} else {
			delete(g.accounts, a)
		}
	}
}

// handOff gives a slot that came free to the next flow in turn, or frees
// it.
func (g *hashGate) handOff() {
	fl := g.fresh.pop()
	if fl == nil {
		fl = g.old.pop()
	}
	if fl == nil {
		g.free++
		return
	}
	w := fl.waiters[0]
	fl.waiters[0] = nil
	fl.waiters = fl.waiters[1:]
	g.queued--
	if len(fl.waiters) > 0 {
		g.old.push(fl)
	}
	w.granted, w.holding = true, true
	close(w.ready)
}
