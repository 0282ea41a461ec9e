package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// promptly is how long a call with a done context may take before the
// suite calls it stuck. It is generous: such a call should return at once.
const promptly = 10 * time.Second

// within runs f in another goroutine and waits for it. If f has not
// returned after promptly it fails the test and returns false, leaving f
// running; the caller must then not touch what f writes. f must not use t.
func within(t *testing.T, what string, f func()) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(promptly)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		errorf(t, "%s did not return within %v", what, promptly)
		return false
	}
}

// testContextDone calls every method with a context that is already done.
// Each call may do its work (a store that never waits may ignore the
// context) or fail with an error wrapping ctx.Err(); a write that fails
// must have changed nothing, unless its error also wraps
// domain.ErrStoreUnavailable (its outcome is unknown). Every call returns
// promptly, and the store works normally afterwards.
func testContextDone(t *testing.T, newRepo func(*testing.T) ports.UserRepository) {
	kinds := []struct {
		name string
		desc string // "a cancelled context"
		ctx  func(parent context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", "a cancelled context", func(parent context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(parent)
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"expired", "an expired context", func(parent context.Context) (context.Context, context.CancelFunc) {
			// A cause other than the error: the store must wrap
			// ctx.Err(), which stays context.DeadlineExceeded.
			return context.WithDeadlineCause(parent, time.Now().Add(-time.Second), errors.New("storetest: a deadline that has passed"))
		}, context.DeadlineExceeded},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			live, repo := t.Context(), newRepo(t)
			ann := pending("ann@example.com", base)
			mustCreate(t, live, repo, ann)
			ctx, cancel := kind.ctx(live)
			defer cancel()

			// checkErr checks err of a call that may succeed or fail with
			// the context's error; it reports whether the call failed.
			checkErr := func(what string, err error) (failed bool) {
				t.Helper()
				if err != nil && !errors.Is(err, kind.want) {
					errorf(t, "%s with %s: got %s; want nil or an error wrapping %s (ctx.Err())", what, kind.desc, gotErr(err), errName(kind.want))
				}
				return err != nil
			}
			// unknown reports whether err says a write's outcome is unknown.
			unknown := func(err error) bool { return errors.Is(err, domain.ErrStoreUnavailable) }
			run := func(what string, f func()) bool {
				t.Helper()
				return within(t, fmt.Sprintf("%s with %s", what, kind.desc), f)
			}

			var (
				u    domain.User
				list []domain.User
				err  error
			)
			if !run(`FindByEmail("ann@example.com")`, func() { u, err = repo.FindByEmail(ctx, "ann@example.com") }) {
				return
			}
			if !checkErr(`FindByEmail("ann@example.com")`, err) {
				checkUser(t, fmt.Sprintf("FindByEmail with %s", kind.desc), u, stored(ann))
			}

			if !run("ListPending(10, 0)", func() { list, err = repo.ListPending(ctx, 10, 0) }) {
				return
			}
			if !checkErr("ListPending(10, 0)", err) && !slices.Equal(emails(list), []string{"ann@example.com"}) {
				errorf(t, "ListPending(10, 0) with %s succeeded with %q; want [ann@example.com]", kind.desc, emails(list))
			}

			bob := pending("bob@example.com", at(time.Second))
			if !run(`Create("bob@example.com")`, func() { err = repo.Create(ctx, bob) }) {
				return
			}
			switch {
			case !checkErr(`Create("bob@example.com")`, err):
				checkFind(t, live, repo, bob.Email, stored(bob))
			case !unknown(err):
				checkAbsent(t, live, repo, bob.Email, fmt.Sprintf("the Create with %s failed with %v", kind.desc, err))
			}

			upd := stored(ann)
			upd.TokenVersion, upd.UpdatedAt = 1, at(time.Minute)
			if !run(`Update("ann@example.com")`, func() { err = repo.Update(ctx, upd) }) {
				return
			}
			switch {
			case !checkErr(`Update("ann@example.com")`, err):
				want := upd
				want.Revision++
				checkFind(t, live, repo, ann.Email, want)
			case !unknown(err):
				checkFind(t, live, repo, ann.Email, stored(ann))
			}

			root := seedAdmin("root@example.com", at(time.Hour))
			var created bool
			if !run(`EnsureAdmin("root@example.com")`, func() { created, err = repo.EnsureAdmin(ctx, root) }) {
				return
			}
			switch {
			case !checkErr(`EnsureAdmin("root@example.com")`, err) && !created:
				errorf(t, "EnsureAdmin(%q) with %s on a store with no administrator = false, nil; want true, nil or an error wrapping %s",
					root.Email, kind.desc, errName(kind.want))
			case err == nil:
				checkFind(t, live, repo, root.Email, stored(root))
			case !unknown(err):
				checkAbsent(t, live, repo, root.Email, fmt.Sprintf("the EnsureAdmin with %s failed with %v", kind.desc, err))
			}

			// The store still works: the done context left nothing held.
			carol := pending("carol@example.com", at(2*time.Second))
			if !run("Create, with a live context, after the calls with a done one", func() { err = repo.Create(live, carol) }) {
				return
			}
			if err != nil {
				t.Fatalf("Create(%q) after the calls with %s: unexpected error: %v", carol.Email, kind.desc, err)
			}
			if !run("FindByEmail, with a live context, after the calls with a done one", func() { u, err = repo.FindByEmail(live, carol.Email) }) {
				return
			}
			if err != nil {
				t.Fatalf("FindByEmail(%q) after the calls with %s: unexpected error: %v", carol.Email, kind.desc, err)
			}
			u.Status = domain.StatusApproved
			if !run("Update, with a live context, after the calls with a done one", func() { err = repo.Update(live, u) }) {
				return
			}
			if err != nil {
				errorf(t, "Update(%q) after the calls with %s: unexpected error: %v", carol.Email, kind.desc, err)
			}
		})
	}
}
