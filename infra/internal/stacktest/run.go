package stacktest

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Options describe one mocked run.
type Options struct {
	Stack string // "dev" or "prod": selects Pulumi.<stack>.yaml
	// Root is the project's folder (Pulumi.yaml, the stack files); empty
	// means this repository. A test clone's has a project name of its own.
	Root string

	// StackFile replaces <root>/Pulumi.<Stack>.yaml (e.g. a broken copy).
	StackFile string
	// Overrides and Secrets are applied on top of the stack file; keys as
	// in a stack file without the project prefix ("webPort", "aws:region").
	Overrides map[string]any
	Secrets   map[string]string

	// Invokes answers data source calls by token.
	Invokes map[string]InvokeFunc
	// Outputs adds outputs to resources the Docker defaults do not cover.
	Outputs OutputsFunc

	// Preview runs the program as `pulumi preview` does (ctx.DryRun()).
	// Unknown then names the outputs of a resource the engine does not
	// know yet (those of a resource it is going to replace).
	Preview bool
	Unknown func(r *Resource) []string
}

// MockEnginePlatform is the localPlatform every mocked run gets unless the
// test sets it: an empty one would make the program ask the Docker engine.
const MockEnginePlatform = "linux/amd64"

// Run is the result of one mocked run of a program.
type Run struct {
	*Recorder
	Config Config
	Err    error // what the program (or the engine) returned
}

// RunProgram runs program under mocks with the merged configuration of the
// stack. It does not touch the process environment: the configuration goes
// to the SDK through the same RunInfo fields PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS fill, so tests may run in parallel.
func RunProgram(t testing.TB, o Options, program pulumi.RunFunc) *Run {
	t.Helper()
	root := o.Root
	if root == "" {
		var err error
		if root, err = RepoRoot(); err != nil {
			t.Fatal(err)
		}
	}
	stackFile := o.StackFile
	if stackFile == "" {
		stackFile = filepath.Join(root, "Pulumi."+o.Stack+".yaml")
	}
	overrides := map[string]any{}
	// No Docker engine is asked for its platform under mocks.
	overrides["localPlatform"] = MockEnginePlatform
	for k, v := range o.Overrides {
		overrides[k] = v
	}
	cfg, err := StackConfig(root, stackFile, overrides, o.Secrets)
	if err != nil {
		t.Fatalf("merging the %s stack's config: %v", o.Stack, err)
	}
	rec := &Recorder{project: cfg.Project, stack: o.Stack, invokes: o.Invokes, outputs: o.Outputs, unknown: o.Unknown}
	withConfig := func(info *pulumi.RunInfo) {
		info.Config = cfg.Values
		info.ConfigSecretKeys = cfg.SecretKeys
		info.RootDirectory = root
		info.DryRun = o.Preview
	}
	err = pulumi.RunErr(program, pulumi.WithMocks(cfg.Project, o.Stack, rec), withConfig)
	return &Run{Recorder: rec, Config: cfg, Err: err}
}

// Resources returns every recorded resource in the order the mock monitor
// received them. The SDK registers resources from goroutines once their
// inputs resolve, so that order varies between runs: sort before comparing
// lists.
func (r *Recorder) Resources() []*Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Resource(nil), r.resources...)
}

// Invokes returns the tokens of every invoke the program made.
func (r *Recorder) Invokes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// OfType returns the resources with the given type token.
func (r *Recorder) OfType(typ string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources() {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Find returns the resource with this type and logical name, or nil.
func (r *Recorder) Find(typ, name string) *Resource {
	for _, res := range r.Resources() {
		if res.Type == typ && res.Name == name {
			return res
		}
	}
	return nil
}

// Must returns the resource with this type and logical name or fails the test.
func (r *Recorder) Must(t testing.TB, typ, name string) *Resource {
	t.Helper()
	res := r.Find(typ, name)
	if res == nil {
		t.Fatalf("no %s named %q registered; have:\n%s", typ, name, r.Tree())
	}
	return res
}

// ByURN returns the resource with this URN, or nil.
func (r *Recorder) ByURN(urn string) *Resource {
	for _, res := range r.Resources() {
		if res.URN == urn {
			return res
		}
	}
	return nil
}

// Tree prints the resources as an indented tree (type, name), children
// under their parents, siblings sorted by type then name.
func (r *Recorder) Tree() string {
	all := r.Resources()
	children := map[string][]*Resource{}
	known := map[string]bool{}
	for _, res := range all {
		known[res.URN] = true
	}
	for _, res := range all {
		parent := res.ParentURN
		if !known[parent] { // the stack itself is not recorded
			parent = ""
		}
		children[parent] = append(children[parent], res)
	}
	var b strings.Builder
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		sort.Slice(kids, func(i, j int) bool {
			if kids[i].Type != kids[j].Type {
				return kids[i].Type < kids[j].Type
			}
			return kids[i].Name < kids[j].Name
		})
		for _, k := range kids {
			kind := "custom"
			if !k.Custom {
				kind = "component"
			}
			fmt.Fprintf(&b, "%s%s  %s  (%s)\n", strings.Repeat("    ", depth), k.Type, k.Name, kind)
			walk(k.URN, depth+1)
		}
	}
	walk("", 0)
	return b.String()
}

// Resolved is a pulumi.Output's settled value.
type Resolved struct {
	Value  any
	Known  bool
	Secret bool
}

// Await settles an output after (or during) a mocked run.
func Await(t testing.TB, o pulumi.Output) Resolved {
	t.Helper()
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		t.Fatalf("awaiting output: %v", err)
	}
	return Resolved{Value: res.Value, Known: res.Known, Secret: res.Secret}
}
