package bunstore

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

// QueriesForTest returns the SQL of FindByEmail and ListPending.
func (s *Store) QueriesForTest() (find, listPending string) {
	return s.sql.find, s.sql.listPending
}
