package stack_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	_ "github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo" // registers -update-golden
)

// The markers around the configuration table in infra/README.md; what lies
// between them is generated from Pulumi.yaml and the two stack files.
const (
	configTableBegin = "<!-- configuration table: generated from Pulumi.yaml; " +
		"go test ./infra/stack/ -run TestConfigurationReference -update-golden rewrites it -->\n"
	configTableEnd = "<!-- end of the configuration table -->\n"
)

// The configuration reference a user reads is Pulumi.yaml's schema, so a
// key, default or description changed there and not in the README fails
// here; -update-golden rewrites the table.
func TestConfigurationReferenceIsPulumiYaml(t *testing.T) {
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readmePath := filepath.Join(root, "infra", "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(readme, []byte(configTableBegin))
	end := bytes.Index(readme, []byte(configTableEnd))
	if begin < 0 || end < begin {
		t.Fatalf("infra/README.md has no configuration table between %q and %q", configTableBegin, configTableEnd)
	}
	table, err := configurationTable(root)
	if err != nil {
		t.Fatal(err)
	}
	current := string(readme[begin+len(configTableBegin) : end])
	if current == table {
		return
	}
	if flag.Lookup("update-golden").Value.String() == "true" {
		var b bytes.Buffer
		b.Write(readme[:begin+len(configTableBegin)])
		b.WriteString(table)
		b.Write(readme[end:])
		if err := os.WriteFile(readmePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have := map[string]bool{}
	for _, row := range strings.SplitAfter(current, "\n") {
		have[row] = true
	}
	var missing []string
	for _, row := range strings.SplitAfter(table, "\n") {
		if !have[row] {
			missing = append(missing, row)
		}
	}
	t.Errorf("infra/README.md's configuration table differs from Pulumi.yaml "+
		"(go test ./infra/stack/ -run TestConfigurationReference -update-golden rewrites it); "+
		"rows Pulumi.yaml gives that the table lacks:\n%s", strings.Join(missing, ""))
}

// configurationTable renders one row per key of Pulumi.yaml, in its order:
// type, default, description, and the value each stack file sets.
func configurationTable(root string) (string, error) {
	var project struct {
		Config yaml.Node `yaml:"config"`
	}
	if err := stacktest.ReadYAML(filepath.Join(root, "Pulumi.yaml"), &project); err != nil {
		return "", err
	}
	stacks := []string{"dev", "prod"}
	overrides := map[string]map[string]any{}
	for _, stack := range stacks {
		var file struct {
			Config map[string]any `yaml:"config"`
		}
		if err := stacktest.ReadYAML(filepath.Join(root, "Pulumi."+stack+".yaml"), &file); err != nil {
			return "", err
		}
		overrides[stack] = file.Config
	}

	var b strings.Builder
	b.WriteString("| key | type | default | dev | prod | meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	keys := project.Config.Content
	if len(keys) == 0 {
		return "", fmt.Errorf("Pulumi.yaml declares no config keys")
	}
	for i := 0; i+1 < len(keys); i += 2 {
		key := keys[i].Value
		var decl struct {
			Type        string `yaml:"type"`
			Default     any    `yaml:"default"`
			Description string `yaml:"description"`
		}
		if err := keys[i+1].Decode(&decl); err != nil {
			return "", fmt.Errorf("Pulumi.yaml %s: %w", key, err)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |", key, decl.Type, code(decl.Default))
		for _, stack := range stacks {
			v, set := overrides[stack][stacktest.Project+":"+key]
			switch {
			case !set:
				b.WriteString(" · |")
			case isSecure(v):
				b.WriteString(" (secret) |")
			default:
				fmt.Fprintf(&b, " %s |", code(v))
			}
		}
		fmt.Fprintf(&b, " %s |\n", strings.ReplaceAll(decl.Description, "|", `\|`))
	}
	return b.String(), nil
}

// code renders a value as the README shows it: in backticks, "" for the
// empty string, [] for an empty list.
func code(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "`\"\"`"
		}
		return "`" + v + "`"
	case []any:
		if len(v) == 0 {
			return "`[]`"
		}
	}
	return fmt.Sprintf("`%v`", v)
}

func isSecure(v any) bool {
	m, ok := v.(map[string]any)
	_, secure := m["secure"]
	return ok && secure
}
