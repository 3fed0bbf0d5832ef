// Package aws deploys the prod stack: the web app and Elasticsearch on ECS
// Fargate behind an Application Load Balancer, in a private network, with
// the same nouns as the local stack (network, storage, search, web) plus
// what only AWS needs (registry, cluster, edge, alarms).
package aws

import (
	"fmt"
	"strings"

	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Outputs are what the prod stack exports, each under its pulumi tag
// (stack.OutputsOf). They are returned (not only exported) so tests under
// mocks can observe them.
type Outputs struct {
	URL               pulumi.StringOutput    `pulumi:"url"`               // where users open the app: https via CloudFront, or the load balancer with awsEdge none
	EdgeDomainName    pulumi.StringOutput    `pulumi:"edgeDomainName"`    // the distribution's <id>.cloudfront.net (a custom domain's DNS target); empty with awsEdge none
	ECRRepositoryURL  pulumi.StringOutput    `pulumi:"ecrRepositoryUrl"`  // where the web image is pushed
	ClusterName       pulumi.StringOutput    `pulumi:"clusterName"`       // the ECS cluster
	WebServiceName    pulumi.StringOutput    `pulumi:"webServiceName"`    // the web ECS service
	SearchServiceName pulumi.StringOutput    `pulumi:"searchServiceName"` // the Elasticsearch ECS service; empty with searchMode=external
	LogGroups         pulumi.StringMapOutput `pulumi:"logGroups"`         // service → CloudWatch log group
	ESEndpoint        pulumi.StringOutput    `pulumi:"esEndpoint"`        // what the web tasks use as ES_URL (an internal name in fargate mode)
}

// Deploy registers the whole prod stack. cfg has been validated by
// config.Load; Deploy trusts it. It is the one place the configuration is
// read: each component gets what it needs of it in its arguments.
func Deploy(ctx *pulumi.Context, cfg config.Config) (*Outputs, error) {
	provider, err := newProvider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	account, err := lookupAccount(ctx, provider)
	if err != nil {
		return nil, err
	}
	withProvider := pulumi.Provider(provider)
	naming := cfg.Naming()

	network, err := newNetwork(ctx, naming.Name("network"), networkArgs{
		Naming:           naming,
		Region:           cfg.AWS.Region,
		VPCID:            cfg.AWS.VPCID,
		PublicSubnetIDs:  cfg.AWS.PublicSubnetIDs,
		PrivateSubnetIDs: cfg.AWS.PrivateSubnetIDs,
		AZCount:          cfg.AWS.AZCount,
		NATGateways:      cfg.AWS.NATGateways,
		Edge:             cfg.AWS.Edge,
		CertificateARN:   cfg.AWS.CertificateARN,
		WebPort:          cfg.WebPort,
		SearchMode:       cfg.AWS.SearchMode,
		SearchStorage:    cfg.AWS.SearchStorage,
		DataURL:          cfg.DataURL,
		ExternalESURL:    cfg.AWS.ExternalESURL,
	}, withProvider)
	if err != nil {
		return nil, err
	}
	registry, err := newRegistry(ctx, naming.Name("registry"), registryArgs{
		Naming:         naming,
		Architecture:   cfg.AWS.Architecture,
		ECRKeepImages:  cfg.AWS.ECRKeepImages,
		ECRForceDelete: cfg.AWS.ECRForceDelete,
		ProtectData:    cfg.AWS.ProtectData,
		// Only a stack that runs Elasticsearch pulls its image.
		MirrorESImage: cfg.AWS.ESImageMirror && cfg.AWS.SearchMode == config.SearchModeFargate,
		ESImage:       cfg.ESImage + ":" + cfg.ESVersion,
		Provider:      provider,
	}, withProvider)
	if err != nil {
		return nil, err
	}
	cluster, err := newCluster(ctx, naming.Name("cluster"), clusterArgs{
		Naming: naming, LogRetentionDays: cfg.AWS.LogRetentionDays,
	}, withProvider)
	if err != nil {
		return nil, err
	}

	var storage *Storage
	if cfg.AWS.SearchMode == config.SearchModeFargate && cfg.AWS.SearchStorage == config.SearchStorageEFS {
		storage, err = newStorage(ctx, naming.Name("storage"), storageArgs{
			Naming:        naming,
			ProtectData:   cfg.AWS.ProtectData,
			RetainData:    cfg.RetainData,
			EFSBackups:    cfg.AWS.EFSBackups,
			Subnets:       network.PrivateSubnets,
			SecurityGroup: network.StorageSG,
		}, withProvider)
		if err != nil {
			return nil, err
		}
	}
	search, err := newSearch(ctx, naming.Name("search"), searchArgs{
		Naming:              naming,
		Account:             account,
		Architecture:        cfg.AWS.Architecture,
		LogRetentionDays:    cfg.AWS.LogRetentionDays,
		SearchMode:          cfg.AWS.SearchMode,
		ExternalESURL:       cfg.AWS.ExternalESURL,
		ExternalAPIKey:      cfg.AWS.ExternalAPIKey,
		Image:               cfg.ESImage + ":" + cfg.ESVersion,
		CPU:                 cfg.AWS.ESCPU,
		MemoryMB:            cfg.ESMemoryMB,
		HeapMB:              cfg.ESHeapMB,
		IndexAlias:          cfg.IndexAlias,
		ElasticPassword:     cfg.ESPassword,
		AppPassword:         cfg.ESAppPassword(),
		MirrorsImage:        registry.MirrorsES,
		MirroredImage:       registry.ESImageRef,
		MirrorRepositoryARN: registry.ESRepositoryARN,
		Cluster:             cluster,
		Subnets:             network.PrivateSubnets,
		SecurityGroup:       network.SearchSG,
		Storage:             storage,
	}, withProvider)
	if err != nil {
		return nil, err
	}
	web, err := newWeb(ctx, naming.Name("web"), webArgs{
		Naming:            naming,
		Region:            account.Region,
		Architecture:      cfg.AWS.Architecture,
		LogRetentionDays:  cfg.AWS.LogRetentionDays,
		CPU:               cfg.AWS.WebCPU,
		MemoryMB:          cfg.AWS.WebMemoryMB,
		Replicas:          cfg.WebReplicas,
		MinTasks:          cfg.AWS.WebMinTasks,
		MaxTasks:          cfg.AWS.WebMaxTasks,
		Port:              cfg.WebPort,
		IndexAlias:        cfg.IndexAlias,
		DataURL:           cfg.DataURL,
		RefreshInterval:   cfg.RefreshInterval,
		LogLevel:          cfg.LogLevel,
		SearchCacheMB:     cfg.SearchCacheMB,
		SearchMaxInFlight: cfg.SearchMaxInFlight,
		Edge:              cfg.AWS.Edge,
		CertificateARN:    cfg.AWS.CertificateARN,
		DomainName:        cfg.AWS.DomainName,
		VpcID:             network.VpcID,
		PublicSubnets:     network.PublicSubnets,
		PrivateSubnets:    network.PrivateSubnets,
		LoadBalancerSG:    network.LoadBalancerSG,
		WebSG:             network.WebSG,
		ImageRef:          registry.ImageRef,
		RepositoryARN:     registry.RepositoryARN,
		Cluster:           cluster,
		Search:            search,
	}, withProvider)
	if err != nil {
		return nil, err
	}
	url, edgeDomain := web.URL, pulumi.String("").ToStringOutput()
	if cfg.AWS.Edge == config.EdgeCloudFront {
		usEast1 := provider
		if cfg.AWS.WAF {
			usEast1, err = usEast1Provider(ctx, naming, cfg.AWS.Region, provider)
			if err != nil {
				return nil, err
			}
		}
		edge, err := newEdge(ctx, naming.Name("edge"), edgeArgs{
			Naming:              naming,
			DomainName:          cfg.AWS.DomainName,
			CertificateARN:      cfg.AWS.CertificateARN,
			WAF:                 cfg.AWS.WAF,
			USEast1:             usEast1,
			VpcID:               network.VpcID,
			LoadBalancerSG:      network.LoadBalancerSG,
			InternetGateway:     network.InternetGateway,
			LoadBalancerARN:     web.LoadBalancerARN,
			LoadBalancerDNSName: web.LoadBalancerDNSName,
		}, withProvider)
		if err != nil {
			return nil, err
		}
		url, edgeDomain = edge.URL, edge.DomainName
	}
	if _, err := newAlarms(ctx, naming.Name("alarms"), alarmsArgs{
		Naming:     naming,
		Account:    account,
		AlarmEmail: cfg.AWS.AlarmEmail,
		MinTasks:   cfg.AWS.WebMinTasks,
		Cluster:    cluster,
		Search:     search,
		Web:        web,
	}, withProvider); err != nil {
		return nil, err
	}

	logGroups := pulumi.StringMap{"web": web.LogGroupName}
	if search.RunsService {
		logGroups["es"] = search.LogGroupName
	}
	return &Outputs{
		URL:               url,
		EdgeDomainName:    edgeDomain,
		ECRRepositoryURL:  registry.RepositoryURL,
		ClusterName:       cluster.Name,
		WebServiceName:    web.ServiceName,
		SearchServiceName: search.ServiceName,
		LogGroups:         logGroups.ToStringMapOutput(),
		ESEndpoint:        search.Endpoint,
	}, nil
}

// newProvider is the one AWS provider every resource of the stack uses. Its
// default tags reach every taggable resource, so anything found in the
// account can be traced back to the project and stack that made it.
func newProvider(ctx *pulumi.Context, cfg config.Config) (*awsp.Provider, error) {
	return awsp.NewProvider(ctx, cfg.Name("aws"), &awsp.ProviderArgs{
		Region:      pulumi.StringPtr(cfg.AWS.Region),
		DefaultTags: &awsp.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(stackTags(cfg.Naming()))},
	})
}

// usEast1Provider is where CloudFront's regional companions live (a WAF
// web ACL for CloudFront must be created in us-east-1): the stack's own
// provider when the stack (in region) is there, else a second one with the
// same tags. Deploy asks for it only when something needs it.
func usEast1Provider(ctx *pulumi.Context, naming config.Naming, region string, stack *awsp.Provider) (*awsp.Provider, error) {
	if region == config.CloudFrontCertificateRegion {
		return stack, nil
	}
	return awsp.NewProvider(ctx, naming.Name("aws-"+config.CloudFrontCertificateRegion), &awsp.ProviderArgs{
		Region:      pulumi.StringPtr(config.CloudFrontCertificateRegion),
		DefaultTags: &awsp.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(stackTags(naming))},
	})
}

// stackTags are the labels shared by every resource of the stack; the
// component a resource belongs to is added per resource (componentTags).
func stackTags(naming config.Naming) map[string]string {
	tags := naming.Labels("")
	delete(tags, "component")
	return tags
}

// componentTags name the part of the architecture a resource belongs to;
// "Name" is what the AWS console shows in its lists.
func componentTags(component, name string) pulumi.StringMap {
	return pulumi.StringMap{"component": pulumi.String(component), "Name": pulumi.String(name)}
}

// account is who and where the stack deploys; IAM trust policies and ARNs
// are scoped with it.
type account struct {
	ID        string
	Partition string
	Region    string
}

func lookupAccount(ctx *pulumi.Context, provider *awsp.Provider) (account, error) {
	identity, err := awsp.GetCallerIdentity(ctx, &awsp.GetCallerIdentityArgs{}, pulumi.Provider(provider))
	if err != nil {
		return account{}, fmt.Errorf("look up the AWS account: %w", err)
	}
	region, err := awsp.GetRegion(ctx, &awsp.GetRegionArgs{}, pulumi.Provider(provider))
	if err != nil {
		return account{}, fmt.Errorf("look up the AWS region: %w", err)
	}
	partition, err := partitionOf(identity.Arn)
	if err != nil {
		return account{}, err
	}
	return account{ID: identity.AccountId, Partition: partition, Region: region.Name}, nil
}

// partitionOf reads the partition (aws, aws-cn, aws-us-gov) from an ARN.
func partitionOf(arn string) (string, error) {
	fields := strings.SplitN(arn, ":", 3)
	if len(fields) < 3 || fields[0] != "arn" || fields[1] == "" {
		return "", fmt.Errorf("caller identity ARN %q is not an ARN", arn)
	}
	return fields[1], nil
}
