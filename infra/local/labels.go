package local

import (
	"slices"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// labels turns the component's labels into one of the Docker provider's
// label arrays (each resource type has its own), sorted by key, so a label
// map never shows as a diff just because Go iterates maps in random order.
func labels[T any](naming config.Naming, component string, label func(key, value pulumi.StringInput) T) []T {
	m := naming.Labels(component)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, label(pulumi.String(k), pulumi.String(m[k])))
	}
	return out
}

func containerLabel(key, value pulumi.StringInput) docker.ContainerLabelInput {
	return docker.ContainerLabelArgs{Label: key, Value: value}
}

func networkLabel(key, value pulumi.StringInput) docker.NetworkLabelInput {
	return docker.NetworkLabelArgs{Label: key, Value: value}
}

func volumeLabel(key, value pulumi.StringInput) docker.VolumeLabelInput {
	return docker.VolumeLabelArgs{Label: key, Value: value}
}
