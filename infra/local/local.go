// Package local deploys the app to the user's own Docker engine (target
// local, stack dev): a private bridge network, a named volume for the
// search data, Elasticsearch and the web containers built from
// webapp/Dockerfile. The same nouns as the aws target: network, storage,
// search, web.
package local

import (
	"fmt"
	"net"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Outputs are the dev stack's outputs (the export name is in the tag).
type Outputs struct {
	URL         pulumi.StringOutput      `pulumi:"url"`        // the first web replica
	WebURLs     pulumi.StringArrayOutput `pulumi:"webUrls"`    // every replica
	ESEndpoint  pulumi.StringInput       `pulumi:"esEndpoint"` // nil unless localEsPublishPort is set
	NetworkName pulumi.StringOutput      `pulumi:"networkName"`
	VolumeName  pulumi.StringOutput      `pulumi:"volumeName"`
	WebImage    pulumi.StringOutput      `pulumi:"webImage"` // the local image ID the containers run
	ESImage     pulumi.StringOutput      `pulumi:"esImage"`  // the Elasticsearch image reference
}

// Deploy registers the dev stack's resources. cfg must be valid. It is the
// one place the configuration is read: each component gets what it needs
// of it in its arguments.
func Deploy(ctx *pulumi.Context, cfg config.Config) (*Outputs, error) {
	naming := cfg.Naming()
	network, err := newNetwork(ctx, "network", networkArgs{Naming: naming})
	if err != nil {
		return nil, err
	}
	storage, err := newStorage(ctx, "storage", storageArgs{Naming: naming, RetainData: cfg.RetainData})
	if err != nil {
		return nil, err
	}
	search, err := newSearch(ctx, "search", searchArgs{
		Naming:          naming,
		Image:           cfg.ESImage + ":" + cfg.ESVersion,
		HeapMB:          cfg.ESHeapMB,
		MemoryMB:        cfg.ESMemoryMB,
		NoFile:          cfg.Local.ESNoFile,
		IndexAlias:      cfg.IndexAlias,
		Security:        cfg.ESSecurity,
		ElasticPassword: cfg.ESPassword,
		AppPassword:     cfg.ESAppPassword(),
		PublishPort:     cfg.Local.ESPublishPort,
		BindAddress:     cfg.Local.BindAddress,
		WaitTimeout:     cfg.Local.WaitTimeout,
		Network:         network.Name,
		Volume:          storage.VolumeName,
	})
	if err != nil {
		return nil, err
	}
	web, err := newWeb(ctx, "web", webArgs{
		Naming:            naming,
		Platform:          cfg.Local.Platform,
		DevMode:           cfg.Local.DevMode,
		Replicas:          cfg.WebReplicas,
		Port:              cfg.WebPort,
		BindAddress:       cfg.Local.BindAddress,
		WaitTimeout:       cfg.Local.WaitTimeout,
		IndexAlias:        cfg.IndexAlias,
		DataURL:           cfg.DataURL,
		RefreshInterval:   cfg.RefreshInterval,
		LogLevel:          cfg.LogLevel,
		SearchCacheMB:     cfg.SearchCacheMB,
		SearchMaxInFlight: cfg.SearchMaxInFlight,
		ESSecurity:        cfg.ESSecurity,
		ESAppPassword:     cfg.ESAppPassword(),
		Network:           network.Name,
		Search:            search.Container,
	})
	if err != nil {
		return nil, err
	}

	out := &Outputs{
		URL:         pulumi.String(web.URLs[0]).ToStringOutput(),
		WebURLs:     pulumi.ToStringArray(web.URLs).ToStringArrayOutput(),
		NetworkName: network.Name,
		VolumeName:  storage.VolumeName,
		WebImage:    web.ImageID,
		ESImage:     search.ImageRef,
	}
	if cfg.Local.ESPublishPort > 0 {
		out.ESEndpoint = pulumi.String(hostURL(cfg.Local.BindAddress, cfg.Local.ESPublishPort))
	}
	return out, nil
}

// hostURL is the address a browser on this machine uses for a port
// published on bindAddress: a wildcard bind is reached through loopback.
func hostURL(bindAddress string, port int) string {
	host := bindAddress
	if ip := net.ParseIP(bindAddress); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(port)))
}

// containerOptions are the resource options of every container. logOpts is
// ignored because the provider cannot read it back: the engine adds its own
// daemon.json log-opts (log rotation) to each container, the provider reads
// them, and the bundled provider (terraform-provider-docker v3.8) treats any
// difference as a reason to replace the container, on every up.
func containerOptions() pulumi.ResourceOption {
	return pulumi.IgnoreChanges([]string{"logOpts"})
}
