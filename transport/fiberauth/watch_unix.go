//go:build unix

package fiberauth

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// watchConn calls cancel(ErrClientGone) when the client closes conn, until
// the returned Closer is closed; it returns nil if conn cannot be watched.
//
// fasthttp serves a connection in one goroutine and does not read from it
// while a handler runs, so nothing notices a client that goes away (unlike
// net/http, whose server keeps a one-byte background read going). Reading
// from conn here would take bytes of a pipelined next request from
// fasthttp's reader, and waiting on conn itself would mean changing its
// deadlines. So the watch works on a duplicate of the socket's descriptor
// (net.Conn.File), registered with Go's network poller under its own
// deadlines, and only peeks (MSG_PEEK) at the socket, which consumes
// nothing:
//
//   - nothing to read: wait until the socket becomes readable, and peek
//     again;
//   - end of stream (0 bytes) or an error such as ECONNRESET: the client
//     has closed the connection (or at least its sending side, which
//     net/http takes as gone too): cancel;
//   - data: the client pipelined its next request, so it is still there;
//     the socket stays readable from now on, so stop watching (net/http's
//     background read stops at that point as well).
//
// Watched: *net.TCPConn and *net.UnixConn, also under TLS (a conn with
// NetConn, such as *tls.Conn). Under TLS, a client that ends with a
// close_notify alert is seen as sending data, so the watch stops without
// cancelling; one that just closes the socket is seen. Anything else
// (Fiber's app.Test connection, a custom listener's conn) is not watched.
func watchConn(conn net.Conn, cancel context.CancelCauseFunc) io.Closer {
	if c, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = c.NetConn()
	}
	var f *os.File
	var err error
	switch c := conn.(type) {
	case *net.TCPConn:
		f, err = c.File()
	case *net.UnixConn:
		f, err = c.File()
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	// Never call f.Fd: it would put the socket, shared with fasthttp's
	// descriptor, in blocking mode. File returns the duplicate registered
	// with the network poller, in non-blocking mode; check that it is (a
	// descriptor the poller refused has no deadlines).
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		_ = f.Close()
		return nil
	}
	raw, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil
	}
	go func() {
		var buf [1]byte
		gone := false
		// Read returns when the callback does, or with an error once f
		// is closed.
		_ = raw.Read(func(fd uintptr) bool {
			for {
				n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK)
				switch {
				case errors.Is(err, syscall.EINTR):
					continue
				case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK):
					return false // wait until readable
				case err != nil:
					gone = peerGone(err)
				default:
					gone = n == 0
				}
				return true
			}
		})
		if gone {
			cancel(ErrClientGone)
		}
	}()
	return f
}

// peerGone reports whether err, from reading a connected socket, means
// that the peer is gone (rather than, say, a descriptor that is not a
// socket, which says nothing about the client).
func peerGone(err error) bool {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOTCONN), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	return false
}
