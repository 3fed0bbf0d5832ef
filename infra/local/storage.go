package local

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Storage holds the search data. The volume's inputs are its name and
// labels only, so no change to a container can replace it; the index
// survives container replacement and `pulumi up`. `pulumi destroy` removes
// it unless retainData is set.
type Storage struct {
	pulumi.ResourceState
	VolumeName pulumi.StringOutput
}

// storageArgs is what the storage reads.
type storageArgs struct {
	Naming     config.Naming
	RetainData bool // keep the volume on destroy
}

func newStorage(ctx *pulumi.Context, name string, args storageArgs, opts ...pulumi.ResourceOption) (*Storage, error) {
	s := &Storage{}
	if err := ctx.RegisterComponentResource("foodtrucks:local:Storage", name, s, opts...); err != nil {
		return nil, err
	}
	vol, err := docker.NewVolume(ctx, "search-data", &docker.VolumeArgs{
		Name:   pulumi.String(args.Naming.Name("search-data")),
		Labels: docker.VolumeLabelArray(labels(args.Naming, "storage", volumeLabel)),
	}, pulumi.Parent(s), pulumi.RetainOnDelete(args.RetainData))
	if err != nil {
		return nil, err
	}
	s.VolumeName = vol.Name
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{"volumeName": vol.Name})
}
