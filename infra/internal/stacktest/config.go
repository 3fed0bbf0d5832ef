// Package stacktest runs the Pulumi program under the Go SDK's mocks with a
// stack's real configuration, records every resource it registers, and
// answers invokes with canned values. Both stacks' tests use it.
//
// Under mocks no CLI is present: nobody applies the defaults declared in
// Pulumi.yaml or reads Pulumi.<stack>.yaml. StackConfig does what the CLI
// does — project defaults, overridden by the stack file, overridden by the
// test — and hands the result to the program the way the CLI would
// (the PULUMI_CONFIG map of "namespace:key" → string, plus the list of
// secret keys). That it matches what the real CLI hands a program is
// checked with the CLI itself (infra/stack, automation_test.go); the
// CLI's type check of stack values against the schema is not repeated here.
//
// cli.go runs the real Pulumi CLI in temporary clones of the project.
package stacktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
	"gopkg.in/yaml.v3"
)

// Project is the Pulumi project name (Pulumi.yaml "name").
const Project = "foodtrucks"

// RepoRoot is the folder with go.mod, which is also where Pulumi.yaml lives.
func RepoRoot() (string, error) { return repo.Root() }

// Config is a stack's configuration as the CLI hands it to a program.
type Config struct {
	Project    string            // Pulumi.yaml's name: the namespace of the project's keys
	Values     map[string]string // "namespace:key" → value; arrays and objects as JSON
	SecretKeys []string          // "namespace:key" of every secret value
}

// JSON returns the two values the CLI sets as PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS.
func (c Config) JSON() (config, secretKeys string) {
	v, _ := json.Marshal(c.Values)
	s, _ := json.Marshal(c.SecretKeys)
	return string(v), string(s)
}

type projectFile struct {
	Name   string `yaml:"name"`
	Config map[string]struct {
		Type    string `yaml:"type"`
		Default any    `yaml:"default"`
		Value   any    `yaml:"value"`
		Secret  bool   `yaml:"secret"`
	} `yaml:"config"`
}

type stackDoc struct {
	Config map[string]yaml.Node `yaml:"config"`
}

// StackConfig merges, like the CLI: the defaults declared in
// <root>/Pulumi.yaml, then the values in stackFile (a Pulumi.<stack>.yaml),
// then overrides, then secrets. Keys of overrides and secrets are written
// like in a stack file: "key" (project namespace) or "namespace:key".
// Values may be strings, numbers, booleans or lists. Encrypted values in the
// stack file ("secure:") cannot be decrypted here; a test passes them in
// secrets instead.
func StackConfig(root, stackFile string, overrides map[string]any, secrets map[string]string) (Config, error) {
	c := Config{Values: map[string]string{}}

	var proj projectFile
	if err := ReadYAML(filepath.Join(root, "Pulumi.yaml"), &proj); err != nil {
		return c, err
	}
	c.Project = proj.Name
	if proj.Name == "" {
		//lint:ignore ST1005 the message starts with a file name
		return c, fmt.Errorf("Pulumi.yaml names no project")
	}
	// Keys without a namespace are the project's (a test clone has a
	// project name of its own).
	fullKey := func(key string) string {
		if strings.Contains(key, ":") {
			return key
		}
		return proj.Name + ":" + key
	}
	for key, decl := range proj.Config {
		v := decl.Default
		if v == nil {
			v = decl.Value
		}
		if v == nil {
			continue // the CLI would refuse to run without a stack value
		}
		s, err := configString(v)
		if err != nil {
			//lint:ignore ST1005 the message starts with a file name
			return c, fmt.Errorf("Pulumi.yaml %s: %w", key, err)
		}
		c.Values[fullKey(key)] = s
	}

	if stackFile != "" {
		var st stackDoc
		if err := ReadYAML(stackFile, &st); err != nil {
			return c, err
		}
		for key, node := range st.Config {
			var secure struct {
				Secure string `yaml:"secure"`
			}
			if node.Kind == yaml.MappingNode && node.Decode(&secure) == nil && secure.Secure != "" {
				given := false
				for k := range secrets {
					given = given || fullKey(k) == fullKey(key)
				}
				if !given {
					return c, fmt.Errorf("%s: %s is encrypted; pass its plaintext to the test as a secret", stackFile, key)
				}
				continue
			}
			var v any
			if err := node.Decode(&v); err != nil {
				return c, fmt.Errorf("%s: %s: %w", stackFile, key, err)
			}
			s, err := configString(v)
			if err != nil {
				return c, fmt.Errorf("%s: %s: %w", stackFile, key, err)
			}
			c.Values[fullKey(key)] = s
		}
	}

	for key, v := range overrides {
		s, err := configString(v)
		if err != nil {
			return c, fmt.Errorf("override %s: %w", key, err)
		}
		c.Values[fullKey(key)] = s
	}
	for key, v := range secrets {
		c.Values[fullKey(key)] = v
		c.SecretKeys = append(c.SecretKeys, fullKey(key))
	}
	sort.Strings(c.SecretKeys)
	return c, nil
}

// configString renders a value as the CLI passes it: scalars as their text,
// lists and maps as JSON.
func configString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case []string, []any, map[string]any:
		b, err := json.Marshal(v)
		return string(b), err
	}
	return "", fmt.Errorf("unsupported config value %v (%T)", v, v)
}

// ReadYAML decodes a YAML file (Pulumi.yaml, a stack file) into into,
// naming the file in its error.
func ReadYAML(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
