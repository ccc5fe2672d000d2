//go:build !unix

package procs

import "time"

// cpuTime reads nothing here: the Governor stays off and the bot keeps
// every P.
func cpuTime() (time.Duration, bool) { return 0, false }
