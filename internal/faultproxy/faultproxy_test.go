package faultproxy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authadmin/authadmin/internal/faultproxy"
)

// echoServer is a target that echoes every read back and records all it
// received.
type echoServer struct {
	ln   net.Listener
	mu   sync.Mutex
	got  bytes.Buffer
	wg   sync.WaitGroup
	conn []net.Conn
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = append(s.conn, c)
			s.mu.Unlock()
			s.wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						s.mu.Lock()
						s.got.Write(buf[:n])
						s.mu.Unlock()
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conn {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

func dial(t *testing.T, p *faultproxy.Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// patience is how long roundTrip waits for an answer: a held connection
// makes it time out.
const patience = 300 * time.Millisecond

// roundTrip writes msg and reads len(msg) bytes back within patience.
func roundTrip(c net.Conn, msg string) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	c.SetReadDeadline(time.Now().Add(patience))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestForwards(t *testing.T) {
	echo := startEcho(t)
	p := faultproxy.Start(t, echo.ln.Addr().String())
	for range 3 {
		c := dial(t, p)
		if got, err := roundTrip(c, "hello"); err != nil || got != "hello" {
			t.Fatalf("round trip = %q, %v; want hello", got, err)
		}
	}
	if p.Accepted() != 3 {
		t.Errorf("Accepted() = %d; want 3", p.Accepted())
	}
}

func TestBlackHole(t *testing.T) {
	echo := startEcho(t)
	p := faultproxy.Start(t, echo.ln.Addr().String())
	rule := p.BlackHole([]byte("MARK"), 0)

	stuck, other := dial(t, p), dial(t, p)
	if got, err := roundTrip(stuck, "before"); err != nil || got != "before" {
		t.Fatalf("before the marker: %q, %v", got, err)
	}
	if _, err := roundTrip(stuck, "xxMARKxx"); !isTimeout(err) {
		t.Fatalf("after the marker: %v; want a read timeout (no answer, socket open)", err)
	}
	if _, err := roundTrip(stuck, "after"); !isTimeout(err) {
		t.Fatalf("later bytes on the held connection: %v; want a read timeout", err)
	}
	if got, err := roundTrip(other, "fine"); err != nil || got != "fine" {
		t.Fatalf("another connection: %q, %v; want it unaffected", got, err)
	}
	if got := echo.received(); got != "beforefine" {
		t.Errorf("the server received %q; want nothing of the held connection after the marker", got)
	}
	if p.Held() != 1 || rule.Fired() != 1 {
		t.Errorf("Held() = %d, Fired() = %d; want 1, 1", p.Held(), rule.Fired())
	}

	if n := p.Release(); n != 1 {
		t.Errorf("Release() = %d; want 1", n)
	}
	stuck.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := stuck.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("read after Release: %v; want the connection closed", err)
	}
	waitFor(t, func() bool { return p.Held() == 0 }, "Held() to reach 0 after Release")
}

// TestBlackHoleSplitMarker checks that a marker split across two writes
// (two reads on the proxy's side) is found.
func TestBlackHoleSplitMarker(t *testing.T) {
	echo := startEcho(t)
	p := faultproxy.Start(t, echo.ln.Addr().String())
	p.BlackHole([]byte("SPLITMARK"), 1)
	c := dial(t, p)
	if got, err := roundTrip(c, "xxSPLIT"); err != nil || got != "xxSPLIT" {
		t.Fatalf("first half: %q, %v", got, err)
	}
	if _, err := roundTrip(c, "MARKyy"); !isTimeout(err) {
		t.Fatalf("second half: %v; want a read timeout", err)
	}
	// The rule was for one connection only.
	if got, err := roundTrip(dial(t, p), "SPLITMARK"); err != nil || got != "SPLITMARK" {
		t.Errorf("a second connection after the rule's one time: %q, %v", got, err)
	}
}

func TestCutAfterReply(t *testing.T) {
	echo := startEcho(t)
	p := faultproxy.Start(t, echo.ln.Addr().String())
	rule := p.CutAfterReply([]byte("CUT"), 1)

	c := dial(t, p)
	if got, err := roundTrip(c, "warm"); err != nil || got != "warm" {
		t.Fatalf("before the marker: %q, %v", got, err)
	}
	if got, err := roundTrip(c, "CUT-me"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after the marker: %q, %v; want the connection reset (ECONNRESET), the answer lost", got, err)
	}
	waitFor(t, func() bool { return echo.received() == "warmCUT-me" }, "the server to receive the statement")
	if p.Cuts() != 1 || rule.Fired() != 1 {
		t.Errorf("Cuts() = %d, Fired() = %d; want 1, 1", p.Cuts(), rule.Fired())
	}
	// Only once.
	if got, err := roundTrip(dial(t, p), "CUT"); err != nil || got != "CUT" {
		t.Errorf("a second connection: %q, %v; want it unaffected", got, err)
	}
}

func TestResetAll(t *testing.T) {
	echo := startEcho(t)
	p := faultproxy.Start(t, echo.ln.Addr().String())
	a, b := dial(t, p), dial(t, p)
	for _, c := range []net.Conn{a, b} {
		if _, err := roundTrip(c, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.ResetAll(); n != 2 {
		t.Errorf("ResetAll() = %d; want 2", n)
	}
	for _, c := range []net.Conn{a, b} {
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("read after ResetAll: %v; want the connection broken", err)
		}
	}
	if got, err := roundTrip(dial(t, p), "again"); err != nil || got != "again" {
		t.Errorf("a new connection after ResetAll: %q, %v", got, err)
	}
	if p.Resets() != 2 {
		t.Errorf("Resets() = %d; want 2", p.Resets())
	}
}

// TestCloseReleasesHeld checks that Close returns with a connection held
// and closes it.
func TestCloseReleasesHeld(t *testing.T) {
	echo := startEcho(t)
	p, err := faultproxy.New(echo.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p.BlackHole([]byte("M"), 0)
	c := dial(t, p)
	if _, err := roundTrip(c, "M"); !isTimeout(err) {
		t.Fatalf("%v; want a timeout", err)
	}
	done := make(chan error)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a held connection")
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("read after Close: %v; want the connection closed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("the proxy still accepts after Close")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
