package bunstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/authadmin/authadmin/domain"
)

// Writes whose outcome is unknown.
//
// A write can fail after its statement reached the database: the
// connection breaks while the answer is on its way, or the caller's
// context ends while the statement runs. The statement may then have been
// applied, or (on PostgreSQL) may still be running and be applied later.
// Reporting such a write as failed would be untrue half the time; worse,
// running it again and reporting what the second run found ("the email is
// taken", "the revision changed") would report the store's own write as
// somebody else's. pgx v5 with database/sql did exactly that: see
// execWrite.
//
// So every Create, EnsureAdmin and Update stores a random write id (its own
// for each call) in the row's write_id column, and a write whose outcome is
// unknown reads the row back: carrying the call's id, the write was
// applied and is reported as such; otherwise the store reports what it can
// prove, and domain.ErrStoreUnavailable when it can prove nothing.

// confirmTimeout bounds the read that looks for a write's own id after the
// write's outcome became unknown. When the caller's context has already
// ended (its deadline passing is what made the outcome unknown) the read
// runs on a context detached from it, for at most this long; a call can
// therefore return up to confirmTimeout after its context ended.
const confirmTimeout = time.Second

// unavailableAfter is the wait the store suggests (domain.RetryError.After)
// when a write's outcome is unknown.
const unavailableAfter = time.Second

// newWriteID returns a random id for one write call: 26 base-32 characters,
// 130 random bits.
func newWriteID() string { return rand.Text() }

// rowMark is what the store reads back to tell whether a write was its own.
type rowMark struct {
	Revision int64  `bun:"revision"`
	WriteID  string `bun:"write_id"`
}

// execWrite runs one write statement on a connection of its own and
// returns how many rows it affected.
//
// It does not use the pool's ExecContext, which runs a statement again, on
// another connection, when the driver says driver.ErrBadConn ("nothing was
// sent, retry"). pgx v5.12's stdlib driver says so for a connection that
// broke while the statement's answer was being read: MultiResultReader
// discards the read error, the next read finds the connection closed and
// fails with "conn closed", an error pgconn.SafeToRetry reports as safe, and
// stdlib turns that into driver.ErrBadConn. database/sql then ran the write
// a second time, which found the first run's row and reported the email
// taken (HTTP 409) or the revision changed (ChangePassword then read the
// user again, found the token version its own write had raised, and
// refused the caller's token: 401). On a connection of its own (sql.Conn),
// database/sql hands the error back instead, and the store knows the
// outcome is unknown.
func (s *Store) execWrite(ctx context.Context, query string, args ...any) (int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, noEffectError{err}
	}
	defer conn.Close()
	res, err := conn.NewRaw(query, args...).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// noEffectError is a failure of a write that certainly took no effect: no
// connection could be had, or a transaction failed before its COMMIT was
// sent (so it can never commit).
type noEffectError struct{ err error }

func (e noEffectError) Error() string { return e.err.Error() }
func (e noEffectError) Unwrap() error { return e.err }

// failedForSure reports whether err, the failure of a write, proves that
// the write took no effect: a noEffectError, or the database
// refused the statement (a constraint, a type error) and said so on a
// working connection. Any other failure (a broken connection, a context
// that ended while the statement ran, anything the driver cannot place)
// leaves the outcome unknown.
func failedForSure(err error) bool {
	if _, ok := errors.AsType[noEffectError](err); ok {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		// ERROR ends the statement's transaction, which is rolled back;
		// FATAL and PANIC end the connection, perhaps after a commit.
		severity := pgErr.SeverityUnlocalized
		if severity == "" {
			severity = pgErr.Severity
		}
		return severity == "ERROR"
	}
	if sqliteErr, ok := errors.AsType[*sqlite.Error](err); ok {
		// SQLite runs in this process: a statement that failed is over
		// and rolled back, unless it was interrupted (the driver may then
		// report an interruption of a statement that had completed).
		return sqliteErr.Code()&0xff != sqlite3.SQLITE_INTERRUPT
	}
	return false
}

// confirmContext returns the context of a read that looks for a write's
// own id: ctx bounded by confirmTimeout, detached from ctx if ctx has
// already ended.
func confirmContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	return context.WithTimeout(ctx, confirmTimeout)
}

// readMark reads the revision and write id of the row with key; found is
// false if there is none.
func (s *Store) readMark(ctx context.Context, key string) (m rowMark, found bool, err error) {
	var rows []rowMark
	if err := s.db.NewRaw(s.sql.mark, key).Scan(ctx, &rows); err != nil {
		return rowMark{}, false, err
	}
	if len(rows) == 0 {
		return rowMark{}, false, nil
	}
	return rows[0], true, nil
}

// confirmMark is readMark for a write whose outcome is unknown (see
// confirmContext).
func (s *Store) confirmMark(ctx context.Context, key string) (rowMark, bool, error) {
	ctx, cancel := confirmContext(ctx)
	defer cancel()
	return s.readMark(ctx, key)
}

// unknownOutcome returns the error of a write whose outcome is unknown: a
// *domain.RetryError wrapping domain.ErrStoreUnavailable and cause (and
// readErr, the failure of the read that looked for the write, if any).
func unknownOutcome(cause, readErr error) error {
	var err error
	if readErr != nil {
		err = fmt.Errorf("%w: the write's outcome is unknown: %w (and reading it back failed: %w)",
			domain.ErrStoreUnavailable, cause, readErr)
	} else {
		err = fmt.Errorf("%w: the write's outcome is unknown: %w", domain.ErrStoreUnavailable, cause)
	}
	return &domain.RetryError{Err: err, After: unavailableAfter}
}

// insertUser runs an insert of the user with key and write id id, which
// inserts nothing if the email is taken (or, for EnsureAdmin, if there is
// an administrator), and reports whether it stored the user. run makes one
// attempt and returns the rows it inserted; a failure that proves the
// attempt took no effect is returned at once, any other makes the outcome
// unknown, and insertUser then looks for the row's id (see execWrite). With
// retry set, on PostgreSQL, an attempt that left no trace is made once
// more, which the id makes safe: if the first attempt lands after all, the
// second inserts nothing and finds the first's id.
//
// The caller holds the write slot.
func (s *Store) insertUser(ctx context.Context, key, id string, retry bool, run func(context.Context) (int64, error)) (bool, error) {
	var unknown error // the failure of an attempt whose outcome is unknown
	for attempt := 0; ; attempt++ {
		n, err := run(ctx)
		switch {
		case err == nil && n == 1:
			return true, nil
		case err == nil && unknown == nil:
			// The only attempt ran and inserted nothing.
			return false, nil
		case err != nil && unknown == nil && failedForSure(err):
			return false, err
		case err != nil && unknown == nil:
			unknown = err
		}
		// An attempt's outcome is unknown: look for its id.
		m, found, readErr := s.confirmMark(ctx, key)
		switch {
		case readErr != nil:
			return false, unknownOutcome(unknown, readErr)
		case found && m.WriteID == id:
			return true, nil
		case found && m.Revision == 1:
			// Another call stored this row and nobody changed it since:
			// this write was not applied, and never will be.
			return false, nil
		case found:
			// Changed since it was stored: perhaps stored by this write.
			return false, unknownOutcome(unknown, nil)
		case s.engine == engineSQLite:
			// The statement is over (SQLite runs in this process) and
			// stored nothing.
			return false, unknown
		case retry && attempt == 0 && ctx.Err() == nil:
			continue
		default:
			// PostgreSQL may still be running the statement.
			return false, unknownOutcome(unknown, nil)
		}
	}
}

// updateUser is Update's compare-and-swap: it writes u under key, with
// write id id, if the stored revision is u.Revision. Like insertUser, it
// looks for its id when the outcome is unknown, and on PostgreSQL makes
// once more an attempt that left no trace.
//
// The caller holds the write slot.
func (s *Store) updateUser(ctx context.Context, key string, u domain.User, id string) error {
	args := []any{u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.TokenVersion, id, key, u.Revision}
	var unknown error // the failure of an attempt whose outcome is unknown
	for attempt := 0; ; attempt++ {
		n, err := s.execWrite(ctx, s.sql.update, args...)
		switch {
		case err == nil && n == 1:
			return nil
		case err != nil && unknown == nil && failedForSure(err):
			return err
		case err != nil && unknown == nil:
			unknown = err
		}
		var (
			m       rowMark
			found   bool
			readErr error
		)
		if unknown == nil {
			// The only attempt ran and changed nothing: tell a stale
			// revision from a missing user.
			m, found, readErr = s.readMark(ctx, key)
		} else {
			m, found, readErr = s.confirmMark(ctx, key)
		}
		switch {
		case readErr != nil && unknown == nil:
			return readErr
		case readErr != nil:
			return unknownOutcome(unknown, readErr)
		case !found:
			// Users are never deleted: there was nothing to update.
			return domain.ErrUserNotFound
		case m.WriteID == id:
			return nil
		case unknown == nil:
			return fmt.Errorf("stored revision %d, caller read %d: %w", m.Revision, u.Revision, domain.ErrConflict)
		case m.Revision != u.Revision:
			// Changed since: perhaps by this write, then by another.
			return unknownOutcome(unknown, nil)
		case s.engine == engineSQLite:
			// The statement is over and changed nothing.
			return unknown
		case attempt == 0 && ctx.Err() == nil:
			continue
		default:
			// PostgreSQL may still be running the statement.
			return unknownOutcome(unknown, nil)
		}
	}
}
