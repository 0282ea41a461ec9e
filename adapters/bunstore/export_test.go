package bunstore

import (
	"context"

	"github.com/uptrace/bun"
)

// ParseURLForTest exposes parseURL: the engine ("sqlite" or "postgres"), the
// SQLite path ("" for memory) and the PostgreSQL URL as pgx gets it.
func ParseURLForTest(raw string) (engineName, path, pgURL string, err error) {
	t, err := parseURL(raw)
	if err != nil {
		return "", "", "", err
	}
	if t.engine == enginePostgres {
		return "postgres", "", t.pgURL.String(), nil
	}
	return "sqlite", t.path, "", nil
}

// NewAtVersion is New, migrating the table only up to version: it makes the
// databases that older releases of bunstore left behind.
func NewAtVersion(ctx context.Context, db *bun.DB, version int, opts ...Option) (*Store, error) {
	s, err := newStore(db, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, version); err != nil {
		return nil, err
	}
	return s, nil
}

// QueriesForTest returns the SQL of FindByEmail and ListPending.
func (s *Store) QueriesForTest() (find, listPending string) {
	return s.sql.find, s.sql.listPending
}
