package esnode

import (
	"context"
	"os"
	"strings"
	"testing"
)

// ForTest gives one test (and its subtests) a node of its own, stopped and
// removed in tb.Cleanup, so the test may stop and restart it freely. If one of
// urlVars (then ESNODE_URL) names a running Elasticsearch, that server is used
// instead and nothing is started; Owned then reports false. When no node can
// be had, ForTest skips loudly, or fails under ESNODE_REQUIRED=1.
func ForTest(tb testing.TB, urlVars ...string) *Node {
	tb.Helper()
	for _, name := range append(urlVars, EnvURL) {
		if url := strings.TrimRight(os.Getenv(name), "/"); url != "" {
			tb.Logf("using the Elasticsearch at %s (from %s)", url, name)
			return &Node{URL: url}
		}
	}
	opts := Options{DataDir: tb.TempDir()}
	if os.Getenv(EnvLog) == "1" {
		opts.Log = os.Stderr
	}
	n, err := Start(context.Background(), opts)
	if err != nil {
		Unavailable(tb, err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("stopping the Elasticsearch node: %v", err)
		}
	})
	tb.Logf("Elasticsearch %s node at %s started in %s", Version, n.URL, n.StartupTime.Round(1e6))
	return n
}

// Owned reports whether this process started the node (and so may stop or
// restart it), as opposed to one named by a URL.
func (n *Node) Owned() bool { return n.runDir != "" }
