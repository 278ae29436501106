//go:build linux

package routing

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time (user and system) the calling OS thread has
// used; with the goroutine locked to its thread it measures work done, not
// time spent waiting for a core on a busy machine.
func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
