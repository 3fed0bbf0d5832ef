package stack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/stack"
)

func TestRunDevStackRegistersTheLocalComponents(t *testing.T) {
	run := stacktest.RunProgram(t, stacktest.Options{Stack: "dev"}, stack.Run)
	if run.Err != nil {
		t.Fatalf("stack.Run with Pulumi.dev.yaml: %v", run.Err)
	}
	for _, typ := range []string{"foodtrucks:local:Network", "foodtrucks:local:Storage", "foodtrucks:local:Search", "foodtrucks:local:Web"} {
		if len(run.OfType(typ)) != 1 {
			t.Errorf("want one %s, got %d; tree:\n%s", typ, len(run.OfType(typ)), run.Tree())
		}
	}
}

func TestDeployReturnsTheDevOutputs(t *testing.T) {
	var outputs stack.Outputs
	run := stacktest.RunProgram(t, stacktest.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		cfg, err := loadValid(ctx)
		if err != nil {
			return err
		}
		outputs, err = stack.Deploy(ctx, cfg)
		return err
	})
	if run.Err != nil {
		t.Fatal(run.Err)
	}
	want := []string{"esImage", "networkName", "url", "volumeName", "webImage", "webUrls"}
	if got := outputs.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outputs = %v, want %v (esEndpoint only when published)", got, want)
	}
	url := stacktest.Await(t, pulumi.ToOutput(outputs["url"]))
	if url.Value != "http://127.0.0.1:8080/" {
		t.Errorf("url = %v, want http://127.0.0.1:8080/", url.Value)
	}
}

// A bad value in a copy of the real stack file stops the program before any
// resource is registered, and the message names the key.
func TestRunFailsOnABadValueInACopyOfEachStackFile(t *testing.T) {
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stack, line, want string
	}{
		{"dev", "  foodtrucks:webPort: 70000\n", "webPort: 70000 is not a port (1–65535)"},
		{"dev", "  foodtrucks:esHeapMb: 900\n", "esHeapMb: 900 is more than half of esMemoryMb (1024); use at most 512"},
		{"prod", "  foodtrucks:webReplicas: 0\n", "webReplicas: 0 must be at least 1"},
		{"dev", "  foodtrucks:localBindAddress: localhost\n", `localBindAddress: "localhost" is not an IP address`},
		{"dev", "  foodtrucks:searchMaxInFlight: 20000\n", "searchMaxInFlight: 20000 must be between 0 (no bound) and 10000 (the app's limit)"},
		{"prod", "  foodtrucks:searchCacheMb: 600\n", "searchCacheMb: 600 is more than half of the web app's memory (960 MiB: awsWebMemoryMb 1024 less the Service Connect proxy's 64); use at most 480"},
	} {
		t.Run(tc.stack+"/"+strings.TrimSpace(tc.line), func(t *testing.T) {
			original, err := os.ReadFile(filepath.Join(root, "Pulumi."+tc.stack+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			broken := filepath.Join(t.TempDir(), "Pulumi."+tc.stack+".yaml")
			if err := os.WriteFile(broken, []byte(withLine(string(original), tc.line)), 0o644); err != nil {
				t.Fatal(err)
			}
			run := stacktest.RunProgram(t, stacktest.Options{Stack: tc.stack, StackFile: broken}, stack.Run)
			if run.Err == nil || !strings.Contains(run.Err.Error(), tc.want) {
				t.Fatalf("stack.Run with %q added to Pulumi.%s.yaml: err = %v, want it to contain %q", strings.TrimSpace(tc.line), tc.stack, run.Err, tc.want)
			}
			t.Logf("Pulumi.%s.yaml + %q:\n%v", tc.stack, strings.TrimSpace(tc.line), run.Err)
			if n := len(run.Resources()); n != 0 {
				t.Errorf("%d resources registered despite the config error:\n%s", n, run.Tree())
			}
		})
	}
}

// withLine sets one "  key: value" line in a stack file, replacing the
// key's line if the file already has one.
func withLine(stackFile, line string) string {
	key := line[:strings.LastIndex(line, ": ")+1] // "  foodtrucks:webPort:"
	var kept []string
	for _, l := range strings.SplitAfter(stackFile, "\n") {
		if !strings.HasPrefix(l, key) {
			kept = append(kept, l)
		}
	}
	out := strings.Join(kept, "")
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out + line
}
