package local

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/esstart"
)

// SearchAlias is the name the web containers reach Elasticsearch by, on the
// local network and (through Service Connect) on AWS alike.
const SearchAlias = "es"

const (
	esPort     = 9200
	esDataPath = "/usr/share/elasticsearch/data"
)

// Search is the single Elasticsearch node.
type Search struct {
	pulumi.ResourceState
	Container *docker.Container
	ImageRef  pulumi.StringOutput // repository:tag
}

// searchArgs is what the Elasticsearch node reads.
type searchArgs struct {
	Naming     config.Naming
	Image      string // repository:tag
	HeapMB     int
	MemoryMB   int
	NoFile     int    // open-files limit; 0 = the engine's default
	IndexAlias string // the app's index, whose user and role the start script makes
	// Security turns xpack security on; the elastic user's password, and
	// the app user's derived from it, are then set.
	Security        bool
	ElasticPassword string
	AppPassword     string
	PublishPort     int    // 0 = not published
	BindAddress     string // where PublishPort is published
	WaitTimeout     int    // seconds pulumi up waits for the node to be healthy

	Network pulumi.StringOutput // the network's name
	Volume  pulumi.StringOutput // the data volume's name
}

func newSearch(ctx *pulumi.Context, name string, args searchArgs, opts ...pulumi.ResourceOption) (*Search, error) {
	s := &Search{}
	if err := ctx.RegisterComponentResource("foodtrucks:local:Search", name, s, opts...); err != nil {
		return nil, err
	}
	image, err := docker.NewRemoteImage(ctx, "elasticsearch", &docker.RemoteImageArgs{
		Name: pulumi.String(args.Image),
		// Keep the ~1 GB image on destroy: the next `make up` then starts
		// without downloading it again.
		KeepLocally: pulumi.Bool(true),
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}

	container := &docker.ContainerArgs{
		Name: pulumi.String(args.Naming.Name("search")),
		// The image ID, not the name: a name or a remote digest makes the
		// provider see a change on every up.
		Image:  image.ImageId,
		Envs:   searchEnv(args),
		Memory: pulumi.Int(args.MemoryMB),
		// Swap limit = memory limit: no swap, and what the provider reads
		// back (unset, Docker makes it twice the memory: an update on every up).
		MemorySwap: pulumi.Int(args.MemoryMB),
		Ulimits:    esUlimits(args.NoFile),
		Volumes: docker.ContainerVolumeArray{
			docker.ContainerVolumeArgs{VolumeName: args.Volume, ContainerPath: pulumi.String(esDataPath)},
		},
		NetworksAdvanced: docker.ContainerNetworksAdvancedArray{
			docker.ContainerNetworksAdvancedArgs{Name: args.Network, Aliases: pulumi.ToStringArray([]string{SearchAlias})},
		},
		Healthcheck: &docker.ContainerHealthcheckArgs{
			Tests:    pulumi.ToStringArray(searchHealthTest(args.Security)),
			Interval: pulumi.String("10s"),
			Timeout:  pulumi.String("10s"),
			// A cold start (JVM, plugins, first cluster state) takes tens of
			// seconds. Written as Go prints a duration ("1m0s", not "60s"):
			// the provider reads it back that way.
			StartPeriod: pulumi.String("1m0s"),
			Retries:     pulumi.Int(6),
		},
		Restart: pulumi.String("unless-stopped"),
		// pulumi up returns only when the cluster answers, so the web
		// containers (which depend on this one) start against a live node.
		Wait:        pulumi.Bool(true),
		WaitTimeout: pulumi.Int(args.WaitTimeout),
		// Let Elasticsearch flush and close shards on stop.
		DestroyGraceSeconds: pulumi.Int(30),
		Labels:              docker.ContainerLabelArray(labels(args.Naming, "search", containerLabel)),
	}
	if args.Security {
		// The web app's own user and role, made as in prod: the web
		// containers never get elastic's password.
		command, err := esstart.Command(args.IndexAlias)
		if err != nil {
			return nil, err
		}
		container.Command = pulumi.ToStringArray(command)
	}
	if args.PublishPort > 0 {
		container.Ports = docker.ContainerPortArray{docker.ContainerPortArgs{
			Internal: pulumi.Int(esPort),
			External: pulumi.Int(args.PublishPort),
			Ip:       pulumi.String(args.BindAddress),
		}}
	}
	c, err := docker.NewContainer(ctx, "elasticsearch", container, pulumi.Parent(s), containerOptions())
	if err != nil {
		return nil, err
	}
	s.Container = c
	s.ImageRef = image.Name
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{"image": image.Name, "container": c.Name})
}

// esUlimits asks for the open-files limit Elasticsearch's bootstrap check
// wants (65535 by default). An engine that cannot grant it fails the start
// with runc's "error setting rlimit type 7"; localEsNoFile lowers it, and 0
// leaves the engine's default (single-node discovery only warns).
func esUlimits(noFile int) docker.ContainerUlimitArray {
	if noFile == 0 {
		return nil
	}
	return docker.ContainerUlimitArray{
		docker.ContainerUlimitArgs{Name: pulumi.String("nofile"), Soft: pulumi.Int(noFile), Hard: pulumi.Int(noFile)},
	}
}

// searchEnv configures a single node. With security off (the dev default,
// as in the original app) anyone on the private network may query it; with
// security on, the elastic user's password comes from the stack secret,
// the app user's (derived from it) goes to the start script, and the
// environment is stored as a secret. HTTP stays plain either way: the
// traffic never leaves the bridge network, and the web app's URL is the
// same http://es:9200 as in prod.
func searchEnv(args searchArgs) pulumi.StringArrayInput {
	env := []string{
		"discovery.type=single-node",
		"cluster.name=" + args.Naming.Name("search"),
		fmt.Sprintf("ES_JAVA_OPTS=-Xms%dm -Xmx%dm", args.HeapMB, args.HeapMB),
		"xpack.security.enabled=" + strconv.FormatBool(args.Security),
		// Keep the image from auto-configuring TLS on the HTTP layer.
		"xpack.security.http.ssl.enabled=false",
		"xpack.security.transport.ssl.enabled=false",
		"xpack.ml.enabled=false", // not used; saves memory and start-up time
	}
	if !args.Security {
		return pulumi.ToStringArray(env)
	}
	env = append(env, "ELASTIC_PASSWORD="+args.ElasticPassword, esstart.AppPasswordEnv+"="+args.AppPassword)
	return pulumi.ToSecret(pulumi.ToStringArray(env)).(pulumi.StringArrayOutput)
}

// searchHealthTest asks for cluster health with curl (in the official
// image). A timeout answers 408, so -f fails the check. The password is read
// from the container's own environment, so it is not written into the
// healthcheck definition.
func searchHealthTest(security bool) []string {
	auth := ""
	if security {
		auth = `-u "elastic:$ELASTIC_PASSWORD" `
	}
	return []string{"CMD-SHELL", fmt.Sprintf(`curl -fsS %s"http://localhost:%d/_cluster/health?wait_for_status=yellow&timeout=5s"`, auth, esPort)}
}
