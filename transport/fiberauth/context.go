package fiberauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ErrClientGone is the cause (see context.Cause) of a request context that
// ended because the client closed its connection while the request was
// being served (see the package documentation).
//
// It is detected on Unix systems, for TCP and Unix socket connections
// (also under TLS), once the context's Done has been called, within 50 ms
// of the client leaving. The client's end of stream or a reset counts, as
// with net/http; a client that has sent more data (a pipelined request, a
// TLS close_notify alert) is taken to be there until the request ends.
var ErrClientGone = errors.New("fiberauth: the client closed the connection")

// ErrServerShutdown is the cause (see context.Cause) of a request context
// that ended because the server is shutting down (fasthttp's
// RequestCtx.Done was closed).
var ErrServerShutdown = errors.New("fiberauth: the server is shutting down")

// watchDelay is the period of a watchQueue's sweep: a request whose
// context's Done was called and that still runs at the next sweep, at most
// watchDelay later, gets its client's connection watched; a request in
// flight when its server shuts down sees it within watchDelay.
//
// Starting the watch costs a few microseconds (a duplicate descriptor, its
// registration with Go's network poller, a goroutine, and the same again
// to stop it), much more than a short request that derives a context with
// a deadline (every auth route does) should pay; a per-request timer would
// cost one or two microseconds too, as the runtime wakes its poller for
// each. With the sweep, a request of duration d pays for the watch with
// probability d/watchDelay: the long ones, which the watch is for.
const watchDelay = 50 * time.Millisecond

// requestContext is the context.Context this package hands to the auth
// routes, to Authenticate and, through c.UserContext(), to the handlers
// after RequireLogin and RequireAdmin: fasthttp cancels nothing per
// request, so this context gives a Fiber handler what net/http's
// r.Context() gives a net/http one. It is derived from c.UserContext(),
// so the application's values and deadline are kept, and it ends
//
//   - when the handler that made it returns (cause context.Canceled);
//   - when the client closes its connection (ErrClientGone; see watchConn
//     for where this is detected);
//   - when the server shuts down (ErrServerShutdown);
//   - when its parent ends.
//
// Most protected routes never wait on their context, and should not pay
// for a context that can be cancelled. So nothing is made until Done is
// first called, by the application or by anything that derives a context
// from this one (context.WithTimeout, AfterFunc...): Done makes a
// cancelable child of the parent, returns its channel, and puts the
// request in its Auth's watchQueue, which watches the connection and the
// server's shutdown for the requests that run long enough. Until Done is
// called, Err reports only the parent's end and the handler's return; that
// is consistent with Done, since no one can have seen Done close.
type requestContext struct {
	parent   context.Context
	conn     net.Conn        // the client's connection; nil: none to watch
	shutdown <-chan struct{} // fasthttp's RequestCtx.Done; nil: none
	queue    *watchQueue     // nil: nothing is watched

	// cur is nil until Done (or any use after end) makes the cancelable
	// context; it never changes afterwards.
	cur   atomic.Pointer[cancelState]
	phase atomic.Int32 // live, watched or ended
}

// The phases of a requestContext: live until Done is first called
// (watched) or the handler returns (ended).
const (
	live int32 = iota
	watched
	ended
)

// cancelState is the cancelable side of a requestContext, made on demand
// (so that a request that never calls Done allocates only its
// requestContext).
type cancelState struct {
	r      *requestContext
	ctx    context.Context
	cancel context.CancelCauseFunc

	// mu is held while making the state, while starting the watch of the
	// connection and while ending: the watch starts only while the
	// handler still runs, so it never touches a connection that serves
	// another request.
	mu    sync.Mutex
	ended bool      // under mu
	watch io.Closer // the connection's watcher, under mu; nil: none

	// Where the state is in r.queue, under r.queue.mu.
	list  *[]*cancelState // queue.pending or queue.watching; nil: neither
	index int             // in *list
}

// newRequestContext returns the context of the request c, derived from
// c.UserContext(), whose watches q makes. Call end when the handler
// returns.
//
// What the context needs of fasthttp's RequestCtx is read here, in the
// handler's goroutine: the RequestCtx is reused for another request once
// the handler returns, and its server resets its shutdown channel after a
// shutdown, so neither may be read later from another goroutine.
func newRequestContext(c *fiber.Ctx, q *watchQueue) *requestContext {
	rc := c.Context()
	r := &requestContext{parent: c.UserContext(), conn: rc.Conn(), queue: q}
	// A RequestCtx that is not served by a fasthttp.Server (the zero
	// value, as in a benchmark calling the app's handler directly) has no
	// connection and no server: its Done would dereference a nil server.
	if r.conn != nil {
		r.shutdown = rc.Done()
	}
	return r
}

// Deadline returns the parent's deadline: this context adds none.
func (r *requestContext) Deadline() (time.Time, bool) { return r.parent.Deadline() }

// Done returns a channel closed when the context ends. Its first call
// puts the request in its watchQueue.
func (r *requestContext) Done() <-chan struct{} { return r.state().ctx.Done() }

// Err returns nil while the context has not ended, and why it ended after
// that (context.Canceled or context.DeadlineExceeded).
func (r *requestContext) Err() error {
	if s := r.cur.Load(); s != nil {
		return s.ctx.Err()
	}
	if r.phase.Load() == ended {
		return context.Canceled
	}
	return r.parent.Err()
}

// Value returns the value of key in the parent.
func (r *requestContext) Value(key any) any {
	if s := r.cur.Load(); s != nil {
		return s.ctx.Value(key)
	}
	if r.phase.Load() == ended {
		// So that context.Cause agrees with Err after the handler
		// returned.
		return r.state().ctx.Value(key)
	}
	return r.parent.Value(key)
}

// String describes the context without what it carries.
func (r *requestContext) String() string {
	return contextName(r.parent) + ".WithClientWatch"
}

// contextName returns how ctx prints.
func contextName(ctx context.Context) string {
	if s, ok := ctx.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", ctx)
}

// state returns the cancelable side of r, making it on first use: a
// context.WithCancelCause of the parent (so that contexts derived from r
// are children of a standard cancelable context, without a goroutine each)
// and, unless the handler has already returned, r's entry in its queue.
func (r *requestContext) state() *cancelState {
	if s := r.cur.Load(); s != nil {
		return s
	}
	ctx, cancel := context.WithCancelCause(r.parent)
	s := &cancelState{r: r, ctx: ctx, cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !r.cur.CompareAndSwap(nil, s) { // another goroutine made it first
		cancel(context.Canceled)
		return r.cur.Load()
	}
	switch {
	case !r.phase.CompareAndSwap(live, watched): // the handler has returned
		s.ended = true
		cancel(context.Canceled)
	case r.queue != nil && (r.conn != nil || r.shutdown != nil):
		r.queue.add(s)
	}
	return s
}

// startWatch watches the connection of s's request, unless it has ended.
func (s *cancelState) startWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && s.r.conn != nil && s.ctx.Err() == nil {
		s.watch = watchConn(s.r.conn, s.cancel)
	}
}

// end ends the context, as net/http does when ServeHTTP returns, and
// stops its watches. It returns only after the connection's watcher has
// let go of its descriptor, so the connection is fasthttp's alone again.
func (r *requestContext) end() {
	if r.phase.CompareAndSwap(live, ended) {
		return // never watched: nothing to stop
	}
	s := r.cur.Load()
	if s == nil { // ended twice
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	w := s.watch
	s.mu.Unlock()
	r.phase.Store(ended)
	if r.queue != nil {
		r.queue.remove(s)
	}
	s.cancel(context.Canceled)
	if w != nil {
		_ = w.Close()
	}
}

// watchQueue watches, for one Auth, the requests whose context's Done was
// called: a goroutine sweeps it every watchDelay while it holds any, and
// starts the watch of the client's connection of every request that was
// there at the previous sweep (see watchDelay), and cancels the contexts
// of the requests whose server is shutting down. The zero value is ready
// to use; the goroutine ends at the first sweep that finds the queue
// empty.
type watchQueue struct {
	mu       sync.Mutex
	pending  []*cancelState // Done called since the last sweep
	watching []*cancelState // swept at least once
	running  bool           // the sweeping goroutine runs
}

// add puts s in the queue.
func (q *watchQueue) add(s *cancelState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s.list, s.index = &q.pending, len(q.pending)
	q.pending = append(q.pending, s)
	if !q.running {
		q.running = true
		go q.sweep()
	}
}

// remove takes s out of the queue, if it is there.
func (q *watchQueue) remove(s *cancelState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	take(s)
}

// take takes s out of its list, under the queue's mu.
func take(s *cancelState) {
	if s.list == nil {
		return
	}
	list := *s.list
	last := list[len(list)-1]
	list[s.index], last.index = last, s.index
	list[len(list)-1] = nil
	*s.list = list[:len(list)-1]
	s.list = nil
}

// sweep sweeps q every watchDelay until it is empty.
func (q *watchQueue) sweep() {
	ticker := time.NewTicker(watchDelay)
	defer ticker.Stop()
	var due, shut []*cancelState
	for range ticker.C {
		q.mu.Lock()
		if len(q.pending) == 0 && len(q.watching) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		for _, list := range [...][]*cancelState{q.pending, q.watching} {
			for _, s := range list {
				select {
				case <-s.r.shutdown: // nil: never
					shut = append(shut, s)
				default:
				}
			}
		}
		for len(q.pending) > 0 {
			s := q.pending[len(q.pending)-1]
			take(s)
			s.list, s.index = &q.watching, len(q.watching)
			q.watching = append(q.watching, s)
			due = append(due, s)
		}
		q.mu.Unlock()
		for _, s := range due {
			s.startWatch()
		}
		for _, s := range shut {
			s.cancel(ErrServerShutdown)
		}
		clear(due)
		clear(shut)
		due, shut = due[:0], shut[:0]
	}
}
