package bunstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrUnsupportedURL is wrapped by the error Open returns for a database URL
// it cannot use: an unknown scheme, a malformed URL, or a SQLite URL with a
// query string. The message names the accepted forms and never contains the
// URL's password.
var ErrUnsupportedURL = errors.New("bunstore: unsupported database URL")

// acceptedURLs is the list of forms quoted in URL errors.
const acceptedURLs = "sqlite://./users.db, sqlite:///abs/path.db, sqlite://:memory:, " +
	"postgres://user:pass@host:5432/db, postgresql://..., " +
	"and the SQLAlchemy forms sqlite+aiosqlite:///./users.db (or sqlite+pysqlite) " +
	"and postgresql+asyncpg://user:pass@host/db (or +psycopg, +psycopg2)"

// engine is the database product a URL names.
type engine int

const (
	engineSQLite engine = iota + 1
	enginePostgres
)

// target is a parsed database URL.
type target struct {
	engine engine
	// path is the SQLite file path, or "" for an in-memory database.
	path string
	// pgURL is the PostgreSQL URL in the form pgx accepts.
	pgURL *url.URL
}

// String describes t for logs and errors, without a password.
func (t target) String() string {
	switch {
	case t.engine == enginePostgres:
		return describePostgres(t.pgURL)
	case t.path == "":
		return "sqlite://:memory:"
	default:
		return "sqlite://" + t.path
	}
}

// parseURL maps a database URL to a target. See Open for the accepted forms.
func parseURL(raw string) (target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return target{}, urlError("it does not start with a scheme such as sqlite:// or postgres://")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		return parseSQLite(rest, false)
	case "sqlite+aiosqlite", "sqlite+pysqlite":
		return parseSQLite(rest, true)
	case "postgres", "postgresql":
		return parsePostgres(raw, "")
	case "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2":
		return parsePostgres("postgresql://"+rest, strings.ToLower(scheme))
	default:
		return target{}, urlError("scheme %q", scheme)
	}
}

// parseSQLite parses what follows "sqlite://". In the native form the rest
// is the path itself (./users.db, /abs/path.db, :memory:). In the SQLAlchemy
// form (sqlalchemy true) the rest is "/" followed by the path, so that
// sqlite+aiosqlite:///./users.db is relative and sqlite+aiosqlite:////abs.db
// absolute, and an empty path means memory, as in SQLAlchemy.
func parseSQLite(rest string, sqlalchemy bool) (target, error) {
	path, query, _ := strings.Cut(rest, "?")
	if strings.Contains(path, "#") {
		return target{}, urlError("SQLite URLs take no fragment")
	}
	if err := checkSQLiteQuery(query, sqlalchemy); err != nil {
		return target{}, err
	}
	if sqlalchemy {
		if path != "" && !strings.HasPrefix(path, "/") {
			return target{}, urlError("a SQLAlchemy SQLite URL has no host: use sqlite+aiosqlite:///path")
		}
		path = strings.TrimPrefix(path, "/")
		if path == "" {
			path = ":memory:"
		}
	} else if strings.HasPrefix(path, "/./") || strings.HasPrefix(path, "/../") || path == "/:memory:" {
		// sqlite:///./users.db is how SQLAlchemy spells a relative path;
		// read as absolute it would name a file in the root directory,
		// which nobody means.
		path = path[1:]
	}
	if strings.HasPrefix(path, "//") {
		// sqlite:////abs/x.db: an absolute path with extra slashes, which a
		// file: URI would read as a host.
		path = "/" + strings.TrimLeft(path, "/")
	}
	switch path {
	case "":
		return target{}, urlError("the SQLite URL names no file")
	case ":memory:":
		return target{engine: engineSQLite}, nil
	}
	if strings.ContainsRune(path, 0) {
		return target{}, urlError("the SQLite path contains a NUL byte")
	}
	return target{engine: engineSQLite, path: path}, nil
}

// parsePostgres checks a postgres:// or postgresql:// URL. from names the
// SQLAlchemy scheme it was rewritten from, if any; asyncpg's "ssl" parameter
// then becomes libpq's "sslmode".
func parsePostgres(raw, from string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included: do not wrap it.
		return target{}, urlError("the PostgreSQL URL cannot be parsed")
	}
	if from == "postgresql+asyncpg" {
		q := u.Query()
		// Settings of SQLAlchemy's asyncpg dialect that mean nothing to a
		// PostgreSQL server (pgx would send them to it as parameters).
		for _, k := range []string{"prepared_statement_cache_size", "prepared_statement_name_func",
			"command_timeout", "statement_cache_size", "max_cached_statement_lifetime",
			"max_cacheable_statement_size", "async_fallback"} {
			q.Del(k)
		}
		u.RawQuery = q.Encode()
		if ssl, ok := q["ssl"]; ok {
			q.Del("ssl")
			if len(ssl) > 0 {
				mode, err := sslmodeFromAsyncpg(ssl[0])
				if err != nil {
					return target{}, err
				}
				q.Set("sslmode", mode)
			}
			u.RawQuery = q.Encode()
		}
	}
	return target{engine: enginePostgres, pgURL: u}, nil
}

// sqlalchemySQLiteParams are the query parameters of SQLAlchemy's SQLite
// URLs that bunstore accepts and ignores: they configure Python's driver
// (bunstore's busy timeout replaces timeout).
var sqlalchemySQLiteParams = map[string]bool{"timeout": true, "check_same_thread": true, "uri": true, "cached_statements": true}

// checkSQLiteQuery refuses the query string of a SQLite URL, but for the
// Python-driver settings of a SQLAlchemy URL.
func checkSQLiteQuery(query string, sqlalchemy bool) error {
	if query == "" {
		return nil
	}
	q, err := url.ParseQuery(query)
	if err != nil || !sqlalchemy {
		return urlError("SQLite URLs take no query string (bunstore sets the pragmas itself)")
	}
	for k := range q {
		if !sqlalchemySQLiteParams[k] {
			return urlError("SQLite URL parameter %q is not supported (bunstore sets the pragmas itself)", k)
		}
	}
	return nil
}

// describePostgres describes a PostgreSQL URL for errors and logs: scheme,
// user, host and database, without the password or the query string (which
// may hold password= or sslpassword=).
func describePostgres(u *url.URL) string {
	safe := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		safe.User = url.User(u.User.Username())
	}
	return safe.String()
}

// sslmodeFromAsyncpg maps asyncpg's ssl parameter to libpq's sslmode.
func sslmodeFromAsyncpg(v string) (string, error) {
	switch strings.ToLower(v) {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
		return strings.ToLower(v), nil
	case "true", "1", "on":
		return "require", nil
	case "false", "0", "off":
		return "disable", nil
	}
	return "", urlError("asyncpg ssl=%q has no libpq sslmode equivalent", v)
}

// validScheme reports whether s has the syntax of a URL scheme (RFC 3986),
// so that quoting it in an error cannot reveal anything else of the URL.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// urlError formats an ErrUnsupportedURL error that lists the accepted forms.
func urlError(format string, args ...any) error {
	return fmt.Errorf("%w: %s; accepted forms: %s", ErrUnsupportedURL, fmt.Sprintf(format, args...), acceptedURLs)
}
