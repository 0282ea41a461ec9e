// Package domain holds the vocabulary of authadmin: the User and its approval
// Status, the Claims carried by an access token, the email and password rules,
// and the sentinel errors every other package branches on.
//
// The package does no I/O and imports only the standard library, so it can be
// used from any adapter or test without pulling anything else in.
package domain
