package local

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Network is the private network the containers share. On a user-defined
// bridge, Docker's DNS resolves container aliases, which is how the web
// containers find Elasticsearch as "es".
type Network struct {
	pulumi.ResourceState
	Name pulumi.StringOutput
}

// networkArgs is what the network reads.
type networkArgs struct {
	Naming config.Naming
}

func newNetwork(ctx *pulumi.Context, name string, args networkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	n := &Network{}
	if err := ctx.RegisterComponentResource("foodtrucks:local:Network", name, n, opts...); err != nil {
		return nil, err
	}
	net, err := docker.NewNetwork(ctx, "network", &docker.NetworkArgs{
		Name:   pulumi.String(args.Naming.Name("network")),
		Driver: pulumi.String("bridge"),
		Labels: docker.NetworkLabelArray(labels(args.Naming, "network", networkLabel)),
	}, pulumi.Parent(n))
	if err != nil {
		return nil, err
	}
	n.Name = net.Name
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{"name": net.Name})
}
