package loadtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of CPU times in /proc: 100 on
// every architecture Go supports there.
const clockTicks = 100

// procUsage is a process's CPU time and memory, read from /proc.
type procUsage struct {
	CPU time.Duration
	// RSS is the resident set now; PeakRSS the most it has been (VmHWM).
	RSS, PeakRSS int64
}

// errNoProc is returned where /proc is not there (not Linux).
var errNoProc = errors.New("loadtest: /proc is not available; CPU and memory figures need Linux")

// readUsage reads /proc/<pid>/stat and /proc/<pid>/status.
func readUsage(pid int) (procUsage, error) {
	var u procUsage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat("/proc/self"); serr != nil {
			return u, errNoProc
		}
	}
	if err != nil {
		return u, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return u, fmt.Errorf("loadtest: /proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 13 {
		return u, fmt.Errorf("loadtest: /proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return u, fmt.Errorf("loadtest: /proc/%d/stat: %w", pid, err)
	}
	u.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &u.RSS
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &u.PeakRSS
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			*dst = kb << 10
		}
	}
	return u, nil
}
