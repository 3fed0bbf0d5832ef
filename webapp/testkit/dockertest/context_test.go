package dockertest_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// The web image's context is the repository root, kept small by the root
// .dockerignore. This builds a probe Dockerfile that copies
// the whole context, under the same ignore rules, and exports the result to a
// directory: what lands there is exactly what a build of webapp/Dockerfile
// receives.
func TestBuildContextHoldsOnlyWhatTheBuildReads(t *testing.T) {
	dockertest.Require(t)
	root := repo.MustRoot(t)
	rules, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	probe := t.TempDir()
	if err := os.WriteFile(filepath.Join(probe, "probe.Dockerfile"), []byte("FROM scratch\nCOPY . /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(probe, "probe.Dockerfile.dockerignore"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "context")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	progress, err := dockertest.Build(ctx, "--progress=plain", "-f", filepath.Join(probe, "probe.Dockerfile"),
		"--output", "type=local,dest="+out, root)
	if err != nil {
		t.Fatal(err)
	}

	var files []string
	var size int64
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		rel = filepath.ToSlash(rel)
		files = append(files, rel)
		info, err := d.Info()
		if !strings.HasPrefix(rel, "bin/") { // the offline path's binary, when make image left one
			size += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, f := range files {
		has[f] = true
	}
	for _, need := range []string{"go.mod", "go.sum", "webapp/ui/ui.go", "webapp/ui/static/index.html"} {
		if !has[need] {
			t.Errorf("context lacks %s, which the build reads", need)
		}
	}
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, "_test.go"), strings.Contains(f, "/testdata/"),
			strings.HasPrefix(f, "webapp/testkit/"):
			t.Errorf("context holds %s, which only tests use", f)
		case !strings.HasPrefix(f, "webapp/") && f != "go.mod" && f != "go.sum" &&
			f != "bin/foodtrucks" && f != "bin/ca-certificates.crt":
			t.Errorf("context holds %s, outside what the Dockerfile copies", f)
		}
	}

	// BuildKit sends only what changed since its last transfer of this
	// directory, so its own figure is at most the full size.
	t.Logf("context: %d files, %d kB of sources; BuildKit transferred %d kB of it this time",
		len(files), size/1000, contextBytes(t, progress)/1000)
	const limit = 5_000_000 // the UI with its vendored map library is well under this
	if size > limit {
		t.Errorf("context holds %d bytes of sources, more than %d", size, limit)
	}
}

var transferred = regexp.MustCompile(`transferring context: ([0-9.]+)([kMG]?B)`)

// contextBytes reads BuildKit's "transferring context: 261.35kB" lines; the
// largest is the build context (the smaller one is the Dockerfile).
func contextBytes(t *testing.T, progress string) int64 {
	t.Helper()
	var largest int64 = -1
	for _, m := range transferred.FindAllStringSubmatch(progress, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		v *= map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m[2]]
		largest = max(largest, int64(v))
	}
	if largest < 0 {
		t.Fatalf("no context size in the build output:\n%s", progress)
	}
	return largest
}
