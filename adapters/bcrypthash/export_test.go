package bcrypthash

// ObserveComparisons makes h call f with the cost of every bcrypt
// comparison Compare makes from now on (f must be safe for concurrent use
// if h is). Set it before using h.
func ObserveComparisons(h *Hasher, f func(cost int)) { h.observe = f }
