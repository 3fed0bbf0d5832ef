package dockertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// buildTimeout covers a cold Go build of the web server plus the image build.
const buildTimeout = 10 * time.Minute

// Source locations inside the repository.
const (
	webPackage     = "./webapp"
	webDockerfile  = "webapp/Dockerfile"
	esProxyPackage = "./webapp/testkit/esfault/cmd/esfault"
	caBundle       = "/etc/ssl/certs/ca-certificates.crt"
)

// ESProxyPort is the port the Elasticsearch proxy listens on in its image,
// the same as Elasticsearch's.
const ESProxyPort = 9200

// esProxyDockerfile puts the proxy on an empty base like the web server,
// unprivileged, so a test network holds nothing but two static binaries.
const esProxyDockerfile = `FROM scratch
COPY esfault /esfault
USER 65532:65532
EXPOSE 9200
ENTRYPOINT ["/esfault"]
`

var mainInstalled atomic.Bool

type builtImage struct {
	once sync.Once
	tag  string
	id   string
	err  error
}

var (
	webImage     builtImage
	esProxyImage builtImage
)

// Main runs the tests, then stops the shared Elasticsearch node and removes
// the images they built. Call it from
// TestMain so that images are built once per test binary:
//
//	func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }
func Main(m *testing.M) int {
	mainInstalled.Store(true)
	code := m.Run()
	esnode.StopShared() // started by NodeForNetwork, if any test asked
	for _, img := range []*builtImage{&webImage, &esProxyImage} {
		if img.tag == "" || img.err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		if _, err := Docker(ctx, "image", "rm", img.tag); err != nil {
			fmt.Fprintf(os.Stderr, "dockertest: removing test image %s: %v\n", img.tag, err)
			if code == 0 {
				code = 1
			}
		}
		cancel()
	}
	return code
}

// BuildWebImage builds the web server's image from webapp/Dockerfile and
// returns its ID (sha256:…). The binary is compiled on the host
// (CGO_ENABLED=0, -trimpath) and enters the runtime stage through the
// Dockerfile's offline path (BINARY_SOURCE=prebuilt), so no base image is
// pulled.
func BuildWebImage(tb testing.TB) string {
	tb.Helper()
	return image(tb, &webImage, "web", func(ctx context.Context, root, dir string) (string, error) {
		if _, err := os.Stat(filepath.Join(root, "webapp", "main.go")); err != nil {
			return "", errMissingSource{fmt.Sprintf("the web server (webapp/main.go) is not there yet: %v", err)}
		}
		bin := filepath.Join(dir, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return "", err
		}
		ldflags := "-s -w -X main.version=test -X main.revision=" + revision(ctx, root)
		if err := goBuild(ctx, root, webPackage, filepath.Join(bin, "foodtrucks"), ldflags); err != nil {
			return "", err
		}
		if err := repo.CopyFile(caBundle, filepath.Join(bin, "ca-certificates.crt")); err != nil {
			return "", fmt.Errorf("the image needs the host's CA bundle: %w", err)
		}
		return "", nil
	}, func(root string) []string {
		return []string{"-f", filepath.Join(root, webDockerfile), "--build-arg", "BINARY_SOURCE=prebuilt",
			"--build-arg", "VERSION=test"}
	})
}

// BuildESProxyImage builds an image holding only the static binary of the
// Elasticsearch proxy (package esfault, command esfault), listening on
// ESProxyPort and forwarding to the node named by its ES_TARGET, and returns
// its ID.
func BuildESProxyImage(tb testing.TB) string {
	tb.Helper()
	return image(tb, &esProxyImage, "esproxy", func(ctx context.Context, root, dir string) (string, error) {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(esProxyPackage))); err != nil {
			return "", errMissingSource{fmt.Sprintf("the Elasticsearch proxy's command (%s) is not there yet: %v", esProxyPackage, err)}
		}
		if err := goBuild(ctx, root, esProxyPackage, filepath.Join(dir, "esfault"), "-s -w"); err != nil {
			return "", err
		}
		return "", os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(esProxyDockerfile), 0o644)
	}, func(string) []string { return nil })
}

// errMissingSource means a part of the repository the image is built from has
// not been written yet: the test is skipped, not failed.
type errMissingSource struct{ msg string }

func (e errMissingSource) Error() string { return e.msg }

type prepareFunc func(ctx context.Context, root, contextDir string) (string, error)

func image(tb testing.TB, img *builtImage, kind string, prepare prepareFunc, buildArgs func(root string) []string) string {
	tb.Helper()
	Require(tb)
	if !mainInstalled.Load() {
		// No end-of-binary hook: build for this test alone and clean up after it.
		var own builtImage
		own.tag, own.id, own.err = buildImage(tb, kind, prepare, buildArgs)
		if own.err == nil {
			tb.Cleanup(func() { removeImage(tb, own.tag) })
		}
		return imageResult(tb, &own)
	}
	img.once.Do(func() { img.tag, img.id, img.err = buildImage(tb, kind, prepare, buildArgs) })
	return imageResult(tb, img)
}

func imageResult(tb testing.TB, img *builtImage) string {
	tb.Helper()
	if img.err != nil {
		if missing, ok := img.err.(errMissingSource); ok {
			tb.Skip(missing.msg)
		}
		tb.Fatal(img.err)
	}
	return img.id
}

func buildImage(tb testing.TB, kind string, prepare prepareFunc, buildArgs func(root string) []string) (tag, id string, err error) {
	c := dockerClients()
	if c.build == "" {
		return "", "", errNoBuildKit
	}
	root, err := repo.Root()
	if err != nil {
		return "", "", err
	}
	// A directory of its own, not tb.TempDir: with Main the image outlives the
	// test that happened to build it.
	dir, err := os.MkdirTemp("", "dockertest-"+kind+"-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(dir)

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	started := time.Now()
	if _, err := prepare(ctx, root, dir); err != nil {
		return "", "", err
	}
	tag = "foodtrucks-test/" + kind + ":" + runID
	iidFile := filepath.Join(dir, "image-id")
	args := append([]string{"build", "--progress=plain", "--iidfile", iidFile, "-t", tag,
		"--label", TestLabel + "=1", "--label", RunLabel + "=" + runID}, buildArgs(root)...)
	args = append(args, dir)
	if _, err := command(ctx, c.build, []string{"DOCKER_BUILDKIT=1"}, args...); err != nil {
		return "", "", fmt.Errorf("building the %s image: %w", kind, err)
	}
	raw, err := os.ReadFile(iidFile)
	if err != nil {
		return "", "", err
	}
	id = strings.TrimSpace(string(raw))
	tb.Logf("built %s image %s (%s) in %s", kind, tag, id, time.Since(started).Round(time.Millisecond))
	return tag, id, nil
}

func removeImage(tb testing.TB, tag string) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if _, err := Docker(ctx, "image", "rm", tag); err != nil {
		tb.Errorf("removing test image: %v", err)
	}
}

func goBuild(ctx context.Context, root, pkg, out, ldflags string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux"}
	_, err = command(ctx, goTool, env, "-C", root, "build", "-trimpath", "-ldflags", ldflags, "-o", out, pkg)
	return err
}

// revision is the commit being tested, so a test image says what it holds.
func revision(ctx context.Context, root string) string {
	out, err := command(ctx, "git", nil, "-C", root, "rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(out)
}

// Build runs docker build with BuildKit (the client that can, see the package
// documentation) and returns its combined output, where BuildKit writes its
// progress.
func Build(ctx context.Context, args ...string) (string, error) {
	c := dockerClients()
	if c.err != nil {
		return "", c.err
	}
	if c.build == "" {
		return "", errNoBuildKit
	}
	cmd := exec.CommandContext(ctx, c.build, append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker build %s: %w:\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

var errNoBuildKit = fmt.Errorf("no docker client here builds with BuildKit (need the buildx plugin, " +
	"or a client before 23.0 with DOCKER_BUILDKIT=1); name one with DOCKER_BUILD_CLIENT")
