//go:build !unix

package fiberauth

import (
	"context"
	"io"
	"net"
)

// watchConn does not watch conn on this platform (see watch_unix.go): a
// request's context still ends when the handler returns, when the server
// shuts down, and at its parent's deadline, but not when the client goes
// away.
func watchConn(net.Conn, context.CancelCauseFunc) io.Closer { return nil }
