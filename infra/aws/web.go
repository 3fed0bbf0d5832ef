package aws

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// Facts about the web image (webapp/Dockerfile) and the app inside it.
const (
	webContainerName = "web"
	webPortName      = "web"
	webUser          = contract.User
	livenessPath     = "/healthz" // never touches Elasticsearch
	// A current TLS policy: TLS 1.3 with TLS 1.2 fallback, forward secrecy.
	tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// The app drains in-flight requests within seconds; waiting the default
	// five minutes would only slow every deployment.
	deregistrationDelaySeconds = 15
	// The load balancer's health check of a task, and how long ECS ignores
	// it after the task starts.
	lbHealthCheckIntervalSeconds  = 15
	lbUnhealthyThreshold          = 3
	healthCheckGracePeriodSeconds = 30
	// Autoscaling targets: average CPU of the web tasks (percent), and
	// requests per task per minute measured at the load balancer.
	scaleOnCPUPercent        = 60
	scaleOnRequestsPerTarget = 1000
)

// webHealth is the image's own probe.
var webHealth = healthCheck{Command: append([]string{"CMD"}, contract.HealthCommand()...), Interval: 10, Timeout: 3, Retries: 3, StartPeriod: 10}

// webRollout bounds a failing web deployment (rollout.go): all new tasks
// start at once (maximum 200 %), so the circuit breaker sees them fail in
// rounds of the service's size, at the fewest tasks autoscaling allows. A
// task is found unhealthy by its container check or by the load balancer
// after the grace period, whichever is later, and is deregistered before
// it stops.
func webRollout(minTasks int) time.Duration {
	lbVerdict := seconds(healthCheckGracePeriodSeconds + lbUnhealthyThreshold*lbHealthCheckIntervalSeconds)
	return rolloutTimeout(taskLife{
		start:   webTaskStart,
		verdict: max(healthVerdict(webHealth), lbVerdict),
		stop:    seconds(deregistrationDelaySeconds) + fargateStopTimeout,
	}, failedBatches(minTasks))
}

// Web is the app's ECS service behind an Application Load Balancer, with
// autoscaling between awsWebMinTasks and awsWebMaxTasks. The load balancer
// is internal behind CloudFront (awsEdge cloudfront) or public (none).
type Web struct {
	pulumi.ResourceState

	URL                   pulumi.StringOutput // the load balancer's own URL; with awsEdge cloudfront only reachable in the VPC
	ServiceName           pulumi.StringOutput
	LogGroupName          pulumi.StringOutput
	LoadBalancerARN       pulumi.StringOutput
	LoadBalancerDNSName   pulumi.StringOutput
	LoadBalancerARNSuffix pulumi.StringOutput // CloudWatch's dimension value
	TargetGroupARNSuffix  pulumi.StringOutput
	ServiceARN            pulumi.StringOutput // the service's ID is its ARN
	// RunningTaskDefinition is what ECS runs after this update; the
	// program fails when that is not the revision it registered.
	RunningTaskDefinition pulumi.StringOutput
}

// webArgs is what the web tier reads.
type webArgs struct {
	Naming           config.Naming
	Region           string
	Architecture     string
	LogRetentionDays int

	// The tasks: size, the initial count and autoscaling's bounds, the
	// app's port.
	CPU      int
	MemoryMB int
	Replicas int
	MinTasks int
	MaxTasks int
	Port     int

	// The app's settings, handed to it as environment (webContainer).
	IndexAlias        string
	DataURL           string
	RefreshInterval   string
	LogLevel          string
	SearchCacheMB     int
	SearchMaxInFlight int

	// The load balancer: internal behind CloudFront (awsEdge cloudfront),
	// or public, with HTTPS when CertificateARN is set and reached at
	// DomainName when that is set (awsEdge none).
	Edge           string
	CertificateARN string
	DomainName     string

	// From the network: the VPC, the subnets of the load balancer (public
	// or private) and of the tasks (private), and the groups of each.
	VpcID          pulumi.StringOutput
	PublicSubnets  []pulumi.StringOutput
	PrivateSubnets []pulumi.StringOutput
	LoadBalancerSG pulumi.StringOutput
	WebSG          pulumi.StringOutput

	// From the registry: the image by digest and its repository.
	ImageRef      pulumi.StringOutput
	RepositoryARN pulumi.StringOutput

	Cluster *Cluster
	// Search is where the tasks find Elasticsearch, with their credential.
	Search *Search
}

func newWeb(ctx *pulumi.Context, name string, args webArgs, opts ...pulumi.ResourceOption) (*Web, error) {
	w := &Web{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Web", name, w, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(w)
	search := args.Search

	balancer, targetGroup, listeners, err := w.loadBalancer(ctx, args, child)
	if err != nil {
		return nil, err
	}
	dependsOn := listeners
	var afterSearch []any
	if search.RunsService {
		// Like depends_on in compose: the web tasks start once ES is steady.
		dependsOn = append(dependsOn, search.Service)
		// Elasticsearch first: the web tasks' new definition exists only
		// once ECS runs this update's Elasticsearch revision, so a rotated
		// password is live there before a web task uses it, and a rolled
		// back Elasticsearch leaves the web service as it was.
		afterSearch = append(afterSearch, search.RunningTaskDefinition)
	}
	fargate, err := newFargateService(ctx, w, fargateServiceArgs{
		Naming: args.Naming, Architecture: args.Architecture, LogRetentionDays: args.LogRetentionDays,
		Component: "web", Name: "web",
		CPU: args.CPU, MemoryMB: args.MemoryMB,
		SecretARNs:    []pulumi.StringOutput{search.Credential.ARN},
		RepositoryARN: args.RepositoryARN, PullsFromECR: true,
		// No task role: the app calls no AWS API.
		Containers: func(logGroup, settings pulumi.StringOutput) pulumi.StringOutput {
			inputs := append([]any{args.ImageRef, logGroup, search.Endpoint, search.Credential.ValueFrom, settings}, afterSearch...)
			return pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
				web := webContainer(args, v[0].(string), v[1].(string), args.Region, v[2].(string), v[3].(string))
				web.DockerLabels = map[string]string{serviceSettingsLabel: v[4].(string)}
				return marshalContainers(web)
			}).(pulumi.StringOutput)
		},
		Cluster: args.Cluster, Subnets: args.PrivateSubnets, SecurityGroup: args.WebSG, Region: args.Region,
		// A client of Service Connect: the proxy in each web task resolves
		// es:9200 to the Elasticsearch tasks.
		ServiceConnect: search.RunsService,
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: targetGroup.Arn,
			ContainerName:  pulumi.String(webContainerName),
			ContainerPort:  pulumi.Int(args.Port),
		}},
		// Rolling: new tasks start and pass health checks before old ones go.
		DesiredCount: args.Replicas, MinimumHealthyPercent: 100, MaximumPercent: 200,
		HealthCheckGracePeriodSeconds: healthCheckGracePeriodSeconds,
		Autoscaled:                    true,
		Rollout:                       webRollout(args.MinTasks),
		DependsOn:                     dependsOn,
	})
	if err != nil {
		return nil, err
	}
	service, logGroup := fargate.Service, fargate.LogGroup

	if err := w.autoscaling(ctx, args, service, balancer, targetGroup, child); err != nil {
		return nil, err
	}

	w.URL = loadBalancerURL(args, balancer.DnsName)
	w.ServiceName, w.LogGroupName = service.Name, logGroup.Name
	w.LoadBalancerARN, w.LoadBalancerDNSName = balancer.Arn, balancer.DnsName
	w.LoadBalancerARNSuffix, w.TargetGroupARNSuffix = balancer.ArnSuffix, targetGroup.ArnSuffix
	w.ServiceARN = service.ID().ToStringOutput()
	w.RunningTaskDefinition = fargate.RunningTaskDefinition
	return w, ctx.RegisterResourceOutputs(w, pulumi.Map{
		"url":                   w.URL,
		"serviceName":           w.ServiceName,
		"runningTaskDefinition": w.RunningTaskDefinition,
	})
}

// loadBalancerURL is the address the load balancer answers on: the custom
// domain when one is set, https with a certificate (awsEdge none only).
func loadBalancerURL(args webArgs, dnsName pulumi.StringOutput) pulumi.StringOutput {
	scheme := "http"
	if args.Edge == config.EdgeNone && args.CertificateARN != "" {
		scheme = "https"
	}
	if args.Edge == config.EdgeNone && args.DomainName != "" {
		return pulumi.Sprintf("%s://%s", scheme, args.DomainName)
	}
	return pulumi.Sprintf("%s://%s", scheme, dnsName)
}

// loadBalancer is the web tier's entrance. Behind CloudFront it is internal,
// in the private subnets, with one HTTP listener only CloudFront's VPC
// origin may reach. With awsEdge none it faces the internet: plain HTTP
// forwards to the tasks, or redirects to HTTPS when a certificate is set.
func (w *Web) loadBalancer(ctx *pulumi.Context, args webArgs, child pulumi.ResourceOption) (*lb.LoadBalancer, *lb.TargetGroup, []pulumi.Resource, error) {
	internal := args.Edge == config.EdgeCloudFront
	subnets := args.PublicSubnets
	if internal {
		subnets = args.PrivateSubnets
	}
	// Load balancer and target group names are limited to 32 characters;
	// Pulumi appends 8 to make them unique across replacements.
	albName := autoNamePrefix(args.Naming.Name("web"), 24)
	balancer, err := lb.NewLoadBalancer(ctx, albName, &lb.LoadBalancerArgs{
		LoadBalancerType:        pulumi.String("application"),
		Internal:                pulumi.Bool(internal),
		SecurityGroups:          pulumi.StringArray{args.LoadBalancerSG},
		Subnets:                 pulumi.ToStringArrayOutput(subnets),
		DropInvalidHeaderFields: pulumi.Bool(true),
		Tags:                    componentTags("web", albName),
	}, child,
		// Switching awsEdge replaces the load balancer (internal is fixed at
		// creation). A target group belongs to one load balancer at a time,
		// so the old one and its listeners must go before the new listener
		// can forward to the same target group.
		pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, nil, nil, err
	}
	targetGroup, err := lb.NewTargetGroup(ctx, albName, &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"), // awsvpc tasks register by address
		Port:                pulumi.Int(args.Port),
		Protocol:            pulumi.String("HTTP"),
		VpcId:               args.VpcID,
		DeregistrationDelay: pulumi.Int(deregistrationDelaySeconds),
		HealthCheck: lb.TargetGroupHealthCheckArgs{
			Path:               pulumi.String(livenessPath),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(lbHealthCheckIntervalSeconds),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(lbUnhealthyThreshold),
		},
		Tags: componentTags("web", albName),
	}, child)
	if err != nil {
		return nil, nil, nil, err
	}

	forward := lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
		Type: pulumi.String("forward"), TargetGroupArn: targetGroup.Arn,
	}}
	httpAction := forward
	var listeners []pulumi.Resource
	// Behind CloudFront the certificate (us-east-1) belongs to the
	// distribution; the internal load balancer speaks HTTP only.
	if args.Edge == config.EdgeNone && args.CertificateARN != "" {
		httpAction = lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: lb.ListenerDefaultActionRedirectArgs{
				Protocol: pulumi.String("HTTPS"), Port: pulumi.String(fmt.Sprint(httpsPort)), StatusCode: pulumi.String("HTTP_301"),
			},
		}}
		https, err := lb.NewListener(ctx, args.Naming.Name("web-https"), &lb.ListenerArgs{
			LoadBalancerArn: balancer.Arn,
			Port:            pulumi.Int(httpsPort),
			Protocol:        pulumi.String("HTTPS"),
			CertificateArn:  pulumi.String(args.CertificateARN),
			SslPolicy:       pulumi.String(tlsPolicy),
			DefaultActions:  forward,
			Tags:            componentTags("web", args.Naming.Name("web-https")),
		}, child)
		if err != nil {
			return nil, nil, nil, err
		}
		listeners = append(listeners, https)
	}
	http, err := lb.NewListener(ctx, args.Naming.Name("web-http"), &lb.ListenerArgs{
		LoadBalancerArn: balancer.Arn,
		Port:            pulumi.Int(httpPort),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions:  httpAction,
		Tags:            componentTags("web", args.Naming.Name("web-http")),
	}, child)
	if err != nil {
		return nil, nil, nil, err
	}
	return balancer, targetGroup, append(listeners, http), nil
}

// autoscaling keeps between min and max tasks, scaling out on whichever of
// CPU and requests per task runs hot first.
func (w *Web) autoscaling(ctx *pulumi.Context, args webArgs, service *ecs.Service, balancer *lb.LoadBalancer, targetGroup *lb.TargetGroup, child pulumi.ResourceOption) error {
	name := args.Naming.Name("web")
	target, err := appautoscaling.NewTarget(ctx, name, &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", args.Cluster.Name, service.Name),
		MinCapacity:       pulumi.Int(args.MinTasks),
		MaxCapacity:       pulumi.Int(args.MaxTasks),
		Tags:              componentTags("web", name),
	}, child)
	if err != nil {
		return err
	}
	policies := []struct {
		suffix, metric string
		target         float64
		label          pulumi.StringPtrInput
	}{
		{"cpu", "ECSServiceAverageCPUUtilization", scaleOnCPUPercent, nil},
		{"requests", "ALBRequestCountPerTarget", scaleOnRequestsPerTarget,
			pulumi.Sprintf("%s/%s", balancer.ArnSuffix, targetGroup.ArnSuffix)},
	}
	for _, p := range policies {
		if _, err := appautoscaling.NewPolicy(ctx, name+"-"+p.suffix, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ResourceId:        target.ResourceId,
			ScalableDimension: target.ScalableDimension,
			ServiceNamespace:  target.ServiceNamespace,
			TargetTrackingScalingPolicyConfiguration: appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
					PredefinedMetricType: pulumi.String(p.metric),
					ResourceLabel:        p.label,
				},
				TargetValue:      pulumi.Float64(p.target),
				ScaleOutCooldown: pulumi.Int(60),
				ScaleInCooldown:  pulumi.Int(300),
			},
		}, child); err != nil {
			return err
		}
	}
	return nil
}

// webContainer is the web app's container: the pushed image by digest, the
// app's configuration as environment, the search credential as an ECS
// secret, non-root, read-only root filesystem, no capabilities.
func webContainer(args webArgs, image, logGroup, region, esURL, credentialSecretARN string) containerDefinition {
	search := args.Search
	var env []keyValuePair
	for _, v := range (contract.Env{
		Port:              args.Port,
		ESURL:             esURL,
		Index:             args.IndexAlias,
		DataURL:           args.DataURL,
		RefreshInterval:   args.RefreshInterval,
		LogLevel:          args.LogLevel,
		SearchCacheMB:     args.SearchCacheMB,
		SearchMaxInFlight: args.SearchMaxInFlight,
		ESUsername:        search.Username,
	}).Vars() {
		env = append(env, keyValuePair{Name: v.Name, Value: v.Value})
	}
	memory := 0 // no container limit: the task's is the app's alone
	if search.RunsService {
		// A Service Connect client: the proxy in the task keeps its share.
		memory = args.MemoryMB - config.ServiceConnectProxyMemoryMB
	}
	return containerDefinition{
		Name:                   webContainerName,
		Image:                  image,
		Essential:              true,
		CPU:                    0,
		Memory:                 memory,
		User:                   webUser,
		ReadonlyRootFilesystem: true,
		PortMappings: []portMapping{{
			Name: webPortName, ContainerPort: args.Port, HostPort: args.Port, Protocol: "tcp", AppProtocol: "http",
		}},
		Environment:      env,
		Secrets:          []containerSecret{{Name: search.CredentialEnv, ValueFrom: credentialSecretARN}},
		MountPoints:      []mountPoint{},
		VolumesFrom:      []volumeFrom{},
		LinuxParameters:  &linuxParameters{Capabilities: &kernelCapabilities{Drop: []string{"ALL"}}},
		HealthCheck:      &webHealth,
		LogConfiguration: awsLogs(logGroup, region, "web"),
	}
}

// autoNamePrefix shortens a logical name so Pulumi's auto-name (name plus a
// random suffix) fits a length limit.
func autoNamePrefix(name string, max int) string {
	if len(name) > max {
		name = name[:max]
	}
	return strings.TrimRight(name, "-")
}
