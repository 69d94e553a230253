package ids_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/ids"
)

func TestSeededIsReproducible(t *testing.T) {
	a, b := ids.NewSeeded(42), ids.NewSeeded(42)
	assert.Equal(t, ids.UUID(a), ids.UUID(b))
	assert.Equal(t, ids.Token(a, 32), ids.Token(b, 32))
	assert.NotEqual(t, ids.UUID(ids.NewSeeded(42)), ids.UUID(ids.NewSeeded(43)))
	assert.NotEqual(t, ids.UUID(ids.Derive(42, "a")), ids.UUID(ids.Derive(42, "b")))
}

func TestFormats(t *testing.T) {
	src := ids.Random{}
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ids.UUID(src))
	assert.Regexp(t, `^[0-9]{6}$`, ids.Digits(src, 6))
	assert.Regexp(t, `^[0-9a-z]{8}$`, ids.Alnum(src, 8))
	assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, ids.Token(src, 32))
}
