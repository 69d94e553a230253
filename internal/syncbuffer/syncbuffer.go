// Package syncbuffer is a text buffer one goroutine may write while another reads it: a log or a
// process's output that a test watches.
package syncbuffer

import (
	"strings"
	"sync"
)

// Buffer is a strings.Builder behind a mutex.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
