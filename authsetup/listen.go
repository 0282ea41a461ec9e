package authsetup

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/netutil"
)

// Listen binds Settings.Addr and only then logs "listening on
// http://HOST:PORT" with the bound address, so that Addr 127.0.0.1:0
// reports the port the kernel picked and a client that reads the line can
// connect at once.
//
// The listener serves at most Settings.MaxConnections connections at once:
// past that, new ones wait in the kernel's accept queue until one closes,
// so a flood of idle or half-sent connections cannot take the server's
// memory. One client address (an IPv6 /64) may hold at most a quarter of
// them (PerClientConnections); a further one is closed at once, so that one
// client cannot lock everybody else out. The trusted proxies, which carry
// many clients, are exempt.
func (a *Auth) Listen(ctx context.Context) (net.Listener, error) {
	s := a.Settings.withDefaults()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("authsetup: Addr (%s) %q: %w", EnvAddr, s.Addr, err)
	}
	if s.MaxConnections > 0 {
		ln = &clientCapListener{
			Listener:  netutil.LimitListener(ln, s.MaxConnections),
			perClient: PerClientConnections(s.MaxConnections),
			trusted:   s.TrustedProxies,
			open:      make(map[netip.Addr]int),
		}
	}
	s.Logger.Info("listening on http://" + ln.Addr().String())
	return ln, nil
}

// PerClientConnections is how many of maxConns connections one client
// address may hold: a quarter, at least one.
func PerClientConnections(maxConns int) int { return max(1, maxConns/4) }

// clientCapListener closes, as soon as it is accepted, a connection from a
// client that already holds perClient of them.
type clientCapListener struct {
	net.Listener
	perClient int
	trusted   []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int // connections open per client (IPv6: its /64)
}

// Accept returns the next connection whose client holds fewer than
// perClient.
func (l *clientCapListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, ok := l.key(c.RemoteAddr())
		if !ok {
			return c, nil
		}
		l.mu.Lock()
		full := l.open[key] >= l.perClient
		if !full {
			l.open[key]++
		}
		l.mu.Unlock()
		if full {
			_ = c.Close()
			continue
		}
		return &clientConn{Conn: c, release: sync.OnceFunc(func() { l.release(key) })}, nil
	}
}

// key returns the client key of addr (an IPv4 address, an IPv6 /64), and
// false for an address the cap does not apply to (a trusted proxy, or one
// that is not an IP address).
func (l *clientCapListener) key(addr net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range l.trusted {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, true
}

func (l *clientCapListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.open[key] - 1; n > 0 {
		l.open[key] = n
	} else {
		delete(l.open, key)
	}
}

// clientConn gives its client's place back when it is closed.
type clientConn struct {
	net.Conn
	release func()
}

// Close closes the connection and gives its place back (once).
func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
