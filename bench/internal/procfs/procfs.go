// Package procfs reads what the benchmarks measure of a process from /proc.
package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// RSS returns the resident set size (VmRSS) of process pid in KB.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("procfs: no VmRSS in /proc/%d/status", pid)
}
