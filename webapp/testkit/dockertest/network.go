package dockertest

import (
	"context"
	"strings"
	"testing"
)

// CreateNetwork creates a user-defined bridge network, on which containers
// find each other by name and alias, and removes it when the test ends. It
// returns the network's name: name with the test's name before it and a
// random suffix after it.
func CreateNetwork(tb testing.TB, name string) string {
	tb.Helper()
	Require(tb)
	full := uniqueName(tb, name)
	args := []string{"network", "create", "--driver", "bridge"}
	for k, v := range testLabels(tb) {
		args = append(args, "--label", k+"="+v)
	}
	// Registered before creating: cleanups run last-in first-out, so the
	// containers a test later attaches are removed before their network.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		if _, err := Docker(ctx, "network", "rm", full); err != nil && !strings.Contains(err.Error(), "No such network") &&
			!strings.Contains(err.Error(), "not found") {
			tb.Errorf("removing network %s: %v", full, err)
		}
	})
	docker(tb, append(args, full)...)
	return full
}
