package authsetup_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authadmin/authadmin/authsetup"
)

// listener returns an Auth, written as a literal, whose Listen binds s.Addr
// and logs to log.
func listener(s authsetup.Settings, log *testLog) *authsetup.Auth {
	s.Logger = log.logger
	return &authsetup.Auth{Settings: s}
}

func TestListenLogsBoundAddress(t *testing.T) {
	log := newTestLog(t)
	ln, err := listener(authsetup.Settings{Addr: "127.0.0.1:0"}, log).Listen(context.Background())
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if port == "0" || port == "" {
		t.Fatalf("bound address %v has no real port", ln.Addr())
	}
	want := "listening on http://127.0.0.1:" + port
	if !strings.Contains(log.String(), want) {
		t.Errorf("log %q lacks %q", log.String(), want)
	}
	// The line is written after the bind, so a client can connect at once.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial the logged address: %v", err)
	}
	c.Close()
}

// dialFrom connects to addr from the loopback address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The listener serves at most MaxConnections connections at once (the
// next one is accepted when one closes), and one client address at most a
// quarter of them (a further one is closed at once); trusted proxies are
// exempt.
func TestListenCapsConnections(t *testing.T) {
	log := newTestLog(t)
	s := authsetup.Settings{Addr: "127.0.0.1:0", MaxConnections: 4,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}}
	ln, err := listener(s, log).Listen(context.Background())
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	if got := authsetup.PerClientConnections(s.MaxConnections); got != 1 {
		t.Fatalf("PerClientConnections(4) = %d, want 1", got)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := ln.Addr().String()
	next := func(what string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not accepted", what)
			return nil
		}
	}
	none := func(what string) {
		t.Helper()
		select {
		case c := <-accepted:
			t.Fatalf("%s: accepted %v", what, c.RemoteAddr())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// One client: its second connection is closed at once.
	dialFrom(t, "127.0.0.1", addr)
	first := next("the first connection of 127.0.0.1")
	second := dialFrom(t, "127.0.0.1", addr)
	none("a second connection of 127.0.0.1")
	_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the second connection of one client: read %v, want it closed", err)
	}
	// A trusted proxy is exempt.
	dialFrom(t, "127.0.0.9", addr)
	next("a trusted proxy's first connection")
	dialFrom(t, "127.0.0.9", addr)
	next("a trusted proxy's second connection")
	// Four open: the next client waits for one to close.
	dialFrom(t, "127.0.0.2", addr)
	next("127.0.0.2")
	dialFrom(t, "127.0.0.3", addr)
	none("a fifth connection while four are open")
	first.Close()
	next("127.0.0.3 once a connection closed")
}

// TestListenNoCap: a negative MaxConnections lifts the cap.
func TestListenNoCap(t *testing.T) {
	log := newTestLog(t)
	ln, err := listener(authsetup.Settings{Addr: "127.0.0.1:0", MaxConnections: -1}, log).Listen(context.Background())
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			if _, err := ln.Accept(); err != nil {
				return
			}
		}
	}()
	// Far more than a quarter of the default cap from one client: none is
	// closed by the server.
	var conns []net.Conn
	for range authsetup.PerClientConnections(authsetup.DefaultMaxConnections) + 5 {
		conns = append(conns, dialFrom(t, "127.0.0.1", ln.Addr().String()))
	}
	last := conns[len(conns)-1]
	_ = last.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var ne net.Error
	if _, err := last.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("the last connection: read %v, want it still open (a timeout)", err)
	}
}

// busyAddr returns the address of a port taken until the test ends.
func busyAddr(t *testing.T) string {
	t.Helper()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	return busy.Addr().String()
}

func TestListenError(t *testing.T) {
	log := newTestLog(t)
	ln, err := listener(authsetup.Settings{Addr: busyAddr(t)}, log).Listen(context.Background())
	if err == nil {
		ln.Close()
		t.Fatal("Listen on a busy port succeeded")
	}
	if !strings.HasPrefix(err.Error(), "authsetup: ") || !strings.Contains(err.Error(), "ADDR") {
		t.Errorf("error %q does not start with authsetup: and name ADDR", err)
	}
	if strings.Contains(log.String(), "listening on") {
		t.Errorf("logged %q although nothing listens", log.String())
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the *net.OpError", err)
	}
}
