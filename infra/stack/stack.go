// Package stack is the Pulumi program: it reads and validates the stack's
// configuration, then deploys to the target the configuration names.
package stack

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/local"
)

// Outputs are the stack outputs by export name.
type Outputs map[string]pulumi.Input

// Run is the program's entry point (infra/main.go calls pulumi.Run(Run)).
// Nothing is registered unless the whole configuration is valid.
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return fmt.Errorf("stack %s: configuration:\n%w", ctx.Stack(), err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("stack %s: configuration:\n%w", ctx.Stack(), err)
	}
	outputs, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	for _, name := range outputs.Names() {
		ctx.Export(name, outputs[name])
	}
	return nil
}

// Deploy registers the resources of cfg's target and returns the stack
// outputs. It is separate from Run because exports cannot be observed under
// mocks; tests call Deploy and assert on what it returns.
func Deploy(ctx *pulumi.Context, cfg config.Config) (Outputs, error) {
	switch cfg.Target {
	case config.TargetLocal:
		out, err := local.Deploy(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return OutputsOf(out), nil
	case config.TargetAWS:
		return deployAWS(ctx, cfg)
	}
	return nil, fmt.Errorf("target %q is not one of %s, %s", cfg.Target, config.TargetLocal, config.TargetAWS)
}

// Names returns the export names in a stable order.
func (o Outputs) Names() []string {
	names := make([]string, 0, len(o))
	for n := range o {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OutputsOf turns a target's outputs struct into exports: every exported
// field holding a non-nil pulumi.Input becomes one, named by its
// `pulumi:"name"` tag or else by the field name with a lower-case first
// letter. Targets keep their own typed structs; no list of names is kept
// twice.
func OutputsOf(v any) Outputs {
	out := Outputs{}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return out
		}
		rv = rv.Elem()
	}
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		in, ok := rv.Field(i).Interface().(pulumi.Input)
		if !ok || in == nil || (rv.Field(i).Kind() == reflect.Pointer || rv.Field(i).Kind() == reflect.Interface) && rv.Field(i).IsNil() {
			continue
		}
		name := f.Tag.Get("pulumi")
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		out[name] = in
	}
	return out
}
