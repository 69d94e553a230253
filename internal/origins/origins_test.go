package origins

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExactOrigins(t *testing.T) {
	s, err := Parse("http://localhost:5173", "https://app.acme.com/some/path")
	require.NoError(t, err)
	assert.True(t, s.Allows("http://localhost:5173"))
	assert.True(t, s.Allows("HTTP://LOCALHOST:5173"), "origins compare without case")
	assert.True(t, s.Allows("https://app.acme.com"), "only a URL's origin counts")
	assert.True(t, s.Allows("https://app.acme.com/return?x=1"))
	assert.False(t, s.Allows("http://localhost:3000"), "another port is another origin")
	assert.False(t, s.Allows("http://app.acme.com"), "another scheme is another origin")
	assert.False(t, s.Allows("null"))
	assert.False(t, s.Allows(""))
}

func TestLocalhostKeyword(t *testing.T) {
	s, err := Parse("localhost")
	require.NoError(t, err)
	for _, ok := range []string{"http://localhost:5173", "http://localhost:3000", "https://localhost", "http://127.0.0.1:8080", "http://[::1]:5173", "http://app.localhost:5173"} {
		assert.True(t, s.Allows(ok), ok)
	}
	for _, no := range []string{"http://localhost.evil.com", "http://evil.com", "http://10.0.0.1:5173", "file://localhost", "null"} {
		assert.False(t, s.Allows(no), no)
	}
}

func TestWildcardIsRefused(t *testing.T) {
	_, err := Parse("*")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"localhost"`, "the error offers the development setting")
	_, err = Parse("localhost:5173")
	assert.Error(t, err, "an origin needs its scheme")
}
