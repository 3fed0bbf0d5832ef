package repotest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/repotest"
)

func TestRootIsTheFolderWithGoMod(t *testing.T) {
	root, err := repotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("Root() = %s, which has no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "Pulumi.yaml")); err != nil {
		t.Errorf("Root() = %s, which has no Pulumi.yaml: %v", root, err)
	}
}

func TestSampleDirFollowsTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FOODTRUCKS_SAMPLE_DATA", dir)
	got, err := repotest.SampleDir()
	if err != nil || got != dir {
		t.Errorf("SampleDir() = %q, %v; want %q", got, err, dir)
	}

	t.Setenv("FOODTRUCKS_SAMPLE_DATA", "")
	root, _ := repotest.Root()
	got, err = repotest.SampleDir()
	if want := filepath.Join(filepath.Dir(root), "shared", "data"); err != nil || got != want {
		t.Errorf("without the variable SampleDir() = %q, %v; want %q", got, err, want)
	}
}

func TestSampleDataFindsAFileInTheSampleDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rows.json"), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FOODTRUCKS_SAMPLE_DATA", dir)
	if got := repotest.SampleData(t, "rows.json"); got != filepath.Join(dir, "rows.json") {
		t.Errorf("SampleData = %q", got)
	}
}
