package fiberauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type testKey struct{}

// TestRequestContextUnwatched checks a request context whose Done is never
// called: it passes its parent's values, deadline and end through, and
// after end it is cancelled (context.Canceled, as Cause too) and its Done
// is closed.
func TestRequestContextUnwatched(t *testing.T) {
	parent, cancel := context.WithTimeout(context.WithValue(t.Context(), testKey{}, "v"), time.Hour)
	defer cancel()
	r := &requestContext{parent: parent}
	if r.Value(testKey{}) != "v" || r.Err() != nil {
		t.Fatalf("Value %v, Err %v", r.Value(testKey{}), r.Err())
	}
	if d, ok := r.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("Deadline %v %v, want the parent's", d, ok)
	}
	if s := fmt.Sprint(r); !strings.HasSuffix(s, ".WithClientWatch") {
		t.Fatalf("prints as %q", s)
	}
	r.end()
	if r.Err() != context.Canceled || context.Cause(r) != context.Canceled {
		t.Fatalf("after end: Err %v, Cause %v", r.Err(), context.Cause(r))
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("Done is not closed after end")
	}
	if r.Value(testKey{}) != "v" {
		t.Fatal("the parent's value is lost after end")
	}
	r.end() // a second end is harmless
}

// TestRequestContextParentEnds checks that the parent's cancellation and
// cause come through, watched or not.
func TestRequestContextParentEnds(t *testing.T) {
	cause := errors.New("the application gave up")
	for _, watched := range []bool{false, true} {
		t.Run(fmt.Sprint("watched ", watched), func(t *testing.T) {
			parent, cancel := context.WithCancelCause(t.Context())
			r := &requestContext{parent: parent}
			defer r.end()
			var done <-chan struct{}
			if watched {
				done = r.Done()
			}
			cancel(cause)
			if watched {
				<-done
			}
			if !errors.Is(r.Err(), context.Canceled) || context.Cause(r) != cause {
				t.Fatalf("Err %v, Cause %v", r.Err(), context.Cause(r))
			}
		})
	}
}

// TestRequestContextShutdown checks that a watched context ends with
// ErrServerShutdown when the server's done channel closes, and that
// contexts derived from it follow.
func TestRequestContextShutdown(t *testing.T) {
	shutdown := make(chan struct{})
	r := &requestContext{parent: context.Background(), shutdown: shutdown, queue: new(watchQueue)}
	defer r.end()
	child, stop := context.WithTimeout(r, time.Hour)
	defer stop()
	close(shutdown)
	select {
	case <-child.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the derived context did not end")
	}
	if context.Cause(child) != ErrServerShutdown || context.Cause(r) != ErrServerShutdown || r.Err() != context.Canceled {
		t.Fatalf("Cause %v (child %v), Err %v", context.Cause(r), context.Cause(child), r.Err())
	}
}

// TestRequestContextRace calls Done, Err and Value from other goroutines
// while the handler ends the context (run with -race).
func TestRequestContextRace(t *testing.T) {
	q := new(watchQueue)
	for range 200 {
		r := &requestContext{parent: context.Background(), shutdown: make(chan struct{}), queue: q}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				d := r.Done()
				_ = r.Err()
				_ = r.Value(testKey{})
				<-d
				if r.Err() != context.Canceled {
					t.Errorf("Err %v after Done closed", r.Err())
				}
			})
		}
		r.end()
		wg.Wait()
	}
}

// TestWatchQueue checks the queue's bookkeeping: requests leave it when
// they end, in any order, and the sweeping goroutine stops once it is
// empty.
func TestWatchQueue(t *testing.T) {
	q := new(watchQueue)
	var rs []*requestContext
	for range 10 {
		rs = append(rs, &requestContext{parent: context.Background(), shutdown: make(chan struct{}), queue: q})
	}
	for _, r := range rs[:5] {
		_ = r.Done()
	}
	time.Sleep(watchDelay + watchDelay/2) // a sweep: pending to watching
	for _, r := range rs[5:] {
		_ = r.Done()
	}
	q.mu.Lock()
	if len(q.pending) != 5 || len(q.watching) != 5 || !q.running {
		t.Errorf("pending %d, watching %d, running %v; want 5, 5, true", len(q.pending), len(q.watching), q.running)
	}
	q.mu.Unlock()
	for _, i := range []int{3, 0, 9, 4, 5, 1, 8, 2, 7, 6} {
		rs[i].end()
		q.mu.Lock()
		for _, list := range [][]*cancelState{q.pending, q.watching} {
			for j, s := range list {
				if s.r == rs[i] || s.index != j || s.list == nil {
					t.Errorf("after ending request %d: entry %d of a list is %p with index %d", i, j, s, s.index)
				}
			}
		}
		q.mu.Unlock()
	}
	deadline := time.Now().Add(5 * watchDelay)
	for {
		q.mu.Lock()
		running, n := q.running, len(q.pending)+len(q.watching)
		q.mu.Unlock()
		if !running && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue still runs (%v) with %d requests", running, n)
		}
		time.Sleep(watchDelay / 5)
	}
}
