package aws

import (
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// fargateServiceArgs is what one ECS service on Fargate needs beyond what
// every service of the stack shares (tasks.go).
type fargateServiceArgs struct {
	// The stack's settings every service follows: names, the tasks' CPU
	// architecture (awsArchitecture) and how long logs are kept.
	Naming           config.Naming
	Architecture     string
	LogRetentionDays int

	Component string // the component it belongs to, for tags: "web" or "search"
	// Name is that of its log group, execution role, task family and
	// service, within the stack: "web" or "es".
	Name          string
	CPU, MemoryMB int

	// What the execution role may read besides the log group: the secrets
	// the containers list and, with PullsFromECR, the image's repository.
	SecretARNs    []pulumi.StringOutput
	RepositoryARN pulumi.StringOutput
	PullsFromECR  bool
	TaskRoleARN   pulumi.StringInput // nil when the containers call no AWS API
	Volumes       ecs.TaskDefinitionVolumeArray
	// Containers is the task's container definitions, given the service's
	// log group and the digest of its settings (deploycheck.go).
	Containers func(logGroup, settings pulumi.StringOutput) pulumi.StringOutput

	Cluster       *Cluster
	Subnets       []pulumi.StringOutput
	SecurityGroup pulumi.StringOutput
	Region        string
	// ServiceConnect joins the cluster's namespace; ServiceConnectServices
	// is what the service offers there (none for a client only).
	ServiceConnect         bool
	ServiceConnectServices ecs.ServiceServiceConnectConfigurationServiceArray
	LoadBalancers          ecs.ServiceLoadBalancerArray

	DesiredCount                          int
	MinimumHealthyPercent, MaximumPercent int
	HealthCheckGracePeriodSeconds         int  // 0 without a load balancer
	Autoscaled                            bool // autoscaling owns the running count
	Rollout                               time.Duration
	DependsOn                             []pulumi.Resource
}

// fargateService is one ECS service on Fargate and what it runs with. It is
// not a component of its own: its resources belong to the component that
// builds it (web, search), as they always have.
type fargateService struct {
	LogGroup *cloudwatch.LogGroup
	Task     *ecs.TaskDefinition
	Service  *ecs.Service
	// RunningTaskDefinition is what ECS runs after this update; the
	// program fails when that is not the revision it registered.
	RunningTaskDefinition pulumi.StringOutput
}

// newFargateService builds the service in the order its parts need each
// other: log group, execution role, task definition, service, and the check
// that the service runs the revision it was given.
func newFargateService(ctx *pulumi.Context, parent pulumi.Resource, args fargateServiceArgs) (*fargateService, error) {
	child := pulumi.Parent(parent)
	logGroup, err := newLogGroup(ctx, args.Naming, args.LogRetentionDays, args.Name, child)
	if err != nil {
		return nil, err
	}
	execution, executionPolicy, err := newExecutionRole(ctx, args.Naming, args.Name, executionGrants{
		LogGroupARN: logGroup.Arn, SecretARNs: args.SecretARNs,
		RepositoryARN: args.RepositoryARN, PullsFromECR: args.PullsFromECR,
	}, child)
	if err != nil {
		return nil, err
	}

	// The service's settings ECS deploys besides the task definition; the
	// containers carry their digest (deploycheck.go).
	networkConfig := ecs.ServiceNetworkConfigurationArgs{
		Subnets:        pulumi.ToStringArrayOutput(args.Subnets),
		SecurityGroups: pulumi.StringArray{args.SecurityGroup},
		AssignPublicIp: pulumi.Bool(false),
	}
	var serviceConnect ecs.ServiceServiceConnectConfigurationPtrInput
	if args.ServiceConnect {
		connect := ecs.ServiceServiceConnectConfigurationArgs{
			Enabled:          pulumi.Bool(true),
			Namespace:        args.Cluster.NamespaceARN,
			LogConfiguration: serviceConnectLogs(logGroup.Name, args.Region),
		}
		if args.ServiceConnectServices != nil {
			connect.Services = args.ServiceConnectServices
		}
		serviceConnect = connect
	}
	settings := []any{fargatePlatform, networkConfig}
	if args.LoadBalancers != nil {
		settings = append(settings, args.LoadBalancers)
	}
	settings = append(settings, serviceConnect)
	containers := args.Containers(logGroup.Name, serviceSettingsDigest(settings...))

	family := args.Naming.Name(args.Name)
	taskArgs := fargateTask(args.Architecture, args.Component, family, args.CPU, args.MemoryMB, execution.Arn, containers)
	if args.TaskRoleARN != nil {
		taskArgs.TaskRoleArn = args.TaskRoleARN
	}
	if args.Volumes != nil {
		taskArgs.Volumes = args.Volumes
	}
	task, err := ecs.NewTaskDefinition(ctx, family, taskArgs, child)
	if err != nil {
		return nil, err
	}

	serviceArgs := &ecs.ServiceArgs{
		Name:                            pulumi.String(family),
		Cluster:                         args.Cluster.ARN,
		TaskDefinition:                  task.Arn,
		LaunchType:                      pulumi.String(launchTypeFargate),
		PlatformVersion:                 pulumi.String(fargatePlatform),
		DesiredCount:                    pulumi.Int(args.DesiredCount),
		DeploymentMinimumHealthyPercent: pulumi.Int(args.MinimumHealthyPercent),
		DeploymentMaximumPercent:        pulumi.Int(args.MaximumPercent),
		DeploymentCircuitBreaker: ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true),
		},
		NetworkConfiguration:        networkConfig,
		ServiceConnectConfiguration: serviceConnect,
		PropagateTags:               pulumi.String("SERVICE"),
		EnableEcsManagedTags:        pulumi.Bool(true),
		WaitForSteadyState:          pulumi.Bool(true),
		Tags:                        componentTags(args.Component, family),
	}
	if args.HealthCheckGracePeriodSeconds > 0 {
		serviceArgs.HealthCheckGracePeriodSeconds = pulumi.Int(args.HealthCheckGracePeriodSeconds)
	}
	if args.LoadBalancers != nil {
		serviceArgs.LoadBalancers = args.LoadBalancers
	}
	options := []pulumi.ResourceOption{child,
		pulumi.DependsOn(append([]pulumi.Resource{executionPolicy}, args.DependsOn...)),
		serviceTimeouts(args.Rollout)}
	if args.Autoscaled {
		options = append(options, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	service, err := ecs.NewService(ctx, family, serviceArgs, options...)
	if err != nil {
		return nil, err
	}
	return &fargateService{
		LogGroup: logGroup, Task: task, Service: service,
		RunningTaskDefinition: checkRunsRegisteredRevision(ctx, parent, args.Cluster, service, task),
	}, nil
}
