package procs

import (
	"runtime/metrics"
	"time"
)

// schedLatencies is the runtime's histogram of how long runnable
// goroutines waited for a P.
const schedLatencies = "/sched/latencies:seconds"

// Reader reads Samples of this process: its CPU time from the system
// (cpuTime) and its scheduling latencies from runtime/metrics.
type Reader struct {
	buf []metrics.Sample
}

// NewReader returns a Reader.
func NewReader() *Reader {
	return &Reader{buf: []metrics.Sample{{Name: schedLatencies}}}
}

// Read returns the process's totals now; false when this system gives no
// CPU time or the runtime no scheduling latencies.
func (r *Reader) Read() (Sample, bool) {
	cpu, ok := cpuTime()
	if !ok {
		return Sample{}, false
	}
	metrics.Read(r.buf)
	if r.buf[0].Value.Kind() != metrics.KindFloat64Histogram {
		return Sample{}, false
	}
	h := r.buf[0].Value.Float64Histogram()
	s := Sample{At: time.Now(), CPU: cpu}
	for i, n := range h.Counts {
		s.Runs += n
		// Buckets[i] is the lower bound of Counts[i].
		if h.Buckets[i] >= SlowRun.Seconds() {
			s.Slow += n
		}
	}
	return s, true
}
