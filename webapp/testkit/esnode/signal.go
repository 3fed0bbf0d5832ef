package esnode

import (
	"errors"
	"os"
)

// Signal sends sig to the node's process, for tests that stage a fault
// the node cannot stage by itself: SIGSTOP leaves it hung with its socket
// open (connections are accepted by the kernel, nothing answers), SIGCONT
// lets it go on. Only a node this process started can be signalled.
func (n *Node) Signal(sig os.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return errors.New("esnode: the node is not running (or was given by URL)")
	}
	return n.cmd.Process.Signal(sig)
}
