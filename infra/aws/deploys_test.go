package aws_test

import (
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// A deployment the circuit breaker rolled back ends "steady" on the old
// revision, so the provider's wait succeeds. The program reads the service
// back and must fail `pulumi up`, naming both revisions.
func TestUpFailsWhenECSRolledBack(t *testing.T) {
	for _, service := range []string{"web", "es"} {
		t.Run(service, func(t *testing.T) {
			rolledBack := name + service
			p := runProd(t, nil, stacktest.ECSServiceRuns(testRegion, func(s string) int {
				if s == rolledBack {
					return deployedRevision - 1 // ECS restored the previous revision
				}
				return deployedRevision
			}))
			if p.Err == nil {
				t.Fatalf("the program succeeded although ECS runs %s:%d, not the registered :%d", rolledBack, deployedRevision-1, deployedRevision)
			}
			want := "ECS rolled back service " + rolledBack + ": it runs task definition " + rolledBack + ":6, not " + rolledBack + ":7 that this update registered."
			if !strings.Contains(p.Err.Error(), want) {
				t.Errorf("error = %v\nwant it to contain %q", p.Err, want)
			}
			t.Logf("pulumi up fails with: %v", p.Err)
		})
	}
}

func TestUpSucceedsWhenECSRunsTheRegisteredRevisions(t *testing.T) {
	for choice, overrides := range map[string]map[string]any{"fargate": nil, "external": externalSearch} {
		p := deployProd(t, overrides)
		lookups := 0
		for _, tok := range p.Invokes() {
			if tok == "aws:ecs/getService:getService" {
				lookups++
			}
		}
		// One read-back per ECS service of the stack.
		if want := len(p.OfType("aws:ecs/service:Service")); lookups != want {
			t.Errorf("%s: %d service read-backs, want %d (one per service)", choice, lookups, want)
		}
	}
}

// Elasticsearch first: when ECS rolled Elasticsearch back, the web service
// is left as it was (its new task definition is never registered), so web
// tasks never use a password Elasticsearch does not have.
func TestWebRollsOutOnlyAfterElasticsearchDid(t *testing.T) {
	p := runProd(t, nil, stacktest.ECSServiceRuns(testRegion, func(s string) int {
		if s == name+"es" {
			return deployedRevision - 1
		}
		return deployedRevision
	}))
	if p.Err == nil || !strings.Contains(p.Err.Error(), "ECS rolled back service "+name+"es") {
		t.Fatalf("error = %v, want the Elasticsearch rollback", p.Err)
	}
	for _, typ := range []string{"aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/service:Service"} {
		if r := p.Find(typ, name+"web"); r != nil {
			t.Errorf("%s %s was registered although Elasticsearch's deployment was rolled back", typ, r.Name)
		}
	}
}

// A change to Elasticsearch alone (its password, its image) replaces its
// task definition, whose new ARN preview cannot know. The web task
// definition does not change in the real run, so preview must not show
// its container definitions unknown, i.e. the web task replaced and a web
// rollout `up` will not make.
func TestPreviewOfAnElasticsearchChangeShowsNoWebRollout(t *testing.T) {
	p := previewProd(t, nil, func(r *stacktest.Resource) []string {
		if r.Type == "aws:ecs/taskDefinition:TaskDefinition" && r.Name == name+"es" {
			return []string{"arn", "revision"}
		}
		return nil
	})
	if p.Err != nil {
		t.Fatalf("preview: %v", p.Err)
	}
	if es := p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"es"); str(es.Inputs, "containerDefinitions") == "" {
		t.Fatalf("the Elasticsearch task definition itself is unknown in preview; the test shows nothing")
	}
	web := p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"web")
	if str(web.Inputs, "containerDefinitions") == "" {
		t.Errorf("preview shows the web container definitions unknown (a web task replaced and rolled out) for a change to Elasticsearch only")
	}
	for _, tok := range p.Invokes() {
		if tok == "aws:ecs/getService:getService" {
			t.Errorf("preview read an ECS service back: it deploys nothing, so there is nothing to check")
		}
	}
}

// ECS starts a deployment for a change of a service's subnets, security
// groups, Service Connect, load balancer or platform version just as for a
// new task definition, and a rollback returns to the previous settings with
// the previous revision. Such a change must register a new revision too:
// otherwise ECS runs, after rolling it back, the very revision this update
// registered, and up reports success.
func TestEveryChangeECSDeploysRegistersANewRevision(t *testing.T) {
	inSubnets := func(private ...any) map[string]any {
		return map[string]any{"awsVpcId": "vpc-0a1b2c3d4e5f60718", "awsPrivateSubnetIds": private}
	}
	before := deployProd(t, inSubnets("subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"))
	moved := deployProd(t, inSubnets("subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb3"))
	again := deployProd(t, inSubnets("subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"))
	for _, family := range []string{"web", "es"} {
		defs := func(p *prod) string {
			return str(p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+family).Inputs, "containerDefinitions")
		}
		if defs(before) == defs(moved) {
			t.Errorf("%s: moving the tasks to other subnets registers no new task definition; ECS deploys the move, and its rollback would pass as success", family)
		}
		if defs(before) != defs(again) {
			t.Errorf("%s: the same settings give different task definitions; every up would roll the service out", family)
		}
	}
}
