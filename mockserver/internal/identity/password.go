package identity

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes passwords with Argon2id, as Avnology does (facts §11.3). The mock's defaults are
// deliberately cheap so that load tests measure the flows, not the hash; raise them to taste.
type Hasher struct {
	MemoryKiB  uint32
	Iterations uint32
	Salt       func([]byte) // fills a salt; crypto/rand in production, seeded in tests
}

// Hash encodes password as argon2id$<iterations>$<memory>$<salt>$<key>.
func (h Hasher) Hash(password string) string {
	salt := make([]byte, 16)
	h.Salt(salt)
	key := argon2.IDKey([]byte(password), salt, h.Iterations, h.MemoryKiB, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$%d$%d$%s$%s", h.Iterations, h.MemoryKiB, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// Verify reports whether password matches encoded, in constant time for a given encoding.
func Verify(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 5 || parts[0] != "argon2id" {
		return false
	}
	var iterations, memory uint32
	if _, err := fmt.Sscan(parts[1], &iterations); err != nil {
		return false
	}
	if _, err := fmt.Sscan(parts[2], &memory); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	want, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iterations, memory, 1, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
