package host

import (
	"os/exec"
	"syscall"
)

// setDeathSignal asks the kernel to SIGKILL the plugin when the host dies, so
// even a SIGKILLed hub leaves no orphan connector behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
