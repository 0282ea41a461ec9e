// Package pending holds the listing rule of ports.UserRepository.ListPending
// for stores that keep their users in memory (memstore, jsonstore): filter,
// order and page in one place, so the stores cannot drift apart.
package pending

import (
	"cmp"
	"iter"
	"slices"
	"strings"

	"github.com/authadmin/authadmin/domain"
)

// Page returns at most limit of the pending users in users, after skipping
// offset of them, oldest CreatedAt first and ties broken by email in byte
// order. The result is a new, non-nil slice. Callers check limit >= 1 and
// offset >= 0.
func Page(users iter.Seq[domain.User], limit, offset int) []domain.User {
	var all []domain.User
	for u := range users {
		if u.Status == domain.StatusPending {
			all = append(all, u)
		}
	}
	if offset >= len(all) {
		return []domain.User{}
	}
	slices.SortFunc(all, func(a, b domain.User) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.Email, b.Email))
	})
	page := all[offset:]
	if limit < len(page) {
		page = page[:limit]
	}
	// Copy the page so that it does not pin the rest of the array.
	return slices.Clone(page)
}
