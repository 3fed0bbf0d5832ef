package aws

import (
	"encoding/json"

	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// The web image is built from the repository root with webapp/Dockerfile.
// The program runs with infra/ as its working directory (main: infra/ in
// Pulumi.yaml) and pulumi-docker resolves the Dockerfile against the
// working directory, not the context, so both paths start from infra/.
const (
	webBuildContext = ".."
	webDockerfile   = "../webapp/Dockerfile"
	// The Dockerfile's default: compile inside the Go builder stage, so the
	// image's architecture follows --platform, not the deploying machine.
	webBinarySource = "build"
	// The Elasticsearch mirror (awsEsImageMirror): a Dockerfile that is
	// only FROM the configured image, its folder the whole context.
	esMirrorContext    = "aws/esimage"
	esMirrorDockerfile = "aws/esimage/Dockerfile"
)

// Registry is the ECR repository of the web image and the image itself,
// built for the tasks' CPU architecture and pushed there.
type Registry struct {
	pulumi.ResourceState

	RepositoryURL pulumi.StringOutput
	RepositoryARN pulumi.StringOutput
	// ImageRef is repo@sha256:…: a new image makes a new task definition
	// revision, and an unchanged one changes nothing.
	ImageRef pulumi.StringOutput

	// With awsEsImageMirror: the Elasticsearch image copied into the
	// stack's own repository, and that repository.
	MirrorsES       bool
	ESImageRef      pulumi.StringOutput
	ESRepositoryARN pulumi.StringOutput
}

// registryArgs is what the registry reads.
type registryArgs struct {
	Naming       config.Naming // the image tag is the stack's name
	Architecture string        // awsArchitecture: the images are built for it
	// The repositories: images kept, whether destroy deletes them with
	// their images, and whether they are protected (awsProtectData).
	ECRKeepImages  int
	ECRForceDelete bool
	ProtectData    bool
	// MirrorESImage copies ESImage (repository:tag) into a repository of
	// the stack's own.
	MirrorESImage bool
	ESImage       string
	// Provider is the stack's AWS provider, which the registry's
	// credentials are asked of.
	Provider *awsp.Provider
}

func newRegistry(ctx *pulumi.Context, name string, args registryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	r := &Registry{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Registry", name, r, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(r)

	repo, image, err := pushedImage(ctx, args, "web", docker.DockerBuildArgs{
		Context:        pulumi.String(webBuildContext),
		Dockerfile:     pulumi.String(webDockerfile),
		Platform:       pulumi.String(dockerPlatform(args.Architecture)),
		BuilderVersion: docker.BuilderVersionBuilderBuildKit, // the Dockerfile uses cache mounts
		Args:           pulumi.StringMap{"BINARY_SOURCE": pulumi.String(webBinarySource)},
	}, child)
	if err != nil {
		return nil, err
	}
	if args.MirrorESImage {
		esRepo, esImage, err := pushedImage(ctx, args, "es", docker.DockerBuildArgs{
			Context:        pulumi.String(esMirrorContext),
			Dockerfile:     pulumi.String(esMirrorDockerfile),
			Platform:       pulumi.String(dockerPlatform(args.Architecture)),
			BuilderVersion: docker.BuilderVersionBuilderBuildKit,
			Args:           pulumi.StringMap{"ES_IMAGE": pulumi.String(args.ESImage)},
		}, child)
		if err != nil {
			return nil, err
		}
		r.MirrorsES, r.ESImageRef, r.ESRepositoryARN = true, esImage.RepoDigest, esRepo.Arn
	}

	r.RepositoryURL = repo.RepositoryUrl
	r.RepositoryARN = repo.Arn
	r.ImageRef = image.RepoDigest
	return r, ctx.RegisterResourceOutputs(r, pulumi.Map{
		"repositoryUrl": r.RepositoryURL,
		"imageRef":      r.ImageRef,
	})
}

// pushedImage is one ECR repository of the stack (scan on push, lifecycle
// policy) and an image built for the tasks' architecture and pushed there.
func pushedImage(ctx *pulumi.Context, args registryArgs, component string, build docker.DockerBuildArgs, child pulumi.ResourceOption) (*ecr.Repository, *docker.Image, error) {
	repoName := args.Naming.Name(component)
	repo, err := ecr.NewRepository(ctx, repoName, &ecr.RepositoryArgs{
		Name: pulumi.String(repoName),
		ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		ImageTagMutability: pulumi.String("MUTABLE"), // the stack's tag moves; tasks pin the digest
		ForceDelete:        pulumi.Bool(args.ECRForceDelete),
		Tags:               componentTags("registry", repoName),
	}, child, pulumi.Protect(args.ProtectData), pulumi.RetainOnDelete(args.ProtectData))
	if err != nil {
		return nil, nil, err
	}
	policy, err := lifecyclePolicy(args.ECRKeepImages)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, repoName, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, child); err != nil {
		return nil, nil, err
	}

	// A fresh token on every run; pulumi-docker does not diff registry
	// credentials, so its 12-hour rotation never rebuilds the image.
	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{
		RegistryId: repo.RegistryId,
	}, pulumi.Provider(args.Provider))
	image, err := docker.NewImage(ctx, repoName, &docker.ImageArgs{
		ImageName: pulumi.Sprintf("%s:%s", repo.RepositoryUrl, args.Naming.Stack),
		Build:     build,
		Registry: docker.RegistryArgs{
			Server:   repo.RepositoryUrl,
			Username: token.UserName(),
			Password: pulumi.ToSecret(token.Password()).(pulumi.StringOutput),
		},
	}, child)
	if err != nil {
		return nil, nil, err
	}
	return repo, image, nil
}

// lifecyclePolicy keeps the newest keep images and expires the rest, so the
// repository does not grow with every deployment.
func lifecyclePolicy(keep int) (string, error) {
	type selection struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountNumber int    `json:"countNumber"`
	}
	type action struct {
		Type string `json:"type"`
	}
	type rule struct {
		RulePriority int       `json:"rulePriority"`
		Description  string    `json:"description"`
		Selection    selection `json:"selection"`
		Action       action    `json:"action"`
	}
	doc := struct {
		Rules []rule `json:"rules"`
	}{Rules: []rule{{
		RulePriority: 1,
		Description:  "keep the newest images only",
		Selection:    selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
		Action:       action{Type: "expire"},
	}}}
	b, err := json.Marshal(doc)
	return string(b), err
}

// dockerPlatform maps the ECS CPU architecture to the image platform.
func dockerPlatform(architecture string) string {
	if architecture == config.ArchitectureARM64 {
		return "linux/arm64"
	}
	return "linux/amd64"
}
