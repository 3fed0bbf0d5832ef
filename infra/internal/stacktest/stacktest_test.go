package stacktest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestStackConfigMergesLikeTheCLI(t *testing.T) {
	cfg, err := StackConfig("testdata", "testdata/Pulumi.test.yaml",
		map[string]any{"appName": "trucks", "esSecurity": true},
		map[string]string{"esPassword": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"foodtrucks:webPort":    "8080",                    // stack file over default
		"foodtrucks:subnets":    `["subnet-a","subnet-b"]`, // arrays as JSON
		"aws:region":            "eu-west-1",               // other namespaces pass through
		"foodtrucks:appName":    "trucks",                  // test override over default
		"foodtrucks:esSecurity": "true",
		"foodtrucks:esPassword": "s3cret",
	}
	if !reflect.DeepEqual(cfg.Values, want) {
		t.Errorf("Values = %v\nwant %v", cfg.Values, want)
	}
	if !reflect.DeepEqual(cfg.SecretKeys, []string{"foodtrucks:esPassword"}) {
		t.Errorf("SecretKeys = %v", cfg.SecretKeys)
	}
	env, keys := cfg.JSON()
	if !strings.Contains(env, `"foodtrucks:webPort":"8080"`) || keys != `["foodtrucks:esPassword"]` {
		t.Errorf("PULUMI_CONFIG = %s, PULUMI_CONFIG_SECRET_KEYS = %s", env, keys)
	}
}

func TestStackConfigAppliesDefaultsWithoutAStackFile(t *testing.T) {
	cfg, err := StackConfig("testdata", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Values["foodtrucks:webPort"] != "5000" || cfg.Values["foodtrucks:subnets"] != "[]" || cfg.Values["foodtrucks:esPassword"] != "" {
		t.Errorf("defaults not applied: %v", cfg.Values)
	}
}

func TestStackConfigAsksForThePlaintextOfEncryptedValues(t *testing.T) {
	_, err := StackConfig("testdata", "testdata/Pulumi.encrypted.yaml", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "esPassword is encrypted; pass its plaintext to the test as a secret") {
		t.Errorf("err = %v", err)
	}
	cfg, err := StackConfig("testdata", "testdata/Pulumi.encrypted.yaml", nil, map[string]string{"esPassword": "pw1234"})
	if err != nil || cfg.Values["foodtrucks:esPassword"] != "pw1234" {
		t.Errorf("with the plaintext given: %v, %v", cfg.Values, err)
	}
}

func TestRepoRootHoldsGoModAndPulumiYaml(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StackConfig(root, "", nil, nil); err != nil {
		t.Errorf("the project's own Pulumi.yaml: %v", err)
	}
}

func TestImageDigestFollowsItsInputs(t *testing.T) {
	digestOf := func(dockerfile string) string {
		res := &Resource{Type: "docker:index/image:Image", Inputs: map[string]any{
			"imageName": "web:latest", "build": map[string]any{"context": "..", "dockerfile": dockerfile},
		}}
		return standardOutputs(res)["repoDigest"].(string)
	}
	a, b := digestOf("../webapp/Dockerfile"), digestOf("../other/Dockerfile")
	if !strings.HasPrefix(a, "sha256:") || len(a) != len("sha256:")+64 {
		t.Errorf("repoDigest %q is not a local image ID", a)
	}
	if a == b || a != digestOf("../webapp/Dockerfile") {
		t.Errorf("digest must be stable for equal inputs and change with them: %s %s", a, b)
	}
}

func TestRecorderRecordsTreeOptionsAndSecrets(t *testing.T) {
	type component struct{ pulumi.ResourceState }
	invoked := map[string]any{}
	run := RunProgram(t, Options{
		Stack: "dev",
		Invokes: map[string]InvokeFunc{"test:index:answer": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			invoked["q"] = args["q"].StringValue()
			return resource.NewPropertyMapFromMap(map[string]any{"a": 42}), nil
		}},
	}, func(ctx *pulumi.Context) error {
		c := &component{}
		if err := ctx.RegisterComponentResource("test:index:Box", "box", c); err != nil {
			return err
		}
		var first pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:Thing", "first", pulumi.Map{"n": pulumi.Int(1)}, &first, pulumi.Parent(c)); err != nil {
			return err
		}
		var second pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:Thing", "second", pulumi.Map{
			"secret": pulumi.ToSecret(pulumi.String("hush")),
		}, &second, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{&first}),
			pulumi.Protect(true), pulumi.RetainOnDelete(true), pulumi.IgnoreChanges([]string{"n"})); err != nil {
			return err
		}
		var out struct {
			A int `pulumi:"a"`
		}
		if err := ctx.Invoke("test:index:answer", map[string]any{"q": "why"}, &out); err != nil {
			return err
		}
		if out.A != 42 {
			return errors.New("canned invoke result not delivered")
		}
		return ctx.Invoke("test:index:unknown", nil, &out)
	})
	if run.Err == nil || !strings.Contains(run.Err.Error(), "no canned result for invoke test:index:unknown") {
		t.Errorf("unknown invoke: err = %v", run.Err)
	}
	if invoked["q"] != "why" {
		t.Errorf("invoke args = %v", invoked)
	}
	first, second := run.Must(t, "test:index:Thing", "first"), run.Must(t, "test:index:Thing", "second")
	if first.ParentName != "box" || !first.Custom || run.Must(t, "test:index:Box", "box").Custom {
		t.Errorf("parent %q custom %v", first.ParentName, first.Custom)
	}
	if !reflect.DeepEqual(second.DependsOn, []string{first.URN}) || !second.Protect || !second.RetainOnDelete ||
		!reflect.DeepEqual(second.IgnoreChanges, []string{"n"}) {
		t.Errorf("options not recorded: %+v", second)
	}
	if second.Inputs["secret"] != "hush" || !reflect.DeepEqual(second.SecretInputs, []string{"secret"}) {
		t.Errorf("secret input %v, secret keys %v", second.Inputs["secret"], second.SecretInputs)
	}
	if tree := run.Tree(); !strings.Contains(tree, "test:index:Box  box  (component)\n    test:index:Thing  first  (custom)") {
		t.Errorf("tree:\n%s", tree)
	}
}

// Tried: a `pulumi` on PATH with the Go language host beside it, as the
// official installer lays it out. The tests must not pick that CLI (its
// `make up` would deploy for real), and the environment commands get must
// not lead the CLI to that host either.
func TestCLIPassesOverACLIWithTheGoLanguageHost(t *testing.T) {
	official := t.TempDir()
	for _, name := range []string{"pulumi", "pulumi-language-go"} {
		if err := os.WriteFile(filepath.Join(official, name), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PULUMI", filepath.Join(official, "pulumi"))
	t.Setenv("PATH", official+string(os.PathListSeparator)+os.Getenv("PATH"))
	if got := pathWithoutLanguageHost(); slices.Contains(filepath.SplitList(got), official) {
		t.Errorf("PATH for the commands still holds the language host's folder %s: %s", official, got)
	}
	ran := false
	t.Run("pick", func(t *testing.T) {
		ran = true
		if cli := CLI(t); filepath.Dir(cli) == official {
			t.Errorf("CLI() chose %s, which has the Go language host beside it", cli)
		}
	})
	if !ran {
		t.Fatal("the subtest did not run")
	}
}
