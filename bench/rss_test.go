package bench

import (
	"os"
	"syscall"
)

// childMaxRSS is the peak RSS in KiB of a child process that has exited,
// from its rusage: the child's own, not the benchmark's.
func childMaxRSS(state *os.ProcessState) int64 {
	if state == nil {
		return 0
	}
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss // KiB on Linux
	}
	return 0
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
