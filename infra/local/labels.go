package local

import (
	"sort"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// sortedLabels keeps label order stable, so a label map never shows as a
// diff just because Go iterates maps in random order.
func sortedLabels(cfg config.Config, component string) [][2]string {
	m := cfg.Labels(component)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

func containerLabels(cfg config.Config, component string) docker.ContainerLabelArray {
	var out docker.ContainerLabelArray
	for _, kv := range sortedLabels(cfg, component) {
		out = append(out, docker.ContainerLabelArgs{Label: pulumi.String(kv[0]), Value: pulumi.String(kv[1])})
	}
	return out
}

func networkLabels(cfg config.Config, component string) docker.NetworkLabelArray {
	var out docker.NetworkLabelArray
	for _, kv := range sortedLabels(cfg, component) {
		out = append(out, docker.NetworkLabelArgs{Label: pulumi.String(kv[0]), Value: pulumi.String(kv[1])})
	}
	return out
}

func volumeLabels(cfg config.Config, component string) docker.VolumeLabelArray {
	var out docker.VolumeLabelArray
	for _, kv := range sortedLabels(cfg, component) {
		out = append(out, docker.VolumeLabelArgs{Label: pulumi.String(kv[0]), Value: pulumi.String(kv[1])})
	}
	return out
}
