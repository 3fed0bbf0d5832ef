package stacktest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registered resource as the mocks saw it.
type Resource struct {
	Type       string // type token, e.g. docker:index/container:Container
	Name       string // logical name
	URN        string
	ParentURN  string
	ParentName string // logical name of the parent ("" for the stack itself)
	Custom     bool   // false for component resources
	ID         string

	// Inputs as plain Go values (secrets unwrapped; see SecretInputs).
	Inputs map[string]any
	// SecretInputs lists the top-level input keys that are, or contain, secrets.
	SecretInputs []string
	Raw          resource.PropertyMap

	DependsOn           []string // URNs
	Protect             bool
	RetainOnDelete      bool
	DeleteBeforeReplace bool
	IgnoreChanges       []string
	Provider            string
	// CustomTimeouts are the resource option pulumi.Timeouts, as Go
	// durations ("45m"); empty where the provider's default applies.
	CustomTimeouts struct{ Create, Update, Delete string }
}

// Recorder is the mock resource monitor: it records every resource, answers
// invokes with canned results and gives resources plausible outputs.
type Recorder struct {
	project   string
	stack     string
	mu        sync.Mutex
	resources []*Resource
	invokes   map[string]InvokeFunc
	outputs   OutputsFunc
	unknown   func(r *Resource) []string // outputs left unknown (preview only)
	calls     []string
}

// InvokeFunc answers one invoke (a data source call such as
// aws:index/getRegion:getRegion).
type InvokeFunc func(args resource.PropertyMap) (resource.PropertyMap, error)

// OutputsFunc lets a test give resources of some type extra outputs (e.g.
// an ARN). It returns nil for types it does not handle.
type OutputsFunc func(r *Resource) map[string]any

// Canned answers an invoke with a fixed result.
func Canned(result map[string]any) InvokeFunc {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(result), nil
	}
}

// NewResource implements pulumi.MockResourceMonitor.
func (r *Recorder) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := &Resource{
		Type:     a.TypeToken,
		Name:     a.Name,
		Custom:   a.Custom,
		Raw:      a.Inputs,
		Provider: a.Provider,
	}
	res.Inputs, res.SecretInputs = plain(a.Inputs)
	if rpc := a.RegisterRPC; rpc != nil {
		res.ParentURN = rpc.GetParent()
		res.DependsOn = rpc.GetDependencies()
		res.Protect = rpc.GetProtect()
		res.RetainOnDelete = rpc.GetRetainOnDelete()
		res.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		res.IgnoreChanges = rpc.GetIgnoreChanges()
		if ct := rpc.GetCustomTimeouts(); ct != nil {
			res.CustomTimeouts.Create, res.CustomTimeouts.Update, res.CustomTimeouts.Delete = ct.GetCreate(), ct.GetUpdate(), ct.GetDelete()
		}
		res.URN = r.urn(rpc.GetParent(), a.TypeToken, a.Name)
	}
	if parent := resource.URN(res.ParentURN); parent != "" && parent.QualifiedType() != resource.RootStackType {
		res.ParentName = parent.Name()
	}

	outputs := a.Inputs.Copy()
	if outputs == nil {
		outputs = resource.PropertyMap{}
	}
	res.ID = a.Name + "-id"
	for k, v := range standardOutputs(res) {
		outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	if r.outputs != nil {
		for k, v := range r.outputs(res) {
			outputs[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	if r.unknown != nil {
		// In preview the SDK resolves an output the engine did not return
		// as unknown.
		for _, k := range r.unknown(res) {
			delete(outputs, resource.PropertyKey(k))
		}
	}
	if !a.Custom {
		res.ID = ""
	}

	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return res.ID, outputs, nil
}

// Call implements pulumi.MockResourceMonitor.
func (r *Recorder) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.calls = append(r.calls, a.Token)
	fn, ok := r.invokes[a.Token]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no canned result for invoke %s; give the test one in Options.Invokes", a.Token)
	}
	return fn(a.Args)
}

// standardOutputs are what the Docker provider (and, for the outputs the
// program reads back, the AWS provider) computes, derived from the inputs
// so that a changed input changes them like it would for real.
func standardOutputs(res *Resource) map[string]any {
	switch res.Type {
	case "aws:ecs/taskDefinition:TaskDefinition":
		// The region is the provider's; the tests' stacks use us-east-1.
		return map[string]any{"arn": TaskDefinitionARN("us-east-1", fmt.Sprint(res.Inputs["family"]), MockTaskDefinitionRevision), "revision": MockTaskDefinitionRevision}
	case "docker:index/image:Image":
		// With SkipPush the provider reports the local image ID as repoDigest.
		return map[string]any{"repoDigest": "sha256:" + digest(res.Inputs), "baseImageName": res.Inputs["imageName"]}
	case "docker:index/remoteImage:RemoteImage":
		id := "sha256:" + digest(res.Inputs["name"])
		return map[string]any{"imageId": id, "repoDigest": fmt.Sprint(res.Inputs["name"]) + "@sha256:" + digest("remote", res.Inputs["name"])}
	}
	return nil
}

func digest(parts ...any) string {
	b, _ := json.Marshal(parts) // maps marshal with sorted keys: stable
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// urn builds the URN the mock monitor gives a resource, the same way it
// does, so dependencies (reported as URNs) can be matched to resources.
func (r *Recorder) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(r.stack), tokens.PackageName(r.project), parentType, tokens.Type(typ), name))
}

// plain turns inputs into plain Go values, unwrapping secrets and noting
// which top-level keys carried one.
func plain(m resource.PropertyMap) (map[string]any, []string) {
	out := map[string]any{}
	var secrets []string
	for k, v := range m {
		hadSecret := false
		out[string(k)] = v.MapRepl(nil, unwrapSecrets(&hadSecret))
		if hadSecret {
			secrets = append(secrets, string(k))
		}
	}
	sort.Strings(secrets)
	return out, secrets
}

func unwrapSecrets(hadSecret *bool) func(resource.PropertyValue) (any, bool) {
	var repl func(resource.PropertyValue) (any, bool)
	repl = func(v resource.PropertyValue) (any, bool) {
		switch {
		case v.IsSecret():
			*hadSecret = true
			return v.SecretValue().Element.MapRepl(nil, repl), true
		case v.IsOutput():
			if v.OutputValue().Secret {
				*hadSecret = true
			}
			if !v.OutputValue().Known {
				return nil, true
			}
			return v.OutputValue().Element.MapRepl(nil, repl), true
		case v.IsComputed():
			return nil, true
		}
		return nil, false
	}
	return repl
}
