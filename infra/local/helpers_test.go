package local_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/local"
)

const (
	typeNetwork     = "docker:index/network:Network"
	typeVolume      = "docker:index/volume:Volume"
	typeRemoteImage = "docker:index/remoteImage:RemoteImage"
	typeImage       = "docker:index/image:Image"
	typeContainer   = "docker:index/container:Container"
)

// devRun is the dev stack as the mocks saw it.
type devRun struct {
	*stacktest.Run
	Outputs *local.Outputs
}

// runDev runs the dev stack (Pulumi.yaml + Pulumi.dev.yaml, then the
// overrides) under mocks: Load, Validate, Deploy — what stack.Run does.
// With localDevMode it runs in a project folder of the test's own that holds
// a dev build (devModeRoot).
func runDev(t *testing.T, overrides map[string]any, secrets map[string]string) devRun {
	t.Helper()
	run := runDevIn(t, "", overrides, secrets)
	if run.Err != nil {
		t.Fatalf("dev stack with overrides %v: %v", overrides, run.Err)
	}
	return run
}

// runDevIn is runDev in the project folder root ("": this repository, or
// devModeRoot with localDevMode), returning the program's error.
func runDevIn(t *testing.T, root string, overrides map[string]any, secrets map[string]string) devRun {
	t.Helper()
	if root == "" && overrides["localDevMode"] == true {
		root = devModeRoot(t, true)
	}
	var out *local.Outputs
	run := stacktest.RunProgram(t, stacktest.Options{Stack: "dev", Root: root, Overrides: overrides, Secrets: secrets},
		func(ctx *pulumi.Context) error {
			cfg, err := config.Load(ctx)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			out, err = local.Deploy(ctx, cfg)
			return err
		})
	return devRun{Run: run, Outputs: out}
}

// devModeRoot is a project folder of the test's own for localDevMode: the
// repository's Pulumi.yaml, Pulumi.dev.yaml and UI sources, and, with
// built, a stand-in file where `make dev-build` puts the server, so the
// user's own dev build is never read or written.
func devModeRoot(t *testing.T, built bool) string {
	t.Helper()
	src := repoRoot(t)
	root := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "webapp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "webapp", "ui"), filepath.Join(root, "webapp", "ui")); err != nil {
		t.Fatal(err)
	}
	if built {
		bin := filepath.Join(root, local.DevBinDir)
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, local.DevBinaryName), []byte("a stand-in for the dev build"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not a list", v, v)
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = fmt.Sprint(e)
	}
	return out
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v (%T) is not an object", v, v)
	}
	return m
}

func objs(t *testing.T, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not a list", v, v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = obj(t, e)
	}
	return out
}

func num(t *testing.T, v any) int {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return int(f)
}

func requireContainsAll(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s lacks %q; have %q", what, w, got)
		}
	}
}
