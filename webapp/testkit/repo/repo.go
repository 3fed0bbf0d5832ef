// Package repo is the test support every tree shares: it finds the
// repository checkout and the city's sample permit data that lies beside it
// (../shared/data, data the repository uses but does not carry), compares
// output with golden files, and copies files.
package repo

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// updateGolden rewrites golden files instead of comparing with them:
// go test ./webapp/... -update-golden. (Not -update: a package of the
// other tree that imports this one keeps its own flag of that name.)
var updateGolden = flag.Bool("update-golden", false, "rewrite the golden files instead of comparing with them")

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

// MustRoot is Root, failing the test when there is no checkout.
func MustRoot(tb testing.TB) string {
	tb.Helper()
	root, err := Root()
	if err != nil {
		tb.Fatal(err)
	}
	return root
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

// Golden compares got with the file at path, or rewrites the file under
// -update-golden. Callers make got readable first (indented JSON), so a
// change shows as a diff a reviewer can read.
func Golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -update-golden creates it)", err)
	}
	if !bytes.Equal(want, got) {
		tb.Errorf("output differs from %s (go test -update-golden rewrites it after review)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// CopyFile copies the file from to the path to, creating its folder, with
// from's permissions.
func CopyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
