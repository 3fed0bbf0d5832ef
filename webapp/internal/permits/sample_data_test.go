package permits

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	sampleJSON = "sf-mobile-food-permits.json"
	sampleCSV  = "sf-mobile-food-permits.sample.csv"
)

// samplePath finds one of the city's sample files, which live beside the
// repository (they are the city's data, not ours to commit): in
// $FOODTRUCKS_SAMPLE_DATA, or else in ../shared/data next to the repository
// root. The test is skipped, saying where it looked, when the file is absent.
func samplePath(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("FOODTRUCKS_SAMPLE_DATA")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Skipf("sample data: %v; set FOODTRUCKS_SAMPLE_DATA to the directory holding %s", err, name)
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("sample data %s not found (%v); set FOODTRUCKS_SAMPLE_DATA to the directory holding it", path, err)
	}
	return path
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot() (string, error) {
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
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
