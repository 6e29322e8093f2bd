//go:build e2e && !linux

package e2e

import "os/exec"

// dieWithTest does nothing here: only Linux can tie a child's life to its parent's.
func dieWithTest(cmd *exec.Cmd) {}
