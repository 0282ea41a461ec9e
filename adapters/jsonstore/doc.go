// Package jsonstore is a ports.UserRepository kept in a single JSON file, for
// development and prototyping. It is not meant for production or for large
// numbers of users: every write rewrites the whole file and the whole user
// set is held in memory. It is, however, crash-safe: it never loses a
// write it acknowledged and never leaves a torn file behind.
//
// # Size
//
// A file is meant for up to RecommendedMaxUsers (1,000) users. Every write
// (a registration, an approval, a password change, a login that upgrades a
// password hash) re-encodes the whole user set, writes it out, checks it
// and fsyncs it, and writes wait for one another, so the write rate falls
// as the file grows (BenchmarkWrite measures it). Reads (FindByEmail,
// ListPending) are served from memory at any size. When a Store comes to
// hold more than RecommendedMaxUsers users, at Open or after a write, it
// logs a warning once, through the logger given with WithLogger (by default
// slog.Default()); past that size, move the users to a database store such
// as bunstore on SQLite, which needs no server either.
//
// # File format
//
// The file is one UTF-8 JSON object, indented for readable diffs:
//
//	{
//	  "format": "authadmin-users",
//	  "version": 1,
//	  "users": [
//	    {
//	      "email": "admin@example.com",
//	      "password_hash": "$2a$10$...",
//	      "is_admin": true,
//	      "status": "approved",
//	      "must_change_password": true,
//	      "created_at": "2025-01-02T03:04:05.000000000Z",
//	      "updated_at": "2025-01-02T03:04:05.000000000Z",
//	      "token_version": 0,
//	      "revision": 1
//	    }
//	  ]
//	}
//
// Users are sorted by email, emails are stored in their domain.EmailKey
// form, and times are RFC 3339 in UTC with nine fractional digits, so the
// same content always encodes to the same bytes. Times are kept at
// nanosecond precision; in memory, too, a stored time is in UTC and without
// a monotonic clock reading, so a user reads back the same before and after
// a restart. The file holds password hashes and is written with mode 0600
// (see WithFileMode).
//
// Open is strict: a file that is empty, not valid JSON, truncated, followed by
// trailing data, of another format or version, with a duplicate object key, a
// missing, null or unknown field, an invalid value (unknown status, empty or
// non-canonical email, revision below 1, malformed time) or two users with
// the same email in any letter case is reported as an error naming the path
// and the problem. It never starts empty in its place, so an application
// that seeds a default administrator into an empty store cannot silently
// replace a damaged user file. Only a missing file starts an empty store; Open
// then creates the file at once (an empty user list), so a path that cannot
// be written fails at Open rather than at the first write. The parent
// directory must exist.
//
// # Durability
//
// Every write builds the new user set on a copy, encodes it, writes it to a
// temporary file in the same directory (named ".<file>.tmp-<random>"),
// fsyncs it, renames it over the file and fsyncs the directory. Only after
// all of that succeeds does the write become visible in memory and return
// nil. If any step fails the write returns an error, the in-memory state is
// unchanged, the temporary file is removed, and the file keeps its previous
// bytes (should the directory fsync fail after the rename, the previous
// bytes are written back the same way). A crash at any moment leaves either
// the old or the new file, never a mix. (Windows offers no directory fsync;
// there the rename is the last step.) Temporary files left behind by a
// crash are removed by the next Open.
//
// Before writing, the store also checks that the bytes it is about to write
// open cleanly, so it never writes a file it would refuse to read: a user
// the format cannot represent (an empty email, an unknown status, a string
// that is not valid UTF-8, a year outside 0..9999) is refused with an error
// matching domain.ErrValidation.
//
// # Single writer
//
// Only one Store may have a file open at a time, in any process. Open takes
// an exclusive lock on a sidecar file "<path>.lock" and holds it until Close;
// a second Open of the same path, from this or another process, fails with
// an error wrapping ErrLocked. On Unix systems with flock(2) (Linux, the
// BSDs, macOS, illumos) the lock is an flock on the open lock file, which the
// kernel releases when the process exits or dies, so a crash never leaves a
// stale lock; the lock file itself stays in place and is harmless. Elsewhere
// (Windows, and Unix systems without flock) the lock file is created
// exclusively and removed by Close, so after a crash it may remain and must
// be deleted by hand once no process uses the store; the ErrLocked error says
// so. Locks on network file systems are only as reliable as the file system.
//
// # Concurrency and contexts
//
// A Store is safe for concurrent use. Reads never wait for a write. Writes
// run one at a time: each checks and changes the state it read under one
// lock, which makes Update's revision check and EnsureAdmin's "no
// administrator yet" check atomic. A write waiting for the one in progress
// gives up when its context ends, with an error wrapping ctx.Err() and
// nothing changed; a write that has begun replacing the file finishes.
//
// Do not edit the file while a Store has it open: the store does not re-read
// it, and its next write would replace the edit.
package jsonstore
