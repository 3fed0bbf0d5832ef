package stack_test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// The declarations the CLI cannot judge: every key of the schema has a
// type, a default and a description and is not marked secret, and no stack
// file sets a key the schema does not declare (the program would never read
// it, so a typo would silently keep the default). Whether each value has its
// declared type is the CLI's own check, run for real in
// TestTheCLIsSchemaCheckPassesBothStackFilesAndStopsABadCopy.
func TestProjectAndStackFilesDeclareEveryKey(t *testing.T) {
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("Pulumi.yaml: %v", err)
	}
	if err := project.Validate(); err != nil {
		t.Fatalf("Pulumi.yaml: %v", err)
	}
	if project.Main != "infra/" || project.Runtime.Name() != "go" {
		t.Errorf("main %q runtime %q, want infra/ and go", project.Main, project.Runtime.Name())
	}
	for key, decl := range project.Config {
		if decl.TypeName() == "" || decl.Description == "" || decl.Default == nil {
			t.Errorf("Pulumi.yaml %s: declare type, default and description (the CLI refuses a stack without a value for a key with no default)", key)
		}
		if decl.Secret {
			t.Errorf("Pulumi.yaml %s: secret: true makes the CLI demand an encrypted value in every stack; the program enforces encryption instead", key)
		}
	}

	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, stack := range []string{"dev", "prod"} {
		file := filepath.Join(root, "Pulumi."+stack+".yaml")
		ps, err := workspace.LoadProjectStack(sink, project, file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for key := range ps.Config {
			if key.Namespace() != project.Name.String() {
				continue // provider keys such as aws:region
			}
			if _, declared := project.Config[key.Name()]; !declared {
				t.Errorf("Pulumi.%s.yaml sets %s, which Pulumi.yaml does not declare", stack, key)
			}
		}
		if target, _ := ps.Config[config.MustMakeKey(project.Name.String(), "target")].Value(config.NopDecrypter); target == "" {
			t.Errorf("Pulumi.%s.yaml does not set target", stack)
		}
	}
}
