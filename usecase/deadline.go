package usecase

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// errDeadline is the cause of a context whose store-call deadline passed.
var errDeadline = errors.New("usecase: store call deadline")

// deadline bounds one call of a driven port (the user store, a limiter)
// that may do I/O: a database that stops answering holds the request for
// at most timeout, and the call is then reported as
// domain.ErrStoreUnavailable. timeout <= 0 means no deadline of its own
// (the request's context still applies).
type deadline time.Duration

// call runs f with a context that ends after d, and turns f's error into
// a *domain.RetryError wrapping domain.ErrStoreUnavailable if it ended
// because of that deadline (not because the caller's context ended).
func call[T any](ctx context.Context, d deadline, what string, f func(context.Context) (T, error)) (T, error) {
	if d <= 0 {
		return f(ctx)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, time.Duration(d), errDeadline)
	defer cancel()
	v, err := f(ctx)
	if err != nil && context.Cause(ctx) == errDeadline {
		return v, &domain.RetryError{
			Err:   fmt.Errorf("%w: %s did not answer within %v: %w", domain.ErrStoreUnavailable, what, time.Duration(d), err),
			After: time.Duration(d),
		}
	}
	return v, err
}

// timedStore is the user store with a deadline on every call (see
// Config.StoreTimeout).
type timedStore struct {
	users ports.UserRepository
	limit deadline
}

var _ ports.UserRepository = timedStore{}

func (t timedStore) FindByEmail(ctx context.Context, email string) (domain.User, error) {
	return call(ctx, t.limit, "the user store", func(ctx context.Context) (domain.User, error) {
		return t.users.FindByEmail(ctx, email)
	})
}

func (t timedStore) Create(ctx context.Context, u domain.User) error {
	_, err := call(ctx, t.limit, "the user store", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, t.users.Create(ctx, u)
	})
	return err
}

func (t timedStore) Update(ctx context.Context, u domain.User) error {
	_, err := call(ctx, t.limit, "the user store", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, t.users.Update(ctx, u)
	})
	return err
}

func (t timedStore) ListPending(ctx context.Context, limit, offset int) ([]domain.User, error) {
	return call(ctx, t.limit, "the user store", func(ctx context.Context) ([]domain.User, error) {
		return t.users.ListPending(ctx, limit, offset)
	})
}

func (t timedStore) EnsureAdmin(ctx context.Context, u domain.User) (bool, error) {
	return call(ctx, t.limit, "the user store", func(ctx context.Context) (bool, error) {
		return t.users.EnsureAdmin(ctx, u)
	})
}

// timedLimiter is the login limiter with a deadline on every call: a
// limiter may keep its counters in a database.
type timedLimiter struct {
	limiter ports.LoginLimiter
	limit   deadline
}

var _ ports.LoginLimiter = timedLimiter{}

func (t timedLimiter) Attempt(ctx context.Context, a ports.LoginAttempt, now time.Time) (time.Duration, error) {
	return call(ctx, t.limit, "the login limiter", func(ctx context.Context) (time.Duration, error) {
		return t.limiter.Attempt(ctx, a, now)
	})
}

func (t timedLimiter) Wait(ctx context.Context, a ports.LoginAttempt, now time.Time) (time.Duration, error) {
	return call(ctx, t.limit, "the login limiter", func(ctx context.Context) (time.Duration, error) {
		return t.limiter.Wait(ctx, a, now)
	})
}

func (t timedLimiter) Succeeded(ctx context.Context, a ports.LoginAttempt, now time.Time) error {
	_, err := call(ctx, t.limit, "the login limiter", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, t.limiter.Succeeded(ctx, a, now)
	})
	return err
}

// timedRegistrations is the registration limiter with a deadline on every
// call.
type timedRegistrations struct {
	limiter ports.RegistrationLimiter
	limit   deadline
}

var _ ports.RegistrationLimiter = timedRegistrations{}

func (t timedRegistrations) Allow(ctx context.Context, client string, now time.Time) (time.Duration, error) {
	return call(ctx, t.limit, "the registration limiter", func(ctx context.Context) (time.Duration, error) {
		return t.limiter.Allow(ctx, client, now)
	})
}
