package tenant

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Fault forces an error code and/or latency on the next Remaining calls of an operation.
type Fault struct {
	ID          string
	OperationID string
	ErrorCode   string
	Status      int // which of the code's documented statuses; 0 is the first
	Latency     time.Duration
	Remaining   int
}

// memoryFaults are a world's armed faults kept in this process.
type memoryFaults struct {
	mu    sync.Mutex
	seq   int
	armed []*Fault
}

func (f *memoryFaults) Arm(_ context.Context, fault Fault) (Fault, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	fault.ID = fmt.Sprintf("flt_%d", f.seq)
	f.armed = append(f.armed, &fault)
	return fault, nil
}

func (f *memoryFaults) Take(_ context.Context, operationID string) (Fault, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fault := range f.armed {
		if fault.OperationID != operationID {
			continue
		}
		fault.Remaining--
		taken := *fault
		if fault.Remaining <= 0 {
			f.armed = append(f.armed[:i], f.armed[i+1:]...)
		}
		return taken, true, nil
	}
	return Fault{}, false, nil
}

func (f *memoryFaults) List(context.Context) ([]Fault, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.armed))
	for _, fault := range f.armed {
		out = append(out, *fault)
	}
	return out, nil
}

func (f *memoryFaults) Clear(context.Context) error {
	f.mu.Lock()
	f.armed = nil
	f.mu.Unlock()
	return nil
}
