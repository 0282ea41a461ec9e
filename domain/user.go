package domain

import (
	"fmt"
	"time"
)

// Status is where an account stands in the approval workflow.
type Status string

// The approval states. A registered account starts pending; an administrator
// approves or rejects it.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
)

// Valid reports whether s is one of the three known states.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusApproved, StatusRejected:
		return true
	}
	return false
}

// ParseStatus returns the Status named by s. Anything else is a
// *ValidationError of Kind ErrValidation.
func ParseStatus(s string) (Status, error) {
	if st := Status(s); st.Valid() {
		return st, nil
	}
	return "", &ValidationError{Kind: ErrValidation, Detail: fmt.Sprintf("unknown status %q", s)}
}

// User is an account as stored by a UserRepository.
//
// User holds only value fields, so assigning or returning one copies it: a
// store can hand out Users without callers being able to change what it keeps.
type User struct {
	// Email is the normalised (trimmed, lower-case) address; it identifies
	// the user.
	Email string
	// PasswordHash is the PasswordHasher's encoding of the password. It never
	// leaves the server.
	PasswordHash string
	// IsAdmin marks an administrator.
	IsAdmin bool
	// Status is the approval state.
	Status Status
	// MustChangePassword is set on an admin seeded with the built-in default
	// password; admin operations are refused until the password is changed.
	MustChangePassword bool
	// CreatedAt is when the account was registered (or seeded).
	CreatedAt time.Time
	// UpdatedAt is when the account last changed.
	UpdatedAt time.Time
	// TokenVersion is copied into every token issued for the user (claim
	// "ver"). Changing the password or rejecting the account raises it, which
	// invalidates every token issued before, even within the same second.
	TokenVersion int64
	// Revision counts the successful writes of this user. Stores own it:
	// Create stores 1, and Update succeeds only when the stored Revision still
	// equals the one the caller read, then stores Revision+1. This is what
	// makes concurrent read-modify-write cycles safe (no lost update).
	Revision int64
}

// IsApproved reports whether the account may log in.
func (u User) IsApproved() bool { return u.Status == StatusApproved }
