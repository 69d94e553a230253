// Package ids makes the mock's identifiers and secrets: UUIDs, opaque tokens, numeric codes.
// Production uses crypto/rand; tests use Seeded so that every byte of a response is reproducible.
package ids

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"sync"
)

// Source makes random values.
type Source interface {
	// Read fills b with random bytes.
	Read(b []byte)
}

// Random reads from crypto/rand.
type Random struct{}

// Read fills b from crypto/rand.
func (Random) Read(b []byte) { _, _ = rand.Read(b) } // crypto/rand.Read never fails (Go 1.24+)

// Seeded is a deterministic Source: the same seed gives the same sequence.
type Seeded struct {
	mu  sync.Mutex
	rng *mrand.ChaCha8
}

// NewSeeded returns a deterministic source for seed.
func NewSeeded(seed uint64) *Seeded {
	var key [32]byte
	for i := range 4 {
		for j := range 8 {
			key[i*8+j] = byte(seed >> (8 * j))
		}
		seed = seed*6364136223846793005 + 1442695040888963407
	}
	return &Seeded{rng: mrand.NewChaCha8(key)}
}

// Read fills b deterministically.
func (s *Seeded) Read(b []byte) {
	s.mu.Lock()
	_, _ = s.rng.Read(b)
	s.mu.Unlock()
}

// Derive returns a Seeded source for one named stream (a tenant) of a seed, so that streams do not
// disturb each other's sequences.
func Derive(seed uint64, name string) *Seeded {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return NewSeeded(seed ^ h.Sum64())
}

// UUID returns a random (version 4) lower-case UUID.
func UUID(src Source) string {
	var b [16]byte
	src.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Token returns an opaque URL-safe token carrying n random bytes.
func Token(src Source, n int) string {
	b := make([]byte, n)
	src.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Digits returns n random decimal digits.
func Digits(src Source, n int) string {
	b := make([]byte, n)
	src.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// Alnum returns n random characters from [0-9a-z].
func Alnum(src Source, n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	src.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
