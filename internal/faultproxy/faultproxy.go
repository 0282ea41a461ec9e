// Package faultproxy is a TCP proxy for tests that breaks chosen
// connections in the ways a real network or a stuck database does, so that
// a client's behaviour under those faults can be tested against a real
// server (PostgreSQL, say) on the loopback interface.
//
// A Proxy listens on 127.0.0.1 on a port of its own and forwards every
// connection to one target address, byte for byte, until a Rule matches:
// a rule watches what clients send (the client-to-server bytes of each
// connection) for a byte marker and then acts on that connection:
//
//   - BlackHole stops the connection in both directions but keeps both
//     sockets open, as a stuck server or a proxy holding a dead socket
//     would: the client waits for an answer that never comes. The bytes
//     that held the marker are not forwarded, so the server never sees
//     them. Release (or Close) closes the held connections.
//   - CutAfterReply forwards the bytes that held the marker, waits until
//     the server answers (some bytes come back), and then resets the
//     connection towards the client (RST, the answer not forwarded) and
//     closes it towards the server: the statement ran, the client lost the
//     answer.
//
// The proxy knows nothing of the protocol: it matches bytes. With
// PostgreSQL that works well when the marker is a value the client writes
// into the statement's text (the simple query protocol, or a client that
// formats arguments itself), such as an email address unique to the test.
//
// ResetAll breaks every open connection at once, as a network failure or
// a restarted middlebox would. Counters (Accepted, Cuts, Held, Resets, and
// Rule.Fired) let a test check that the faults it asked for happened.
//
// A Proxy keeps no global state and is safe for concurrent use; Close
// stops it and closes every connection it holds.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// TB is the part of testing.TB that Start uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Action is what a Rule does to a connection whose client sent its marker.
type Action int

const (
	// BlackHole stops forwarding in both directions and holds both
	// sockets open until Release or Close; the bytes that held the marker
	// are not forwarded.
	BlackHole Action = iota + 1
	// CutAfterReply forwards the bytes that held the marker, waits for the
	// first bytes of the server's answer, drops them, resets the client's
	// socket (RST) and closes the server's.
	CutAfterReply
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case BlackHole:
		return "black hole"
	case CutAfterReply:
		return "cut after reply"
	}
	return fmt.Sprintf("faultproxy.Action(%d)", int(a))
}

// maxTail is how many of a connection's latest client bytes the proxy keeps
// to find a marker that spans two reads; markers up to maxTail+1 bytes long
// are found wherever the reads split them.
const maxTail = 4096

// Proxy forwards TCP connections to a target address and applies its rules
// to them. Make one with New or Start.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	rules  []*Rule
	conns  map[*conn]struct{}
	closed bool

	wg sync.WaitGroup

	accepted atomic.Int64
	cuts     atomic.Int64
	resets   atomic.Int64
}

// New starts a proxy on 127.0.0.1 (an unused port) that forwards every
// connection to target (host:port). Close it when done.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[*conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Start is New for a test: it fails tb if the proxy cannot start and
// closes the proxy when tb ends.
func Start(tb TB, target string) *Proxy {
	tb.Helper()
	p, err := New(target)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr returns the proxy's address (127.0.0.1:port), for clients to dial
// instead of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// BlackHole adds a rule that black-holes (see the BlackHole action) the
// next times connections whose client sends marker, or every such
// connection if times <= 0. Connections already open are watched too, from
// their next bytes on.
func (p *Proxy) BlackHole(marker []byte, times int) *Rule {
	return p.add(marker, BlackHole, times)
}

// CutAfterReply adds a rule that cuts after the server's reply (see the
// CutAfterReply action) the next times connections whose client sends
// marker, or every such connection if times <= 0.
func (p *Proxy) CutAfterReply(marker []byte, times int) *Rule {
	return p.add(marker, CutAfterReply, times)
}

func (p *Proxy) add(marker []byte, action Action, times int) *Rule {
	if len(marker) == 0 || len(marker) > maxTail+1 {
		// A programmer error in a test: an empty marker would match
		// everything.
		panic(fmt.Sprintf("faultproxy: marker of %d bytes; want 1 to %d", len(marker), maxTail+1))
	}
	r := &Rule{p: p, marker: bytes.Clone(marker), action: action, left: times}
	if times <= 0 {
		r.left = -1
	}
	p.mu.Lock()
	p.rules = append(p.rules, r)
	p.mu.Unlock()
	return r
}

// match returns the first active rule whose marker occurs in window past
// its first skip bytes (so that a marker wholly in bytes seen before does
// not match again), and uses up one of its times; nil if none matches.
func (p *Proxy) match(window []byte, skip int) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if r.left == 0 {
			continue
		}
		from := max(0, skip-(len(r.marker)-1))
		if !bytes.Contains(window[from:], r.marker) {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		r.fired.Add(1)
		return r
	}
	return nil
}

// Accepted returns how many client connections the proxy has accepted.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

// Cuts returns how many connections CutAfterReply rules have cut after the
// server's reply.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

// Resets returns how many connections ResetAll has broken.
func (p *Proxy) Resets() int { return int(p.resets.Load()) }

// Held returns how many connections are black-holed now (held open, not
// yet released).
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		if c.state.Load() == stateHeld {
			n++
		}
	}
	return n
}

// Release closes every black-holed connection, both sockets, and returns
// how many it closed. Their clients then see the connection end.
func (p *Proxy) Release() int {
	n := 0
	for _, c := range p.snapshot() {
		if c.state.CompareAndSwap(stateHeld, stateClosed) {
			c.closeBoth(false)
			n++
		}
	}
	return n
}

// ResetAll breaks every open connection: it resets the client's socket
// (RST) and closes the server's, and returns how many it broke. The proxy
// keeps accepting new connections.
func (p *Proxy) ResetAll() int {
	n := 0
	for _, c := range p.snapshot() {
		if c.state.Swap(stateClosed) != stateClosed {
			c.closeBoth(true)
			n++
		}
	}
	p.resets.Add(int64(n))
	return n
}

// Close stops accepting, closes every connection (held ones included) and
// waits for the proxy's goroutines to end. It is safe to call more than
// once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	p.mu.Unlock()
	var err error
	if !already {
		err = p.ln.Close()
	}
	for _, c := range p.snapshot() {
		c.state.Store(stateClosed)
		c.closeBoth(false)
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (p *Proxy) snapshot() []*conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	return out
}

// accept accepts clients until the listener is closed.
func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.serve(client)
	}
}

// serve connects client to the target and forwards between them.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	c := &conn{p: p, client: client, server: server, released: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	var pumps sync.WaitGroup
	pumps.Go(c.clientToServer)
	pumps.Go(c.serverToClient)
	pumps.Wait()
	if c.state.Load() == stateHeld {
		// A held connection stays open, whatever its ends do, until
		// Release or Close closes it.
		<-c.released
	} else {
		c.closeBoth(false)
	}
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// Connection states.
const (
	stateForwarding int32 = iota
	stateHeld             // black-holed
	stateCutting          // waiting for the server's reply, to cut
	stateClosed
)

// conn is one proxied connection.
type conn struct {
	p      *Proxy
	client net.Conn
	server net.Conn
	state  atomic.Int32

	closeOnce sync.Once
	released  chan struct{} // closed by closeBoth
}

// closeBoth closes both sockets, resetting the client's if reset is set.
func (c *conn) closeBoth(reset bool) {
	c.closeOnce.Do(func() {
		if reset {
			if tc, ok := c.client.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
		}
		_ = c.client.Close()
		_ = c.server.Close()
		close(c.released)
	})
}

// clientToServer forwards the client's bytes and applies the rules.
func (c *conn) clientToServer() {
	buf := make([]byte, 32<<10)
	var tail []byte
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			switch c.state.Load() {
			case stateForwarding:
				window := append(tail, chunk...)
				r := c.p.match(window, len(tail))
				tail = append(tail[:0], window[max(0, len(window)-maxTail):]...)
				switch {
				case r == nil:
					if _, werr := c.server.Write(chunk); werr != nil {
						c.end()
						return
					}
				case r.action == BlackHole:
					c.state.CompareAndSwap(stateForwarding, stateHeld)
				case r.action == CutAfterReply:
					if c.state.CompareAndSwap(stateForwarding, stateCutting) {
						if _, werr := c.server.Write(chunk); werr != nil {
							c.end()
							return
						}
					}
				}
			default:
				// Held, cutting or closed: the client's bytes go nowhere.
			}
		}
		if err != nil {
			if c.state.Load() == stateHeld {
				// The client gave up; keep the server's socket open, as
				// a stuck network would, until Release.
				_ = c.client.Close()
				return
			}
			c.end()
			return
		}
	}
}

// serverToClient forwards the server's bytes, unless the connection is
// held (they are dropped) or being cut (the first of them trigger the cut).
func (c *conn) serverToClient() {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			switch c.state.Load() {
			case stateForwarding:
				if _, werr := c.client.Write(buf[:n]); werr != nil {
					c.end()
					return
				}
			case stateCutting:
				if c.state.CompareAndSwap(stateCutting, stateClosed) {
					c.p.cuts.Add(1)
					c.closeBoth(true)
				}
				return
			default:
				// Held or closed: dropped.
			}
		}
		if err != nil {
			if c.state.Load() == stateHeld {
				return // the server went away; the client still waits
			}
			c.end()
			return
		}
	}
}

// end closes a connection that ended normally (EOF or an error on either
// side), unless it is held.
func (c *conn) end() {
	for {
		s := c.state.Load()
		if s == stateHeld {
			return
		}
		if c.state.CompareAndSwap(s, stateClosed) {
			c.closeBoth(false)
			return
		}
	}
}

// Rule is a fault a Proxy applies to connections whose client sends its
// marker. Make one with Proxy.BlackHole or Proxy.CutAfterReply.
type Rule struct {
	p      *Proxy
	marker []byte
	action Action
	left   int // times left, -1 for unlimited; guarded by p.mu
	fired  atomic.Int64
}

// Action returns what the rule does.
func (r *Rule) Action() Action { return r.action }

// Fired returns how many connections the rule has matched so far.
func (r *Rule) Fired() int { return int(r.fired.Load()) }

// Remove stops the rule from matching more connections; the connections it
// already matched stay as they are.
func (r *Rule) Remove() {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	r.left = 0
}

var _ io.Closer = (*Proxy)(nil)
