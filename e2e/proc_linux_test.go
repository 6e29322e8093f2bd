//go:build e2e && linux

package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill the server when the test binary dies (a panic, or go
// test's -timeout), so no server outlives its test.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
