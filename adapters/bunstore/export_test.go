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
// (FindByEmail), insert (Create), ensureAdmin (EnsureAdmin), update and mark
// (Update, and any write whose outcome is unknown) and listPending
// (ListPending).
func (s *Store) StatementsForTest() map[string]string {
	return map[string]string{
		"find":        s.sql.find,
		"insert":      s.sql.insert,
		"ensureAdmin": s.sql.ensureAdmin,
		"update":      s.sql.update,
		"mark":        s.sql.mark,
		"listPending": s.sql.listPending,
	}
}
