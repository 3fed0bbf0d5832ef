//go:build !linux

package esnode

import "os/exec"

// setParentDeathSignal has no equivalent here; the node's stdin watch alone
// ends it when the test binary dies.
func setParentDeathSignal(cmd *exec.Cmd) {}
