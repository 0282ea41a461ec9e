package bunstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/adapters/bunstore"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, url        string
		engine, path, pg string
	}{
		{"default relative file", "sqlite://./users.db", "sqlite", "./users.db", ""},
		{"bare relative file", "sqlite://users.db", "sqlite", "users.db", ""},
		{"absolute file", "sqlite:///var/lib/app/users.db", "sqlite", "/var/lib/app/users.db", ""},
		{"memory", "sqlite://:memory:", "sqlite", "", ""},
		{"SQLAlchemy-style relative with three slashes", "sqlite:///./data/auth.db", "sqlite", "./data/auth.db", ""},
		{"SQLAlchemy-style parent directory", "sqlite:///../auth.db", "sqlite", "../auth.db", ""},
		{"upper-case scheme", "SQLite://./users.db", "sqlite", "./users.db", ""},
		{"aiosqlite relative", "sqlite+aiosqlite:///./users.db", "sqlite", "./users.db", ""},
		{"aiosqlite relative without dot", "sqlite+aiosqlite:///users.db", "sqlite", "users.db", ""},
		{"aiosqlite absolute", "sqlite+aiosqlite:////srv/users.db", "sqlite", "/srv/users.db", ""},
		{"aiosqlite memory", "sqlite+aiosqlite:///:memory:", "sqlite", "", ""},
		{"aiosqlite empty is memory", "sqlite+aiosqlite://", "sqlite", "", ""},
		{"postgres", "postgres://u:p@db:5432/app?sslmode=disable", "postgres", "", "postgres://u:p@db:5432/app?sslmode=disable"},
		{"postgresql", "postgresql://u@db/app", "postgres", "", "postgresql://u@db/app"},
		{"asyncpg", "postgresql+asyncpg://user:pass@host/mydb", "postgres", "", "postgresql://user:pass@host/mydb"},
		{"asyncpg ssl=require", "postgresql+asyncpg://u@h/db?ssl=require", "postgres", "", "postgresql://u@h/db?sslmode=require"},
		{"asyncpg ssl=true", "postgresql+asyncpg://u@h/db?ssl=true", "postgres", "", "postgresql://u@h/db?sslmode=require"},
		{"psycopg", "postgresql+psycopg://u@h/db", "postgres", "", "postgresql://u@h/db"},
		{"socket directory as host parameter", "postgres:///db?host=/var/run/postgresql", "postgres", "", "postgres:///db?host=/var/run/postgresql"},
		{"no host: pgx's defaults", "postgres:///db", "postgres", "", "postgres:///db"},
		{"absolute file with extra slashes", "sqlite:////srv/users.db", "sqlite", "/srv/users.db", ""},
		{"aiosqlite with Python-only parameters", "sqlite+aiosqlite:///./users.db?timeout=30&check_same_thread=false", "sqlite", "./users.db", ""},
		{"asyncpg with SQLAlchemy cache settings", "postgresql+asyncpg://u@h/db?prepared_statement_cache_size=0&application_name=x", "postgres", "", "postgresql://u@h/db?application_name=x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			engine, path, pg, err := bunstore.ParseURLForTest(tc.url)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.url, err)
			}
			if engine != tc.engine || path != tc.path || pg != tc.pg {
				t.Errorf("parse %q = (%q, %q, %q); want (%q, %q, %q)", tc.url, engine, path, pg, tc.engine, tc.path, tc.pg)
			}
		})
	}
}

// TestParseURLErrors checks that a URL Open cannot use gives
// ErrUnsupportedURL, a message naming the accepted forms, and no password.
func TestParseURLErrors(t *testing.T) {
	tests := []struct{ name, url, mention string }{
		{"empty", "", "scheme"},
		{"no scheme", "users.db", "scheme"},
		{"key-value DSN", "host=db user=app password=hunter2", "scheme"},
		{"unknown scheme", "mysql://app:hunter2@db/app", `"mysql"`},
		{"scheme holding the password", "app:hunter2@db://x", "scheme"},
		{"SQLite with a query", "sqlite://./users.db?mode=ro", "query"},
		{"SQLite with no file", "sqlite://", "no file"},
		{"aiosqlite with a host", "sqlite+aiosqlite://host/users.db", "no host"},
		{"SQLite with a Python-only parameter", "sqlite://./users.db?timeout=30", "query"},
		{"aiosqlite with a parameter bunstore would ignore wrongly", "sqlite+aiosqlite:///./users.db?mode=ro", `"mode"`},
		{"SQLite with a fragment", "sqlite://./users.db#x", "fragment"},
		{"malformed PostgreSQL URL", "postgres://app:hunter2@db:port/app", "cannot be parsed"},
		{"asyncpg ssl value without equivalent", "postgresql+asyncpg://app:hunter2@h/db?ssl=maybe", "ssl"},
		{"NUL in the path", "sqlite://./users\x00.db", "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := bunstore.ParseURLForTest(tc.url)
			if !errors.Is(err, bunstore.ErrUnsupportedURL) {
				t.Fatalf("parse %q: got %v; want ErrUnsupportedURL", tc.url, err)
			}
			msg := err.Error()
			for _, want := range []string{tc.mention, "sqlite://./users.db", "postgres://", "sqlite+aiosqlite", "postgresql+asyncpg"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q contains the password", msg)
			}
		})
	}
}

// TestOpenErrorsHideThePassword checks the errors of Open itself, past URL
// parsing: a pgx parameter it refuses and a server it cannot reach.
func TestOpenErrorsHideThePassword(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{
		"postgres://app:hunter2@127.0.0.1:1/app?connect_timeout=2&sslmode=disable",
		"postgres://app:hunter2@127.0.0.1:1/app?default_query_exec_mode=fastest",
		"postgres://app@127.0.0.1:1/app?password=hunter2&connect_timeout=2&sslmode=disable",
		"postgres://app@127.0.0.1:1/app?sslpassword=hunter2&connect_timeout=2&sslmode=disable",
		"postgresql+asyncpg://app:hunter2@127.0.0.1:1/app?ssl=disable",
	} {
		s, err := bunstore.Open(ctx, url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded; want an error", url)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error %q contains the password", url, err)
		}
		t.Logf("Open: %v", err)
	}
}

// TestOpenUnparsablePostgresURL checks the error of a PostgreSQL URL that
// parses as a URL but not as pgx's configuration: it wraps
// ErrUnsupportedURL once, names the URL without its password, and lists the
// accepted forms.
func TestOpenUnparsablePostgresURL(t *testing.T) {
	_, err := bunstore.Open(context.Background(), "postgres://app:hunter2@db.internal:5432/app?connect_timeout=soon")
	if !errors.Is(err, bunstore.ErrUnsupportedURL) {
		t.Fatalf("Open: got %v; want an error wrapping ErrUnsupportedURL", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "hunter2") {
		t.Errorf("the error %q contains the password", msg)
	}
	for _, want := range []string{"bunstore: unsupported database URL: cannot parse the PostgreSQL URL postgres://app@db.internal:5432/app", "; accepted forms: "} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
	if n := strings.Count(msg, "bunstore:"); n != 1 {
		t.Errorf("the error %q has the package prefix %d times; want once", msg, n)
	}
}
