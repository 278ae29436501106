//go:build !linux

package host

import "os/exec"

// setDeathSignal does nothing where the kernel has no parent-death signal;
// Kill and CleanupClients still end the plugin on a normal exit.
func setDeathSignal(*exec.Cmd) {}
