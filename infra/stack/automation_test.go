package stack_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// configProbe is the configuration stage of stack.Run (Load, then
// Validate) as a program that registers nothing: it exports the raw value
// of every key it is asked about and the typed configuration it built.
func configProbe(keys []string, typed *config.Config) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		raw := pulumi.StringMap{}
		for _, k := range keys {
			if v, ok := ctx.GetConfig(k); ok {
				raw[k] = pulumi.String(v)
			}
		}
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		if typed != nil {
			*typed = cfg
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		ctx.Export("raw", raw)
		ctx.Export("config", pulumi.String(string(b)))
		return nil
	}
}

// Under mocks nobody applies Pulumi.yaml's defaults or reads the stack file;
// stacktest.StackConfig does that in place of the CLI. Here the real CLI
// runs a real `pulumi up` of the configuration stage (Automation API,
// inline program, in a clone of the project with its own Pulumi.yaml and
// stack files): what the program receives from the CLI must be what the
// harness hands the mocked runs, key by key and as the typed Config.
func TestTheCLIHandsTheProgramTheConfigTheMocksHarnessBuilds(t *testing.T) {
	cli := stacktest.CLI(t)
	clone := stacktest.NewClone(t, cli)
	// Automation finds the CLI as <root>/bin/pulumi.
	cliRoot := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cliRoot, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cli, filepath.Join(cliRoot, "bin", "pulumi")); err != nil {
		t.Fatal(err)
	}
	command, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cliRoot, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}

	for _, tc := range []struct {
		stack, passphrase string
		secrets           map[string]string
	}{
		{"dev", "", map[string]string{"esPassword": "probe-dev-pw"}},
		{"prod", "probe-prod-passphrase", map[string]string{"esPassword": "probe-prod-pw"}},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			harness, err := stacktest.StackConfig(clone.Dir, filepath.Join(clone.Dir, "Pulumi."+tc.stack+".yaml"), nil, tc.secrets)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, 0, len(harness.Values))
			for k := range harness.Values {
				keys = append(keys, k)
			}
			sort.Strings(keys)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			st, err := auto.UpsertStackInlineSource(ctx, tc.stack, clone.Project, configProbe(keys, nil),
				auto.WorkDir(clone.Dir), auto.Pulumi(command),
				auto.EnvVars(map[string]string{
					"HOME": clone.Home, "PULUMI_HOME": filepath.Join(clone.Home, ".pulumi"),
					"PULUMI_CONFIG_PASSPHRASE": tc.passphrase, "PULUMI_SKIP_UPDATE_CHECK": "true",
				}))
			if err != nil {
				t.Fatalf("stack %s: %v", tc.stack, err)
			}
			for k, v := range tc.secrets {
				if err := st.SetConfig(ctx, k, auto.ConfigValue{Value: v, Secret: true}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := st.Up(ctx)
			if err != nil {
				t.Fatalf("pulumi up (inline) of stack %s: %v", tc.stack, err)
			}
			t.Logf("pulumi up of the configuration stage, stack %s:\n%s", tc.stack, res.StdOut)

			fromCLI := map[string]string{}
			for k, v := range res.Outputs["raw"].Value.(map[string]any) {
				fromCLI[k] = v.(string)
			}
			if !reflect.DeepEqual(fromCLI, harness.Values) {
				for _, k := range keys {
					if fromCLI[k] != harness.Values[k] {
						t.Errorf("%s: the CLI gives %q, the harness %q", k, fromCLI[k], harness.Values[k])
					}
				}
			}

			var viaCLI, viaMocks config.Config
			if err := json.Unmarshal([]byte(res.Outputs["config"].Value.(string)), &viaCLI); err != nil {
				t.Fatal(err)
			}
			// The clone's own project; and localPlatform as the CLI gives it (empty), not
			// the mocked runs' stand-in for the engine's answer.
			run := stacktest.RunProgram(t, stacktest.Options{Stack: tc.stack, Root: clone.Dir, Secrets: tc.secrets,
				Overrides: map[string]any{"localPlatform": ""}}, configProbe(keys, &viaMocks))
			if run.Err != nil {
				t.Fatalf("the same program under mocks: %v", run.Err)
			}
			if !reflect.DeepEqual(viaCLI, viaMocks) {
				t.Errorf("typed config:\nfrom the CLI: %+v\nunder mocks:  %+v", viaCLI, viaMocks)
			}
		})
	}
}
