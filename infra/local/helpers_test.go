package local_test

import (
	"fmt"
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
func runDev(t *testing.T, overrides map[string]any, secrets map[string]string) devRun {
	t.Helper()
	var out *local.Outputs
	run := stacktest.RunProgram(t, stacktest.Options{Stack: "dev", Overrides: overrides, Secrets: secrets},
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
	if run.Err != nil {
		t.Fatalf("dev stack with overrides %v: %v", overrides, run.Err)
	}
	return devRun{Run: run, Outputs: out}
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
