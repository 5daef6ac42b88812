//go:build unix

package store

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used so far, on every core
// (user and system): the ingest benchmarks report it per event, a figure
// that other work on a shared machine moves less than the rate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
