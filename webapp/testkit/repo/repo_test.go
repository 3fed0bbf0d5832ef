package repo_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

func TestRootIsTheFolderWithGoMod(t *testing.T) {
	root, err := repo.Root()
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
	got, err := repo.SampleDir()
	if err != nil || got != dir {
		t.Errorf("SampleDir() = %q, %v; want %q", got, err, dir)
	}

	t.Setenv("FOODTRUCKS_SAMPLE_DATA", "")
	root, _ := repo.Root()
	got, err = repo.SampleDir()
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
	if got := repo.SampleData(t, "rows.json"); got != filepath.Join(dir, "rows.json") {
		t.Errorf("SampleData = %q", got)
	}
}

// recorder is a testing.TB that keeps what a helper reported instead of
// failing the test that runs it; Fatalf ends the helper as it would a test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, format)
	runtime.Goexit()
}
func (r *recorder) Helper() {}

// golden runs repo.Golden on a goroutine of its own (Fatalf ends it) and
// returns what it reported.
func golden(t *testing.T, path string, got []byte) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		repo.Golden(r, path, got)
	}()
	<-done
	return r.errors
}

func TestGoldenReportsADifferenceAndAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "want.txt")
	if err := os.WriteFile(path, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if errs := golden(t, path, []byte("one\n")); len(errs) != 0 {
		t.Errorf("equal output reported: %v", errs)
	}
	if errs := golden(t, path, []byte("two\n")); len(errs) != 1 {
		t.Errorf("a different output reported %d errors, want 1", len(errs))
	}
	if errs := golden(t, path+".absent", []byte("one\n")); len(errs) != 1 {
		t.Errorf("a missing golden file reported %d errors, want 1", len(errs))
	}
}

func TestCopyFileKeepsContentAndMode(t *testing.T) {
	dir := t.TempDir()
	from := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(from, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "sub", "run.sh")
	if err := repo.CopyFile(from, to); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(to)
	st, serr := os.Stat(to)
	if err != nil || serr != nil || string(got) != "#!/bin/sh\n" || st.Mode().Perm() != 0o755 {
		t.Errorf("copy: %q %v, mode %v %v", got, err, st.Mode(), serr)
	}
}
