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

// StatementsForTest returns the SQL the store runs, by name: find
// (FindByEmail), insert (Create, EnsureAdmin), update and revision (Update)
// and listPending (ListPending).
func (s *Store) StatementsForTest() map[string]string {
	return map[string]string{
		"find":        s.sql.find,
		"insert":      s.sql.insert,
		"update":      s.sql.update,
		"revision":    s.sql.revision,
		"listPending": s.sql.listPending,
	}
}
