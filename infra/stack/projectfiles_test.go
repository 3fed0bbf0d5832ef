package stack_test

import (
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// The CLI is absent here, so its own loaders (from the SDK) check what it
// would refuse: the project schema and its defaults' types, and each stack
// file's values against the declared types. A key the schema does not
// declare is also an error here: the program would never read it, so a typo
// would silently keep the default.
func TestProjectAndStackFilesPassTheCLIsChecks(t *testing.T) {
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
		for key, value := range ps.Config {
			if key.Namespace() != project.Name.String() {
				continue // provider keys such as aws:region
			}
			decl, declared := project.Config[key.Name()]
			if !declared {
				t.Errorf("Pulumi.%s.yaml sets %s, which Pulumi.yaml does not declare", stack, key)
				continue
			}
			if value.Secure() {
				continue // encrypted; its type is checked when decrypted
			}
			text, err := value.Value(config.NopDecrypter)
			if err != nil {
				t.Fatal(err)
			}
			var content any = text
			if value.Object() {
				if err := json.Unmarshal([]byte(text), &content); err != nil {
					t.Fatal(err)
				}
			}
			if !workspace.ValidateConfigValue(decl.TypeName(), decl.Items, content) {
				t.Errorf("Pulumi.%s.yaml %s = %q is not of type %s", stack, key, text, decl.TypeName())
			}
		}
		if target, _ := ps.Config[config.MustMakeKey(project.Name.String(), "target")].Value(config.NopDecrypter); target == "" {
			t.Errorf("Pulumi.%s.yaml does not set target", stack)
		}
	}
}
