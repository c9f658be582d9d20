//go:build !linux

package wikitexttest

import "time"

var start = time.Now()

// CPUTime is the time since the program started where the process's CPU time is not
// read: timings taken with it include the waits of a busy machine.
func CPUTime() time.Duration { return time.Since(start) }
