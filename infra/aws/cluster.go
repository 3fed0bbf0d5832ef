package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/servicediscovery"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Cluster is the ECS cluster both services run in, and the Cloud Map
// namespace Service Connect uses to let the web tasks reach Elasticsearch
// as es:9200, the same name the local network gives it.
type Cluster struct {
	pulumi.ResourceState

	Name         pulumi.StringOutput
	ARN          pulumi.StringOutput
	NamespaceARN pulumi.StringOutput
}

// clusterArgs is what the cluster reads.
type clusterArgs struct {
	Naming           config.Naming
	LogRetentionDays int // of Container Insights' log group
}

func newCluster(ctx *pulumi.Context, name string, args clusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	// An HTTP namespace is all Service Connect needs: names resolve
	// through the Service Connect proxy, not through Route 53.
	namespaceName := args.Naming.Name("internal")
	namespace, err := servicediscovery.NewHttpNamespace(ctx, namespaceName, &servicediscovery.HttpNamespaceArgs{
		Name:        pulumi.String(namespaceName),
		Description: pulumi.String("Service Connect names of the " + args.Naming.Stack + " stack"),
		Tags:        componentTags("cluster", namespaceName),
	}, child)
	if err != nil {
		return nil, err
	}

	clusterName := args.Naming.Name("cluster")
	// Container Insights writes its performance events to this log group
	// and creates it itself when it is missing; created so, it would outlive
	// destroy. Made here first, it has the stack's retention and goes with
	// the stack.
	insightsName := "/aws/ecs/containerinsights/" + clusterName + "/performance"
	insights, err := cloudwatch.NewLogGroup(ctx, args.Naming.Name("container-insights"), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(insightsName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            componentTags("cluster", insightsName),
	}, child)
	if err != nil {
		return nil, err
	}
	cluster, err := ecs.NewCluster(ctx, clusterName, &ecs.ClusterArgs{
		Name: pulumi.String(clusterName),
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled"),
		}},
		ServiceConnectDefaults: ecs.ClusterServiceConnectDefaultsArgs{Namespace: namespace.Arn},
		Tags:                   componentTags("cluster", clusterName),
	}, child, pulumi.DependsOn([]pulumi.Resource{insights}))
	if err != nil {
		return nil, err
	}

	c.Name, c.ARN, c.NamespaceARN = cluster.Name, cluster.Arn, namespace.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name":         c.Name,
		"namespaceArn": c.NamespaceARN,
	})
}
