package usecase

import (
	"context"
	"fmt"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// guess checks password against the hash load returns, as the password
// guess a:
//
//  1. the hashing gate admits the guess, or refuses it at once with a
//     *domain.RetryError wrapping ErrOverloaded when its client or account
//     already has its share of the gate;
//  2. the limiter is asked (Wait), and a guess it holds back is refused at
//     once with a *domain.RetryError wrapping ErrTooManyAttempts, so that a
//     throttled guess costs no store read and no hashing;
//  3. load reads the hash from the store, outside any hashing slot, so a
//     stuck database holds none;
//  4. the guess waits for a slot, in turn with other clients; in it, the
//     limiter counts the guess (Attempt, which may still refuse it: a
//     concurrent guess counted first) and the comparison runs.
//
// So every guess the limiter counts is also checked, and a client's own
// guesses still in the queue do not count against each other. guess
// returns nil for a match, an error wrapping domain.ErrPasswordMismatch
// for a mismatch, or the error that stopped it.
func (s *Service) guess(ctx context.Context, a ports.LoginAttempt, op, password string, load func() (string, error)) error {
	pass, err := s.gate.admit(gateKey{client: a.Client, account: a.Account})
	if err != nil {
		return err
	}
	defer pass.done()
	if err := s.throttle(ctx, a, op, s.limiter.Wait); err != nil {
		return err
	}
	hash, err := load()
	if err != nil {
		return err
	}
	if err := pass.acquire(ctx); err != nil {
		return err
	}
	if err := s.throttle(ctx, a, op, s.limiter.Attempt); err != nil {
		return err
	}
	return s.hasher.Compare(ctx, hash, password)
}

// throttle asks the limiter (Wait or Attempt) about a guess and refuses it
// with a *domain.RetryError if it must wait.
func (s *Service) throttle(ctx context.Context, a ports.LoginAttempt, op string, ask func(context.Context, ports.LoginAttempt, time.Time) (time.Duration, error)) error {
	wait, err := ask(ctx, a, s.now())
	if err != nil {
		return fmt.Errorf("login limiter: %w", err)
	}
	if wait > 0 {
		s.auditThrottled(ctx, a, op, wait)
		return &domain.RetryError{Err: domain.ErrTooManyAttempts, After: wait}
	}
	return nil
}

// passwordVerified tells the limiter a guess was right. Its failure only
// leaves the counters as they were, so it is logged, not returned.
func (s *Service) passwordVerified(ctx context.Context, a ports.LoginAttempt) {
	if err := s.limiter.Succeeded(context.WithoutCancel(ctx), a, s.now()); err != nil {
		s.log.WarnContext(ctx, "authadmin: login limiter could not record a right password", "email", a.Account, "error", err)
	}
}

// withClient returns attrs followed by the client attribute, if client is
// known.
func withClient(client string, attrs ...any) []any {
	if client == "" {
		return attrs
	}
	return append(attrs, "client", client)
}
