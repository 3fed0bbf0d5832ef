package esnode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// Environment variables read by Shared.
const (
	// EnvURL names a running Elasticsearch to use instead of starting one.
	EnvURL = "ESNODE_URL"
	// EnvRequired set to 1 (as CI does) turns "node unavailable" from a skip
	// into a failure.
	EnvRequired = "ESNODE_REQUIRED"
	// EnvLog set to 1 copies the node's log lines to stderr.
	EnvLog = "ESNODE_LOG"
)

var shared struct {
	mu      sync.Mutex
	node    *Node
	err     error
	tried   bool
	dataDir string
}

// Shared returns the test binary's one node, starting it on first use. With
// ESNODE_URL set it returns a Node for that server instead (Restart is then
// unavailable). When the node cannot be had it skips the test loudly, or
// fails it when ESNODE_REQUIRED=1. Call StopShared from TestMain.
func Shared(tb testing.TB) *Node {
	tb.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return &Node{URL: strings.TrimRight(url, "/")}
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.tried {
		shared.tried = true
		shared.node, shared.err = startShared()
	}
	if shared.err != nil {
		Unavailable(tb, shared.err)
	}
	return shared.node
}

// Unavailable ends a test that needs a node it could not get: a skip with a
// message nobody can miss, or a failure under ESNODE_REQUIRED=1 or when the
// node was there but failed to start.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, ErrUnavailable) {
		tb.Fatalf("real Elasticsearch node failed: %v", err)
	}
	msg := fmt.Sprintf("\n*** REAL ELASTICSEARCH NODE NOT AVAILABLE: %v ***\n*** run `make esnode` (or set %s=http://host:9200) ***", err, EnvURL)
	if os.Getenv(EnvRequired) == "1" {
		tb.Fatal(msg + "\n*** " + EnvRequired + "=1: failing instead of skipping ***")
	}
	tb.Skip(msg)
}

func startShared() (*Node, error) {
	dir, err := os.MkdirTemp("", "esnode-data-")
	if err != nil {
		return nil, err
	}
	shared.dataDir = dir
	opts := Options{DataDir: dir}
	if os.Getenv(EnvLog) == "1" {
		opts.Log = os.Stderr
	}
	n, err := Start(context.Background(), opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return n, nil
}

// StopShared stops the shared node, if one was started, and removes its data.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.node != nil {
		shared.node.Close()
		shared.node = nil
	}
	if shared.dataDir != "" {
		os.RemoveAll(shared.dataDir)
		shared.dataDir = ""
	}
}

// Main runs a test binary's tests and then stops its shared node. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(esnode.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}
