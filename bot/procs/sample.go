package procs

import "time"

// Reader reads Samples of this process: its CPU time from the system.
type Reader struct{}

// NewReader returns a Reader.
func NewReader() *Reader { return &Reader{} }

// Read returns the process's CPU time now; false when this system gives
// none.
func (r *Reader) Read() (Sample, bool) {
	cpu, ok := cpuTime()
	if !ok {
		return Sample{}, false
	}
	return Sample{At: time.Now(), CPU: cpu}, true
}
