package aws_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/aws"
	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// What the tests hand the program as stack secrets (Pulumi.prod.yaml has
// no encrypted values until `make up-prod` adds the password).
const (
	testPassword = "test-elastic-password"
	testAPIKey   = "test-api-key-value"
	testRegion   = "us-east-1"
	testAccount  = "123456789012"
	name         = "foodtrucks-prod-" // cfg.Name's prefix for this project and stack
)

// externalSearch switches the stack to an existing cluster; security and
// the ES task's keys no longer apply.
var externalSearch = map[string]any{
	"searchMode": "external", "externalEsUrl": "https://trucks.es.us-east-1.aws.elastic.cloud", "esSecurity": false,
}

// efsStorage is the opt-in to keep Elasticsearch's data on EFS.
var efsStorage = map[string]any{"searchStorage": "efs"}

// prod is one mocked run of the prod stack.
type prod struct {
	*stacktest.Run
	out *aws.Outputs
	cfg config.Config
}

// deployedRevision is the revision the mocks give every task definition the
// program registers.
const deployedRevision = stacktest.MockTaskDefinitionRevision

// ecsRunsWhatWasRegistered: every deployment succeeded.
var ecsRunsWhatWasRegistered = stacktest.ECSServiceRuns(testRegion, func(string) int { return deployedRevision })

// deployProd runs config.Load, Validate and aws.Deploy under mocks with the
// real Pulumi.yaml and Pulumi.prod.yaml, plus overrides, with every
// deployment succeeding, and fails the test if the program fails.
func deployProd(t *testing.T, overrides map[string]any) *prod {
	t.Helper()
	p := runProd(t, overrides, ecsRunsWhatWasRegistered)
	if p.Err != nil {
		t.Fatalf("prod stack with %v: %v", overrides, p.Err)
	}
	return p
}

// runProd is deployProd with the ECS service lookup answered by lookup,
// returning whatever the program returned in p.Err.
func runProd(t *testing.T, overrides map[string]any, lookup stacktest.InvokeFunc) *prod {
	t.Helper()
	return runProdWith(t, overrides, map[string]stacktest.InvokeFunc{"aws:ecs/getService:getService": lookup})
}

// runProdWith is runProd with some data sources answered by answers
// instead of stacktest.AWSInvokes.
func runProdWith(t *testing.T, overrides map[string]any, answers map[string]stacktest.InvokeFunc) *prod {
	t.Helper()
	return runProdOptions(t, overrides, func(o *stacktest.Options) { maps.Copy(o.Invokes, answers) })
}

// previewProd is `pulumi preview` of the prod stack: the outputs unknown
// names stay unknown, as the engine leaves those of a resource it is
// going to replace.
func previewProd(t *testing.T, overrides map[string]any, unknown func(r *stacktest.Resource) []string) *prod {
	t.Helper()
	return runProdOptions(t, overrides, func(o *stacktest.Options) { o.Preview, o.Unknown = true, unknown })
}

// runProdOptions is every mocked run of the prod stack; change adjusts the
// options.
func runProdOptions(t *testing.T, overrides map[string]any, change func(*stacktest.Options)) *prod {
	t.Helper()
	secrets := map[string]string{"esPassword": testPassword}
	if overrides["searchMode"] == config.SearchModeExternal {
		secrets = map[string]string{"externalEsApiKey": testAPIKey}
	}
	if pw, ok := overrides["esPassword"].(string); ok { // a test's own password, passed as a secret
		secrets["esPassword"] = pw
		overrides = maps.Clone(overrides)
		delete(overrides, "esPassword")
	}
	opts := stacktest.Options{
		Stack:     "prod",
		Overrides: overrides,
		Secrets:   secrets,
		Invokes:   stacktest.AWSInvokes(testRegion, 6),
		Outputs:   awsOutputs,
	}
	change(&opts)
	p := &prod{}
	p.Run = stacktest.RunProgram(t, opts, func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		p.cfg = cfg
		p.out, err = aws.Deploy(ctx, cfg)
		return err
	})
	return p
}

// awsOutputs gives resources the computed outputs the program reads, shaped
// like the AWS provider's.
func awsOutputs(r *stacktest.Resource) map[string]any {
	parts := strings.Split(r.Type, ":") // aws:ec2/vpc:Vpc
	if len(parts) != 3 {
		return nil
	}
	module := strings.SplitN(parts[1], "/", 2)[0]
	out := map[string]any{"arn": fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", module, testRegion, testAccount, strings.ToLower(parts[2]), r.Name)}
	switch r.Type {
	case "aws:ecr/repository:Repository":
		out["registryId"] = testAccount
		out["repositoryUrl"] = testAccount + ".dkr.ecr." + testRegion + ".amazonaws.com/" + fmt.Sprint(r.Inputs["name"])
	case "docker:index/image:Image":
		// Pushed: repo@sha256 of what was built.
		repo, _, _ := strings.Cut(fmt.Sprint(r.Inputs["imageName"]), ":")
		b, _ := json.Marshal(r.Inputs["build"])
		sum := sha256.Sum256(b)
		return map[string]any{"repoDigest": repo + "@sha256:" + hex.EncodeToString(sum[:])}
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:" + fmt.Sprint(r.Inputs["name"])
	case "aws:lb/loadBalancer:LoadBalancer":
		out["dnsName"] = r.Name + "-1234567890." + testRegion + ".elb.amazonaws.com"
		out["arnSuffix"] = "app/" + r.Name + "/50dc6c495c0c9188"
	case "aws:lb/targetGroup:TargetGroup":
		out["arnSuffix"] = "targetgroup/" + r.Name + "/73e2d6bc24d8a067"
	case "aws:cloudfront/distribution:Distribution":
		out["domainName"] = "d111111abcdef8.cloudfront.net"
		out["hostedZoneId"] = "Z2FDTNDATAQYW2"
	case "aws:ec2/eip:Eip":
		out["allocationId"] = "eipalloc-" + r.Name
	case "aws:ecs/taskDefinition:TaskDefinition":
		delete(out, "arn") // stacktest's, with the revision
	case "aws:secretsmanager/secretVersion:SecretVersion":
		// Secrets Manager gives each new value a new version ID.
		sum := sha256.Sum256([]byte(fmt.Sprint(r.Inputs["secretString"])))
		out["versionId"] = hex.EncodeToString(sum[:16])
	}
	return out
}

// computed is an output the mocks gave a resource (an ARN, a URL).
func computed(r *stacktest.Resource, key string) string {
	v, _ := awsOutputs(r)[key].(string)
	return v
}

// in reads a nested input: in(r.Inputs, "healthCheck", "path").
func in(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := in(v, path...).(string)
	return s
}

func num(v any, path ...any) int {
	switch n := in(v, path...).(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return -1
}

func list(v any, path ...any) []any {
	s, _ := in(v, path...).([]any)
	return s
}

// containers decodes a task definition's containerDefinitions loosely, for
// assertions on values (the strict decode has its own test).
func containers(t *testing.T, task *stacktest.Resource) []map[string]any {
	t.Helper()
	var defs []map[string]any
	if err := json.Unmarshal([]byte(str(task.Inputs, "containerDefinitions")), &defs); err != nil {
		t.Fatalf("task definition %s: containerDefinitions is not JSON: %v", task.Name, err)
	}
	return defs
}

func (p *prod) container(t *testing.T, family, container string) map[string]any {
	t.Helper()
	for _, c := range containers(t, p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+family)) {
		if c["name"] == container {
			return c
		}
	}
	t.Fatalf("task %s has no container %q", family, container)
	return nil
}

// env turns a container's environment into a map.
func env(c map[string]any) map[string]string {
	m := map[string]string{}
	for _, e := range list(c, "environment") {
		m[str(e, "name")] = str(e, "value")
	}
	return m
}

func (p *prod) await(t *testing.T, o pulumi.Output) any {
	t.Helper()
	r := stacktest.Await(t, o)
	if !r.Known {
		t.Fatalf("output not known after the run")
	}
	return r.Value
}
