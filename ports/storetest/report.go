package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/authadmin/authadmin/domain"
)

// shownPerKind is how many failures of one kind a test reports in full.
// Further failures of that kind are counted, and the count is reported once
// when the test ends, so that a store that breaks one rule everywhere gets a
// short report.
const shownPerKind = 3

// reporter reports the failures of one test, limited per kind. A kind is
// the format string of the message: the same check failing for many users,
// goroutines or iterations is one kind.
type reporter struct {
	t     *testing.T
	mu    sync.Mutex
	kinds map[string]*failureKind
	order []string // formats in the order of their first failure
}

// failureKind counts the failures of one kind.
type failureKind struct {
	first  string // the first message, for the summary
	hidden int    // failures not reported in full
	shown  int
}

// reporters holds the reporter of each test that has failed, so that the
// suite's helpers, which take a *testing.T, share it.
var reporters sync.Map // *testing.T -> *reporter

// errorf reports a failure of t, as t.Errorf does, unless shownPerKind
// failures with the same format have been reported in t already; those
// are counted and summed up when t ends. It is safe to call from several
// goroutines.
func errorf(t *testing.T, format string, args ...any) {
	t.Helper()
	r := reporterOf(t)
	r.mu.Lock()
	k, ok := r.kinds[format]
	if !ok {
		k = &failureKind{first: fmt.Sprintf(format, args...)}
		r.kinds[format] = k
		r.order = append(r.order, format)
	}
	show := k.shown < shownPerKind
	if show {
		k.shown++
	} else {
		k.hidden++
	}
	r.mu.Unlock()
	if show {
		t.Errorf(format, args...)
	} else {
		t.Fail()
	}
}

// reporterOf returns the reporter of t, making it (and registering its
// summary with t.Cleanup) on first use.
func reporterOf(t *testing.T) *reporter {
	if r, ok := reporters.Load(t); ok {
		return r.(*reporter)
	}
	r := &reporter{t: t, kinds: make(map[string]*failureKind)}
	if got, loaded := reporters.LoadOrStore(t, r); loaded {
		return got.(*reporter)
	}
	t.Cleanup(r.summarize)
	return r
}

// summarize reports, for each kind with failures that were not shown, how
// many there were, and forgets the reporter.
func (r *reporter) summarize() {
	reporters.Delete(r.t)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, format := range r.order {
		if k := r.kinds[format]; k.hidden > 0 {
			r.t.Errorf("... and %d more like this: %s", k.hidden, excerpt(k.first))
		}
	}
}

// excerpt returns the first line of msg, shortened to about 100 characters.
func excerpt(msg string) string {
	const most = 100
	line, _, cut := strings.Cut(msg, "\n")
	if utf8.RuneCountInString(line) > most {
		line = string([]rune(line)[:most])
		cut = true
	}
	if cut {
		line += " ..."
	}
	return line
}

// errNames names the errors the suite expects by their Go identifiers.
var errNames = map[error]string{
	domain.ErrUserNotFound:     "domain.ErrUserNotFound",
	domain.ErrEmailTaken:       "domain.ErrEmailTaken",
	domain.ErrConflict:         "domain.ErrConflict",
	domain.ErrInvalidPage:      "domain.ErrInvalidPage",
	domain.ErrStoreUnavailable: "domain.ErrStoreUnavailable",
	context.Canceled:           "context.Canceled",
	context.DeadlineExceeded:   "context.DeadlineExceeded",
}

// errName returns the Go identifier of target, such as
// "domain.ErrConflict", or its quoted text for an error the suite does
// not name.
func errName(target error) string {
	if name, ok := errNames[target]; ok {
		return name
	}
	return fmt.Sprintf("%q", target)
}

// gotErr describes the result err of a call: "nil" or the quoted error.
func gotErr(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("error %q", err)
}
