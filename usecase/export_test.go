package usecase

import "time"

// Test-only views of unexported state, for the tests of package usecase_test.

// Sizes returns how many counters and known clients l holds in memory.
func (l *MemoryLimiter) Sizes() (counters, known int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counters), len(l.known)
}

// HashQueued returns how many calls are waiting for a hashing slot of s.
func HashQueued(s *Service) int64 {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	return int64(s.gate.queued)
}

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

// HashSlots returns how many hashes s runs at once.
func HashSlots(s *Service) int {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	return s.gate.slots
}

// TokenCacheVerifiedAt returns when s's cache took in token, and whether it
// holds it.
func TokenCacheVerifiedAt(s *Service, token string) (time.Time, bool) {
	if s.verified == nil {
		return time.Time{}, false
	}
	s.verified.mu.RLock()
	defer s.verified.mu.RUnlock()
	e, ok := s.verified.entries[token]
	return e.verifiedAt, ok
}

// RegistrationClients returns how many clients l remembers.
func RegistrationClients(l *MemoryRegistrationLimiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
