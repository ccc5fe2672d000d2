package procs

import "time"

// ReadSelf returns this process's CPU time now; false when this system
// gives none (the Governor then stays off).
func ReadSelf() (Sample, bool) {
	cpu, ok := cpuTime()
	if !ok {
		return Sample{}, false
	}
	return Sample{At: time.Now(), CPU: cpu}, true
}
