package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// Paths of the web image build, relative to infra/: Pulumi runs the program
// there (Pulumi.yaml main: infra/), and the Docker provider resolves the
// Dockerfile against the working directory, not against the context. The
// context is the repository root because the module's go.mod is there;
// the root .dockerignore keeps everything but the web sources out.
const (
	WebBuildContext = ".."
	WebDockerfile   = "../webapp/Dockerfile"
)

// The UI sources on the host, relative to the project root, and where the
// dev mode mounts them.
const (
	uiSourceDir = "webapp/ui/static"
	uiMountPath = "/ui"
)

// The dev mode's server builds: `make dev-build` compiles the server on
// the host into DevBinDir (relative to the project root), and the web
// containers run it from devBinMountPath; `make dev-reload` builds and
// restarts them. Their image (the Dockerfile's target devImageTarget) holds
// no server and is built from an empty folder (devImageContext), so a Go
// edit changes no input of any resource: Pulumi sees nothing to do.
const (
	DevBinDir       = ".cache/dev-bin"
	devBinMountPath = "/dev-bin"
	DevBinaryName   = "foodtrucks"
	devImageDir     = ".cache/dev-image"
	devImageContext = "../" + devImageDir
	devImageTarget  = "dev"
)

// WebContainerPort is the port the app listens on inside its container, the
// app's default. The host port is webPort (8080 by default: 5000 is taken
// on macOS by the AirPlay receiver), so the two are independent.
const WebContainerPort = contract.DefaultPort

// webGraceSeconds is how long Docker waits after SIGTERM before it kills a
// web container; the app's own drain takes at most 8s.
const webGraceSeconds = 10

// webUser is the image's own numeric non-root user; set again here so the
// container runs unprivileged even if the image changed.
const webUser = contract.User

// Web is the web image and its containers.
type Web struct {
	pulumi.ResourceState
	ImageID    pulumi.StringOutput
	Containers []*docker.Container
	URLs       []string
}

// webArgs is what the web image and its containers read.
type webArgs struct {
	Naming      config.Naming
	Platform    string // os/arch of the image; "" = the engine's own
	DevMode     bool   // bind-mount the UI and the server's development builds, debug logs
	Replicas    int
	Port        int    // the first replica's host port; the others count up from it
	BindAddress string // where the ports are published
	WaitTimeout int    // seconds pulumi up waits for each container to be healthy

	// The app's settings, handed to it as environment (webEnv).
	IndexAlias        string
	DataURL           string
	RefreshInterval   string
	LogLevel          string
	SearchCacheMB     int
	SearchMaxInFlight int
	// With ESSecurity the app logs in as its own user with ESAppPassword.
	ESSecurity    bool
	ESAppPassword string

	Network pulumi.StringOutput // the network's name
	// Search is the Elasticsearch container; the web containers start
	// after it is healthy.
	Search pulumi.Resource
}

func newWeb(ctx *pulumi.Context, name string, args webArgs, opts ...pulumi.ResourceOption) (*Web, error) {
	w := &Web{}
	if err := ctx.RegisterComponentResource("foodtrucks:local:Web", name, w, opts...); err != nil {
		return nil, err
	}
	platform := args.Platform
	if platform == "" {
		p, err := enginePlatform()
		if err != nil {
			return nil, err
		}
		platform = p
	}
	build := &docker.DockerBuildArgs{
		Context:        pulumi.String(WebBuildContext),
		Dockerfile:     pulumi.String(WebDockerfile),
		BuilderVersion: docker.BuilderVersionBuilderBuildKit,
		// The engine's platform, not the provider's: an x86 Pulumi under
		// Rosetta on an ARM Mac would otherwise build amd64.
		Platform: pulumi.String(platform),
	}
	health := contract.HealthCommand()
	if args.DevMode {
		if err := devImage(ctx, build); err != nil {
			return nil, err
		}
		health = append([]string{devBinMountPath + "/" + DevBinaryName}, health[1:]...)
	} else {
		version, revision := sourceVersion(projectRoot(ctx))
		build.Args = pulumi.StringMap{"VERSION": pulumi.String(version), "REVISION": pulumi.String(revision)}
	}
	image, err := docker.NewImage(ctx, "web", &docker.ImageArgs{
		ImageName: pulumi.String(args.Naming.Name("web") + ":latest"),
		Build:     build,
		SkipPush:  pulumi.Bool(true),
		// Preview stays quick and side-effect free; a build error shows up
		// at `up`. The context hash still tells preview whether the image
		// will be rebuilt.
		BuildOnPreview: pulumi.Bool(false),
	}, pulumi.Parent(w))
	if err != nil {
		return nil, err
	}
	// With SkipPush, RepoDigest is the local image ID (sha256:…): a rebuild
	// changes it and replaces the containers; an unchanged image does not.
	w.ImageID = image.RepoDigest

	var mounts docker.ContainerMountArray
	if args.DevMode {
		dir, err := uiDir(ctx)
		if err != nil {
			return nil, err
		}
		bin, err := devBinDir(ctx)
		if err != nil {
			return nil, err
		}
		mounts = docker.ContainerMountArray{
			docker.ContainerMountArgs{
				Type: pulumi.String("bind"), Source: pulumi.String(dir), Target: pulumi.String(uiMountPath),
				ReadOnly: pulumi.Bool(true),
			},
			docker.ContainerMountArgs{
				Type: pulumi.String("bind"), Source: pulumi.String(bin), Target: pulumi.String(devBinMountPath),
				ReadOnly: pulumi.Bool(true),
			},
		}
	}

	env := webEnv(args)
	for i := range args.Replicas {
		hostPort := args.Port + i
		c, err := docker.NewContainer(ctx, fmt.Sprintf("web-%d", i), &docker.ContainerArgs{
			Name:  pulumi.String(args.Naming.Name(fmt.Sprintf("web-%d", i))),
			Image: image.RepoDigest,
			Envs:  env,
			Ports: docker.ContainerPortArray{docker.ContainerPortArgs{
				Internal: pulumi.Int(WebContainerPort),
				External: pulumi.Int(hostPort),
				Ip:       pulumi.String(args.BindAddress),
			}},
			NetworksAdvanced: docker.ContainerNetworksAdvancedArray{
				docker.ContainerNetworksAdvancedArgs{Name: args.Network},
			},
			Healthcheck: &docker.ContainerHealthcheckArgs{
				// The binary is its own probe (the image has no shell); it
				// asks the liveness route, which never touches Elasticsearch.
				Tests:       pulumi.ToStringArray(append([]string{"CMD"}, health...)),
				Interval:    pulumi.String("10s"),
				Timeout:     pulumi.String("3s"),
				StartPeriod: pulumi.String("10s"),
				Retries:     pulumi.Int(3),
			},
			Restart: pulumi.String("unless-stopped"),
			// On replace and destroy the app drains its requests (it stops
			// within 8s of SIGTERM); without this it would be killed at once.
			DestroyGraceSeconds: pulumi.Int(webGraceSeconds),
			ReadOnly:            pulumi.Bool(true),
			User:                pulumi.String(webUser),
			Capabilities:        &docker.ContainerCapabilitiesArgs{Drops: pulumi.ToStringArray([]string{"ALL"})},
			SecurityOpts:        pulumi.ToStringArray([]string{"no-new-privileges:true"}),
			Mounts:              mounts,
			Wait:                pulumi.Bool(true),
			WaitTimeout:         pulumi.Int(args.WaitTimeout),
			Labels:              docker.ContainerLabelArray(labels(args.Naming, "web", containerLabel)),
		}, pulumi.Parent(w), pulumi.DependsOn([]pulumi.Resource{args.Search}), containerOptions())
		if err != nil {
			return nil, err
		}
		w.Containers = append(w.Containers, c)
		w.URLs = append(w.URLs, hostURL(args.BindAddress, hostPort))
	}
	return w, ctx.RegisterResourceOutputs(w, pulumi.Map{
		"image": image.RepoDigest,
		"urls":  pulumi.ToStringArray(w.URLs),
	})
}

// webEnv is the app's configuration; the same variables the prod task
// definition sets. ES_URL names the network alias, as in prod.
func webEnv(args webArgs) pulumi.StringArrayInput {
	logLevel := args.LogLevel
	if args.DevMode {
		logLevel = "debug"
	}
	e := contract.Env{
		Port:              WebContainerPort,
		ESURL:             fmt.Sprintf("http://%s:%d", SearchAlias, esPort),
		Index:             args.IndexAlias,
		DataURL:           args.DataURL,
		RefreshInterval:   args.RefreshInterval,
		LogLevel:          logLevel,
		SearchCacheMB:     args.SearchCacheMB,
		SearchMaxInFlight: args.SearchMaxInFlight,
	}
	if args.DevMode {
		e.UIDir = uiMountPath
	}
	if !args.ESSecurity {
		return pulumi.ToStringArray(e.Strings())
	}
	// The app's own user (search.go), as in prod.
	e.ESUsername = config.ESAppUser
	env := append(e.Strings(), contract.EnvESPassword+"="+args.ESAppPassword)
	return pulumi.ToSecret(pulumi.ToStringArray(env)).(pulumi.StringArrayOutput)
}

// projectRoot is where Pulumi.yaml is. Older CLIs do not pass it; the
// program runs in infra/.
func projectRoot(ctx *pulumi.Context) string {
	if root := ctx.RootDirectory(); root != "" {
		return root
	}
	wd, err := os.Getwd()
	if err != nil {
		return ".."
	}
	return filepath.Dir(wd)
}

// uiDir is the absolute host path of the UI sources: a bind mount needs an
// absolute path.
func uiDir(ctx *pulumi.Context) (string, error) {
	dir := filepath.Join(projectRoot(ctx), uiSourceDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", errors.New("localDevMode: the UI sources are not at " + dir + "; run from a checkout of the project")
	}
	return dir, nil
}

// devBinDir is the absolute host path of the dev mode's server builds; the
// containers run the build in it, so it must be there before they start.
func devBinDir(ctx *pulumi.Context) (string, error) {
	dir := filepath.Join(projectRoot(ctx), DevBinDir)
	if st, err := os.Stat(filepath.Join(dir, DevBinaryName)); err != nil || st.IsDir() {
		return "", fmt.Errorf("localDevMode: the web containers run the server built on the host, "+
			"and there is none at %s: run `make dev-build` (make up and make preview do it when localDevMode is true)",
			filepath.Join(dir, DevBinaryName))
	}
	return dir, nil
}

// devImage points the build at the Dockerfile's dev target and an empty
// context folder, made when missing: the image holds no sources, so only an
// edit of the Dockerfile itself rebuilds it. The version the app reports is
// the host build's own.
func devImage(ctx *pulumi.Context, build *docker.DockerBuildArgs) error {
	dir := filepath.Join(projectRoot(ctx), devImageDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("localDevMode: the dev image's (empty) build context: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("localDevMode: the dev image's (empty) build context: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("localDevMode: the dev image is built from %s, which must be empty; remove what is in it", dir)
	}
	build.Context = pulumi.String(devImageContext)
	build.Target = pulumi.String(devImageTarget)
	return nil
}
