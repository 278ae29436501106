//go:build !linux

package routing

// threadCPU is unavailable off Linux; the benchmark then reports wall time only.
func threadCPU() (int64, bool) { return 0, false }
