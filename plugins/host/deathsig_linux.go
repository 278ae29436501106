package host

import (
	"os/exec"
	"syscall"
)

// setDeathSignal asks the kernel to SIGKILL the plugin when the host dies, so
// even a SIGKILLed hub leaves no orphan connector behind. (The kernel sends it
// when the forking OS thread exits; the Go runtime keeps its threads for the
// life of the process unless a goroutine exits while locked to one, which the
// hub never does around a launch.)
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
