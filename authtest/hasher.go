package authtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
)

// hashPrefix marks the hashes of Hasher, so that one is never mistaken for
// a bcrypt hash.
const hashPrefix = "authtest-sha256$"

// Hasher is a ports.PasswordHasher for tests only: a salted SHA-256, a
// microsecond per call where bcrypt at its lowest cost takes a millisecond.
// Its hashes are quick to brute-force; never use it to store real passwords.
type Hasher struct{}

var _ ports.PasswordHasher = Hasher{}

// Hash returns a salted hash of password.
func (Hasher) Hash(_ context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("authtest: salt: %w", err)
	}
	return hashPrefix + hex.EncodeToString(salt) + "$" + digest(salt, password), nil
}

// Compare returns nil if password matches hash, and an error wrapping
// domain.ErrPasswordMismatch if it does not.
func (Hasher) Compare(_ context.Context, hash, password string) error {
	rest, ok := strings.CutPrefix(hash, hashPrefix)
	saltHex, sum, ok2 := strings.Cut(rest, "$")
	salt, err := hex.DecodeString(saltHex)
	if !ok || !ok2 || err != nil {
		return fmt.Errorf("authtest: not a hash of authtest.Hasher")
	}
	if subtle.ConstantTimeCompare([]byte(digest(salt, password)), []byte(sum)) != 1 {
		return fmt.Errorf("authtest: %w", domain.ErrPasswordMismatch)
	}
	return nil
}

// NeedsRehash reports false: Hasher has no parameters to change.
func (Hasher) NeedsRehash(string) bool { return false }

func digest(salt []byte, password string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return hex.EncodeToString(h.Sum(nil))
}
