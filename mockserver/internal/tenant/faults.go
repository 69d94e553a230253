package tenant

import (
	"fmt"
	"sync"
	"time"
)

// Fault forces an error code and/or latency on the next Remaining calls of an operation.
type Fault struct {
	ID          string
	OperationID string
	ErrorCode   string
	Latency     time.Duration
	Remaining   int
}

// Faults are a tenant's armed faults.
type Faults struct {
	mu    sync.Mutex
	seq   int
	armed []*Fault
}

// Arm adds a fault and returns it with its id.
func (f *Faults) Arm(fault Fault) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	fault.ID = fmt.Sprintf("flt_%d", f.seq)
	f.armed = append(f.armed, &fault)
	return fault
}

// Take consumes one call of the first armed fault for operationID.
func (f *Faults) Take(operationID string) (Fault, bool) {
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
		return taken, true
	}
	return Fault{}, false
}

// List returns the armed faults.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.armed))
	for _, fault := range f.armed {
		out = append(out, *fault)
	}
	return out
}

// Clear disarms every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.armed = nil
	f.mu.Unlock()
}
