// Package repotest finds, for tests and test tools, the repository checkout
// and the city's sample permit data that lies beside it (../shared/data):
// data the repository uses but does not carry.
package repotest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Root walks up from the working directory (go test runs in the package's
// directory) to the folder holding go.mod, where Pulumi.yaml lives too.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// SampleDir is the folder of the sample data: $FOODTRUCKS_SAMPLE_DATA when
// set, else ../shared/data next to the repository.
func SampleDir() (string, error) {
	if dir := os.Getenv("FOODTRUCKS_SAMPLE_DATA"); dir != "" {
		return filepath.Abs(dir)
	}
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), "shared", "data"), nil
}

// SampleData is the absolute path of one sample file. Without it the test
// is skipped with a message saying where it looked, or fails when
// FOODTRUCKS_SAMPLE_DATA_REQUIRED=1 (CI always has the data).
func SampleData(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := SampleDir()
	if err == nil {
		path := filepath.Join(dir, name)
		if _, err = os.Stat(path); err == nil {
			return path
		}
	}
	if os.Getenv("FOODTRUCKS_SAMPLE_DATA_REQUIRED") == "1" {
		tb.Fatalf("sample data %s is required (FOODTRUCKS_SAMPLE_DATA_REQUIRED=1) but missing: %v", name, err)
	}
	tb.Skipf("SKIPPING: sample data %s not found (%v); set FOODTRUCKS_SAMPLE_DATA to the folder holding it", name, err)
	return ""
}
