package aws

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/efs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/esstart"
	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// Elasticsearch as the web tasks see it: the same name and port as on the
// local network, here provided by Service Connect.
const (
	esServiceConnectName = "es"
	esPortName           = "es"
	esContainerName      = "es"
	esDataVolume         = "es-data"
	esDataPath           = "/usr/share/elasticsearch/data"
	esNofile             = 65535
	// Elasticsearch flushes and closes shards on SIGTERM; 120 s is the most
	// Fargate waits before SIGKILL.
	esStopTimeout = 120
)

// esHealth is the container's health check. The first start on EFS
// creates the data directory layout; the start period gives it time.
var esHealth = healthCheck{Command: esLivenessCommand, Interval: 15, Timeout: 10, Retries: 5, StartPeriod: 180}

// esRollout bounds a failing Elasticsearch deployment (rollout.go): one
// task at a time (desired 1, maximum 100 %), each pulling the image anew.
var esRollout = rolloutTimeout(taskLife{
	start:   esTaskStart,
	verdict: healthVerdict(esHealth),
	stop:    seconds(esStopTimeout),
}, failedBatches(1))

// Service Connect's proxy ends an HTTP request after 15 s unless told
// otherwise and would cut the app's longest Elasticsearch call
// (contract.LongestElasticsearchCall) short with a 504 of its own, so the
// proxy's timeouts are derived from that one fact.
// Service Connect's timeouts for requests to Elasticsearch: twice the
// app's longest call per request (a bulk body also takes time to send),
// and an idle timeout well above that (AWS's default for HTTP, written
// out) and above the app's own idle keep-alive (Go's 90 s), so the app
// closes idle connections before the proxy does.
var (
	serviceConnectPerRequestTimeout = 2 * contract.LongestElasticsearchCall
	serviceConnectIdleTimeout       = 5 * time.Minute
)

// Search is where the web tasks find Elasticsearch: a single-node ECS
// service (searchMode=fargate) or an existing cluster (searchMode=external).
// Either way it provides the endpoint and one credential for the web tasks.
type Search struct {
	pulumi.ResourceState

	Endpoint pulumi.StringOutput // ES_URL of the web tasks
	// The web tasks authenticate with CredentialEnv (ES_PASSWORD for the
	// app's own user, or ES_API_KEY) read from Credential.
	CredentialEnv string
	Credential    *versionedSecret
	Username      string // empty with an API key

	RunsService  bool // false with searchMode=external
	ServiceName  pulumi.StringOutput
	ServiceARN   pulumi.StringOutput // the service's ID is its ARN
	LogGroupName pulumi.StringOutput
	Service      *ecs.Service // nil with searchMode=external
	// RunningTaskDefinition is what ECS runs after this update; the
	// program fails when that is not the revision it registered.
	RunningTaskDefinition pulumi.StringOutput
}

// searchArgs is what the search component reads.
type searchArgs struct {
	Naming           config.Naming
	Account          account // the ES task role trusts its tasks only
	Architecture     string
	LogRetentionDays int

	// searchMode=external: the cluster's URL and API key.
	SearchMode     string
	ExternalESURL  string
	ExternalAPIKey string

	// searchMode=fargate: the node's image (repository:tag), size and
	// settings, and the elastic user's and the app user's passwords.
	Image           string
	CPU             int
	MemoryMB        int
	HeapMB          int // 0 = let Elasticsearch size it
	IndexAlias      string
	ElasticPassword string
	AppPassword     string
	// With MirrorsImage the image is MirroredImage (repo@sha256) from the
	// stack's repository MirrorRepositoryARN instead.
	MirrorsImage        bool
	MirroredImage       pulumi.StringOutput
	MirrorRepositoryARN pulumi.StringOutput

	Cluster       *Cluster
	Subnets       []pulumi.StringOutput // the private subnets
	SecurityGroup pulumi.StringOutput   // the network's SearchSG
	Storage       *Storage              // nil with ephemeral storage
}

func newSearch(ctx *pulumi.Context, name string, args searchArgs, opts ...pulumi.ResourceOption) (*Search, error) {
	s := &Search{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Search", name, s, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(s)

	var err error
	if args.SearchMode == config.SearchModeExternal {
		err = s.useExternal(ctx, args, child)
	} else {
		err = s.runOnFargate(ctx, args, child)
	}
	if err != nil {
		return nil, err
	}
	outputs := pulumi.Map{
		"endpoint":    s.Endpoint,
		"serviceName": s.ServiceName,
	}
	if s.RunsService {
		outputs["runningTaskDefinition"] = s.RunningTaskDefinition
	}
	return s, ctx.RegisterResourceOutputs(s, outputs)
}

func (s *Search) useExternal(ctx *pulumi.Context, args searchArgs, child pulumi.ResourceOption) error {
	apiKey, err := newSecret(ctx, args.Naming, "search", "es-api-key", args.ExternalAPIKey, child)
	if err != nil {
		return err
	}
	s.Endpoint = pulumi.String(args.ExternalESURL).ToStringOutput()
	s.CredentialEnv, s.Credential = "ES_API_KEY", apiKey
	s.ServiceName = pulumi.String("").ToStringOutput()
	s.ServiceARN = pulumi.String("").ToStringOutput()
	s.LogGroupName = pulumi.String("").ToStringOutput()
	return nil
}

func (s *Search) runOnFargate(ctx *pulumi.Context, args searchArgs, child pulumi.ResourceOption) error {
	// Two credentials: elastic's stays in this container; the app's user is
	// created here (esstart.Command) and handed to the web tasks.
	elastic, err := newSecret(ctx, args.Naming, "search", "es-password", args.ElasticPassword, child)
	if err != nil {
		return err
	}
	app, err := newSecret(ctx, args.Naming, "search", "es-app-password", args.AppPassword, child)
	if err != nil {
		return err
	}
	// The image: Elastic's, by tag, or with awsEsImageMirror the same image
	// from the stack's repository, by digest.
	image := pulumi.String(args.Image).ToStringOutput()
	var repositoryARN pulumi.StringOutput
	if args.MirrorsImage {
		image, repositoryARN = args.MirroredImage, args.MirrorRepositoryARN
	}
	storage := args.Storage
	service := fargateServiceArgs{
		Naming: args.Naming, Architecture: args.Architecture, LogRetentionDays: args.LogRetentionDays,
		Component: "search", Name: "es",
		CPU: args.CPU, MemoryMB: args.MemoryMB,
		SecretARNs:    []pulumi.StringOutput{elastic.ARN, app.ARN},
		RepositoryARN: repositoryARN, PullsFromECR: args.MirrorsImage,
		Containers: func(logGroup, settings pulumi.StringOutput) pulumi.StringOutput {
			return pulumi.All(logGroup, elastic.ValueFrom, app.ValueFrom, image, settings).ApplyT(func(v []any) (string, error) {
				es, err := esContainer(args, v[3].(string), v[0].(string), args.Account.Region, v[1].(string), v[2].(string), storage != nil)
				if err != nil {
					return "", err
				}
				es.DockerLabels = map[string]string{serviceSettingsLabel: v[4].(string)}
				return marshalContainers(es)
			}).(pulumi.StringOutput)
		},
		Cluster: args.Cluster, Subnets: args.Subnets, SecurityGroup: args.SecurityGroup, Region: args.Account.Region,
		ServiceConnect: true,
		ServiceConnectServices: ecs.ServiceServiceConnectConfigurationServiceArray{ecs.ServiceServiceConnectConfigurationServiceArgs{
			PortName:      pulumi.String(esPortName),
			DiscoveryName: pulumi.String(esServiceConnectName),
			ClientAlias: ecs.ServiceServiceConnectConfigurationServiceClientAliasArray{
				ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs{
					DnsName: pulumi.String(esServiceConnectName), Port: pulumi.Int(esPort),
				},
			},
			Timeout: ecs.ServiceServiceConnectConfigurationServiceTimeoutArgs{
				PerRequestTimeoutSeconds: pulumi.Int(int(serviceConnectPerRequestTimeout / time.Second)),
				IdleTimeoutSeconds:       pulumi.Int(int(serviceConnectIdleTimeout / time.Second)),
			},
		}},
		// One node, and never two at once: two nodes on one data path fail
		// with "failed to obtain node locks". A deployment stops the old
		// task before it starts the new one.
		DesiredCount: 1, MinimumHealthyPercent: 0, MaximumPercent: 100,
		Rollout:   esRollout,
		DependsOn: []pulumi.Resource{elastic.Version, app.Version},
	}
	taskRole, taskDependsOn, err := s.taskRole(ctx, args, child)
	if err != nil {
		return err
	}
	if taskRole != nil {
		service.TaskRoleARN = taskRole.Arn
	}
	service.DependsOn = append(service.DependsOn, taskDependsOn...)
	if storage != nil {
		service.Volumes = ecs.TaskDefinitionVolumeArray{ecs.TaskDefinitionVolumeArgs{
			Name: pulumi.String(esDataVolume),
			EfsVolumeConfiguration: ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs{
				FileSystemId:      storage.FileSystemID,
				TransitEncryption: pulumi.String("ENABLED"),
				AuthorizationConfig: ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs{
					AccessPointId: storage.AccessPointID,
					Iam:           pulumi.String("ENABLED"),
				},
			},
		}}
		service.DependsOn = append(service.DependsOn, storage.MountTargets...)
	}
	fargate, err := newFargateService(ctx, s, service)
	if err != nil {
		return err
	}

	s.Endpoint = pulumi.Sprintf("http://%s:%d", esServiceConnectName, esPort).ToStringOutput()
	s.CredentialEnv, s.Credential, s.Username = "ES_PASSWORD", app, config.ESAppUser
	s.RunsService, s.Service = true, fargate.Service
	s.ServiceName, s.ServiceARN, s.LogGroupName = fargate.Service.Name, fargate.Service.ID().ToStringOutput(), fargate.LogGroup.Name
	s.RunningTaskDefinition = fargate.RunningTaskDefinition
	return nil
}

// taskRole is what the Elasticsearch process itself may do: mount and
// write its file system through its access point. With ephemeral storage
// it needs nothing, and gets no role.
func (s *Search) taskRole(ctx *pulumi.Context, args searchArgs, child pulumi.ResourceOption) (*iam.Role, []pulumi.Resource, error) {
	storage := args.Storage
	if storage == nil {
		return nil, nil, nil
	}
	trust, err := taskTrustPolicy(args.Account)
	if err != nil {
		return nil, nil, err
	}
	name := args.Naming.Name("es-task")
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("The Elasticsearch tasks: mount their data file system"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             componentTags("search", name),
	}, child)
	if err != nil {
		return nil, nil, err
	}
	mountActions := []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"}
	throughAccessPoint := func(ap string) map[string]map[string]any {
		return map[string]map[string]any{"StringEquals": {"elasticfilesystem:AccessPointArn": ap}}
	}

	identityPolicy := pulumi.All(storage.FileSystemARN, storage.AccessPointARN).ApplyT(func(v []any) (string, error) {
		return policyDocument{Statement: []policyStatement{{
			Sid: "MountDataThroughAccessPoint", Effect: "Allow",
			Action: mountActions, Resource: []string{v[0].(string)},
			Condition: throughAccessPoint(v[1].(string)),
		}}}.JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{Role: role.ID(), Policy: identityPolicy}, child)
	if err != nil {
		return nil, nil, err
	}

	// The file system's own policy: only this role, only through the access
	// point and a mount target, and never without TLS. It replaces EFS's
	// default of letting every client on the network in.
	resourcePolicy := pulumi.All(storage.FileSystemARN, storage.AccessPointARN, role.Arn).ApplyT(func(v []any) (string, error) {
		fs, ap, roleARN := v[0].(string), v[1].(string), v[2].(string)
		onlyViaAccessPoint := throughAccessPoint(ap)
		onlyViaAccessPoint["Bool"] = map[string]any{"elasticfilesystem:AccessedViaMountTarget": "true"}
		return policyDocument{Statement: []policyStatement{
			{
				Sid: "ElasticsearchTasksOnly", Effect: "Allow",
				Principal: map[string]any{"AWS": roleARN},
				Action:    mountActions, Resource: []string{fs},
				Condition: onlyViaAccessPoint,
			},
			{
				Sid: "RefuseUnencryptedTransport", Effect: "Deny",
				Principal: map[string]any{"AWS": "*"},
				Action:    append(mountActions, "elasticfilesystem:ClientRootAccess"),
				Resource:  []string{fs},
				Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
			},
		}}.JSON()
	}).(pulumi.StringOutput)
	fsPolicy, err := efs.NewFileSystemPolicy(ctx, args.Naming.Name("es-data"), &efs.FileSystemPolicyArgs{
		FileSystemId: storage.FileSystemID,
		Policy:       resourcePolicy,
	}, child)
	if err != nil {
		return nil, nil, err
	}
	return role, []pulumi.Resource{rolePolicy, fsPolicy}, nil
}

// esContainer is the Elasticsearch container: the same image, version and
// single-node settings as the local stack, with what Fargate allows, and
// the app's own user created before Elasticsearch starts.
func esContainer(args searchArgs, image, logGroup, region, elasticPassword, appPassword string, persistent bool) (containerDefinition, error) {
	command, err := esstart.Command(args.IndexAlias)
	if err != nil {
		return containerDefinition{}, err
	}
	env := []keyValuePair{
		{Name: "cluster.name", Value: args.Naming.Name("es")},
		{Name: "discovery.type", Value: "single-node"},
		// Fargate cannot raise vm.max_map_count; without mmap the node does
		// not need it (at some cost in speed).
		{Name: "node.store.allow_mmap", Value: "false"},
		// Security on: the elastic user's password comes from the secret.
		// Inside the VPC the web tasks speak plain HTTP through Service
		// Connect, so ES's self-signed TLS set-up is turned off explicitly.
		{Name: "xpack.security.enabled", Value: "true"},
		{Name: "xpack.security.http.ssl.enabled", Value: "false"},
		{Name: "xpack.security.transport.ssl.enabled", Value: "false"},
		// bootstrap.memory_lock is left out: Fargate cannot grant IPC_LOCK.
	}
	if args.HeapMB > 0 {
		env = append(env, keyValuePair{Name: "ES_JAVA_OPTS", Value: fmt.Sprintf("-Xms%dm -Xmx%dm", args.HeapMB, args.HeapMB)})
	}
	mounts := []mountPoint{}
	if persistent {
		mounts = append(mounts, mountPoint{SourceVolume: esDataVolume, ContainerPath: esDataPath, ReadOnly: false})
	}
	return containerDefinition{
		Name:      esContainerName,
		Image:     image,
		Essential: true,
		CPU:       0,
		// The container's limit, not the task's, is what ES sizes its heap
		// from (esHeapMb 0); the rest of the task is the proxy's.
		Memory:  args.MemoryMB - config.ServiceConnectProxyMemoryMB,
		Command: command,
		PortMappings: []portMapping{{
			Name: esPortName, ContainerPort: esPort, HostPort: esPort, Protocol: "tcp", AppProtocol: "http",
		}},
		Environment: env,
		Secrets: []containerSecret{
			{Name: "ELASTIC_PASSWORD", ValueFrom: elasticPassword},
			{Name: esstart.AppPasswordEnv, ValueFrom: appPassword},
		},
		MountPoints:      mounts,
		VolumesFrom:      []volumeFrom{},
		Ulimits:          []ulimit{{Name: "nofile", SoftLimit: esNofile, HardLimit: esNofile}},
		HealthCheck:      &esHealth,
		LogConfiguration: awsLogs(logGroup, region, "es"),
		StopTimeout:      esStopTimeout,
	}, nil
}

// serviceConnectLogs sends the Service Connect proxy's own logs to the
// service's log group, under their own stream prefix.
func serviceConnectLogs(logGroup pulumi.StringOutput, region string) ecs.ServiceServiceConnectConfigurationLogConfigurationArgs {
	return ecs.ServiceServiceConnectConfigurationLogConfigurationArgs{
		LogDriver: pulumi.String("awslogs"),
		Options: pulumi.StringMap{
			"awslogs-group":         logGroup,
			"awslogs-region":        pulumi.String(region),
			"awslogs-stream-prefix": pulumi.String("service-connect"),
		},
	}
}
