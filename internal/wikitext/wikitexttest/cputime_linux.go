//go:build linux

package wikitexttest

import (
	"time"

	"golang.org/x/sys/unix"
)

// CPUTime returns the CPU time the process has used so far (all its threads, the
// garbage collector's included). Timings taken with it are those of the work done, not
// of the other programs that share a busy machine.
func CPUTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ts.Nano())
}
