package usecase

// Test-only views of unexported state, for the tests of package usecase_test.

// Sizes returns how many counters and known clients l holds in memory.
func (l *MemoryLimiter) Sizes() (counters, known int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counters), len(l.known)
}

// HashQueued returns how many calls are waiting for a hashing slot of s.
func HashQueued(s *Service) int64 { return s.gate.queued.Load() }

// UserCacheLen returns how many users s's user cache holds, or -1 when s
// has no cache.
func UserCacheLen(s *Service) int {
	if s.cache == nil {
		return -1
	}
	return s.cache.len()
}

// TokenCacheLen returns how many tokens s's verified-token cache holds, or
// -1 when s has no cache.
func TokenCacheLen(s *Service) int {
	if s.verified == nil {
		return -1
	}
	return s.verified.len()
}
