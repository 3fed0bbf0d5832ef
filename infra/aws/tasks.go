package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Settings both services share.
const (
	launchTypeFargate = "FARGATE"
	// LATEST is 1.4.0 or newer: EFS volumes and Service Connect need it.
	fargatePlatform = "LATEST"
	networkModeVPC  = "awsvpc"
	osLinux         = "LINUX"
)

// newLogGroup is one service's CloudWatch log group, named for the stack
// so `aws logs tail` finds it, with the configured retention.
func newLogGroup(ctx *pulumi.Context, naming config.Naming, retentionDays int, component string, opts ...pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	name := "/ecs/" + naming.Name(component)
	return cloudwatch.NewLogGroup(ctx, naming.Name(component), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(name),
		RetentionInDays: pulumi.Int(retentionDays),
		Tags:            componentTags(component, name),
	}, opts...)
}

// versionedSecret is one credential in Secrets Manager and the version of
// it this update wrote. Containers name the version, not only the secret
// (ARN:json-key:version-stage:version-id, the first two left empty): a new
// value makes new task definitions and so a rollout, and every task of an
// older revision, autoscaled ones included, keeps reading the value it was
// deployed with instead of whatever is current.
type versionedSecret struct {
	ARN       pulumi.StringOutput // what the execution role may read
	ValueFrom pulumi.StringOutput // what a container's secrets entry names
	Version   *secretsmanager.SecretVersion
}

// newSecret stores one credential in Secrets Manager; ECS hands it to the
// containers that list it under `secrets`. The value also lives encrypted
// in the stack config, so destroy deletes the secret at once instead of
// keeping it for a recovery window.
func newSecret(ctx *pulumi.Context, naming config.Naming, component, purpose, value string, opts ...pulumi.ResourceOption) (*versionedSecret, error) {
	name := naming.Name(purpose)
	secret, err := secretsmanager.NewSecret(ctx, name, &secretsmanager.SecretArgs{
		Description:          pulumi.String(strings.ReplaceAll(purpose, "-", " ") + " of the " + naming.Stack + " stack"),
		RecoveryWindowInDays: pulumi.Int(0),
		Tags:                 componentTags(component, name),
	}, opts...)
	if err != nil {
		return nil, err
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name, &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(pulumi.String(value)).(pulumi.StringOutput),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &versionedSecret{
		ARN:       secret.Arn,
		ValueFrom: pulumi.Sprintf("%s:::%s", secret.Arn, version.VersionId),
		Version:   version,
	}, nil
}

// fargateTask is what every task definition of the stack shares: a Fargate
// task of one family in awsvpc mode on the configured CPU architecture,
// sized cpu/memory (validated as a Fargate pair), run by its execution role.
func fargateTask(architecture, component, family string, cpu, memoryMB int, execution pulumi.StringInput, containers pulumi.StringInput) *ecs.TaskDefinitionArgs {
	return &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(family),
		Cpu:                     pulumi.String(fmt.Sprint(cpu)),
		Memory:                  pulumi.String(fmt.Sprint(memoryMB)),
		NetworkMode:             pulumi.String(networkModeVPC),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String(launchTypeFargate)},
		RuntimePlatform: ecs.TaskDefinitionRuntimePlatformArgs{
			CpuArchitecture: pulumi.String(architecture), OperatingSystemFamily: pulumi.String(osLinux),
		},
		ExecutionRoleArn:     execution,
		ContainerDefinitions: containers,
		Tags:                 componentTags(component, family),
	}
}
