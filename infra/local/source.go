package local

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ImageSources are the paths the web image is built from, as git
// pathspecs: what the root .dockerignore lets into its context, less the
// test code it keeps out.
var ImageSources = []string{"webapp", "go.mod", "go.sum",
	":(exclude,glob)webapp/**/*_test.go", ":(exclude,glob)webapp/**/testdata/**", ":(exclude)webapp/testkit"}

// sourceVersion names what the web image is built from, for its /healthz:
// the last commit that changed the image's sources, so a commit elsewhere
// (docs, infra) does not rebuild the image; "-dirty" while tracked sources
// differ from it. Without git (a source archive) it is "dev" and "unknown",
// the Dockerfile's defaults.
func sourceVersion(root string) (version, revision string) {
	git := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	rev, err := git(append([]string{"log", "-1", "--format=%H", "--"}, ImageSources...)...)
	if err != nil || rev == "" {
		return "dev", "unknown"
	}
	version, err = git("describe", "--tags", "--always", rev)
	if err != nil {
		version = rev[:12]
	}
	if _, err := git(append([]string{"diff", "--quiet", "HEAD", "--"}, ImageSources...)...); err != nil {
		version += "-dirty"
	}
	return version, rev
}

// enginePlatform asks the Docker engine for its os/arch, the platform the
// web image is built for when localPlatform is empty.
func enginePlatform() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Os}}/{{.Server.Arch}}").CombinedOutput()
	platform := strings.TrimSpace(string(out))
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.New("no answer in 30s")
	}
	if err != nil || !strings.HasPrefix(platform, "linux/") && !strings.HasPrefix(platform, "windows/") {
		return "", fmt.Errorf("localPlatform is empty, so the web image is built for the Docker engine's platform, "+
			"but `docker version` did not say it (%v: %s); start Docker (or point DOCKER_HOST at it), or set localPlatform (e.g. linux/amd64)",
			err, platform)
	}
	return platform, nil
}
