package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A service waits for steady state, but the AWS provider calls a service
// steady when it has one deployment and as many running tasks as desired
// (terraform-provider-aws, internal/service/ecs/service.go,
// statusServiceWaitForStable). A deployment the circuit breaker rolled
// back ends exactly so, on the previous task definition, and `pulumi up`
// would report success. So once the service update has finished, the
// program reads the service back and fails unless ECS runs the revision
// this update registered.

// The check compares task definitions, but ECS also starts a deployment
// for a change of a service's subnets, security groups, Service Connect,
// load balancer or platform version alone, and rolling that back leaves
// the task definition as it was: the check would pass. So each container
// carries, as a Docker label, a digest of its service's settings: a change
// ECS deploys is always a new revision too, and a rollback of it always
// shows as the previous revision running. (Comparing ECS's deployment IDs,
// as aws-actions/amazon-ecs-deploy-task-definition does since #860, needs
// the service's deployments, which neither the provider's service resource
// nor its data source returns.)
const serviceSettingsLabel = "foodtrucks.service-settings"

// serviceSettingsDigest is the label's value: a digest of the settings as
// they resolve, stable while they are.
func serviceSettingsDigest(settings ...any) pulumi.StringOutput {
	return pulumi.All(settings...).ApplyT(func(v []any) (string, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:8]), nil
	}).(pulumi.StringOutput)
}

// rolledBackError is what `pulumi up` prints after ECS rolled back.
type rolledBackError struct {
	service, cluster    string
	registered, running string // task definition ARNs
}

func (e rolledBackError) Error() string {
	return fmt.Sprintf("ECS rolled back service %s: it runs task definition %s, not %s that this update registered. "+
		"The new revision did not become healthy and the deployment circuit breaker restored the previous one. "+
		"Find out why in the service's events and the stopped tasks' reasons "+
		"(aws ecs describe-services --cluster %s --services %s), fix it, and run pulumi up again",
		e.service, familyRevision(e.running), familyRevision(e.registered), e.cluster, e.service)
}

// familyRevision shortens a task definition ARN to family:revision.
func familyRevision(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

// checkRunsRegisteredRevision is the task definition ECS runs for service
// after the update, or an error when it is not task's.
//
// A preview deploys nothing, so it checks nothing, and answers a known
// empty string: what waits for the check (the web container definitions)
// then previews as `up` will make it. The registered ARN is unknown in a
// preview that replaces the task definition, and would show the web task
// replaced and rolled out when only Elasticsearch changes.
func checkRunsRegisteredRevision(ctx *pulumi.Context, parent pulumi.Resource, cluster *Cluster, service *ecs.Service, task *ecs.TaskDefinition) pulumi.StringOutput {
	if ctx.DryRun() {
		return pulumi.String("").ToStringOutput()
	}
	running := ecs.LookupServiceOutput(ctx, ecs.LookupServiceOutputArgs{
		ClusterArn:  cluster.ARN,
		ServiceName: service.Name,
	}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{service}))
	return pulumi.All(running.TaskDefinition(), task.Arn, service.Name, cluster.Name).ApplyT(func(v []any) (string, error) {
		runs, registered := v[0].(string), v[1].(string)
		if runs != registered {
			return "", rolledBackError{service: v[2].(string), cluster: v[3].(string), registered: registered, running: runs}
		}
		return runs, nil
	}).(pulumi.StringOutput)
}
