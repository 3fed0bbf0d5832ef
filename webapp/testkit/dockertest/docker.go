package dockertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// Labels every object this package creates carries. TestLabel marks test
// objects in general (docker ps -a --filter label=foodtrucks.test=1 lists
// leftovers); RunLabel names the test process that made them.
const (
	TestLabel = "foodtrucks.test"
	RunLabel  = "foodtrucks.test.run"
)

// EnvRequired makes a missing engine a test failure instead of a skip.
const EnvRequired = "DOCKER_TESTS_REQUIRED"

// commandTimeout bounds every docker call except builds, so a wedged engine
// fails the test instead of hanging it until go test's global timeout.
const commandTimeout = 60 * time.Second

// runID tells this process's objects apart from those of test binaries
// running at the same time against the same engine.
var runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1_000_000)

// RunID is the value of RunLabel on everything this process creates.
func RunID() string { return runID }

type clients struct {
	docker string // runs, inspects, removes
	build  string // a client that builds with BuildKit
	err    error  // why no engine is usable
}

var (
	clientsOnce sync.Once
	found       clients
)

func dockerClients() clients {
	clientsOnce.Do(func() { found = discoverClients() })
	return found
}

func discoverClients() clients {
	docker := os.Getenv("DOCKER")
	if docker == "" {
		docker = "docker"
	}
	path, err := exec.LookPath(docker)
	if err != nil {
		return clients{err: fmt.Errorf("no docker client: %w", err)}
	}
	c := clients{docker: path}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := command(ctx, path, nil, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		c.err = fmt.Errorf("docker engine not reachable with %s: %w", path, err)
		return c
	}
	if strings.TrimSpace(out) == "" {
		c.err = fmt.Errorf("docker engine not reachable with %s: empty server version", path)
		return c
	}
	c.build = findBuildClient(ctx, path)
	return c
}

// findBuildClient returns a docker client able to build with BuildKit, or ""
// when there is none. Clients from 23.0 on delegate BuildKit builds to the
// buildx plugin and fall back to the legacy builder without it; the legacy
// builder cannot skip stages, so it would try to pull the Go builder image.
func findBuildClient(ctx context.Context, preferred string) string {
	candidates := []string{}
	if named := os.Getenv("DOCKER_BUILD_CLIENT"); named != "" {
		candidates = append(candidates, named)
	}
	candidates = append(candidates, preferred)
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		candidates = append(candidates, filepath.Join(dir, "docker"))
	}
	candidates = append(candidates, "/usr/bin/docker", "/usr/local/bin/docker")
	seen := map[string]bool{}
	for _, candidate := range candidates {
		path, err := exec.LookPath(candidate)
		if err != nil || seen[path] {
			continue
		}
		seen[path] = true
		if _, err := command(ctx, path, nil, "buildx", "version"); err == nil {
			return path
		}
		out, err := command(ctx, path, nil, "version", "--format", "{{.Client.Version}}")
		if err != nil {
			continue
		}
		if major, ok := majorVersion(out); ok && major < 23 && major >= 18 {
			return path
		}
	}
	return ""
}

func majorVersion(version string) (int, bool) {
	head, _, _ := strings.Cut(strings.TrimSpace(version), ".")
	major, err := strconv.Atoi(head)
	return major, err == nil
}

// Available reports whether a Docker engine answers. It does not say whether
// images can be built; BuildWebImage checks that.
func Available() error { return dockerClients().err }

var skipNoticeOnce sync.Once

// Require skips tb when no Docker engine is reachable, telling so on stderr
// even without -v, or fails it when DOCKER_TESTS_REQUIRED=1.
func Require(tb testing.TB) {
	tb.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv(EnvRequired) == "1" {
		tb.Fatalf("Docker engine required (%s=1) but not usable: %v", EnvRequired, err)
	}
	msg := fmt.Sprintf("SKIPPING tests on the real Docker engine: %v. "+
		"Start an engine to run them; set %s=1 to make this a failure.", err, EnvRequired)
	skipNoticeOnce.Do(func() { fmt.Fprintln(os.Stderr, "dockertest: "+msg) })
	tb.Skip(msg)
}

// Docker runs the docker client with args and returns its standard output.
// The error carries the command line and its standard error.
func Docker(ctx context.Context, args ...string) (string, error) {
	c := dockerClients()
	if c.err != nil {
		return "", c.err
	}
	return command(ctx, c.docker, nil, args...)
}

// docker is Docker with the default timeout, failing tb on error.
func docker(tb testing.TB, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := Docker(ctx, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func command(ctx context.Context, name string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", filepath.Base(name),
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// SampleData is the path of a file of the shared sample data set (see
// repo.SampleData).
func SampleData(tb testing.TB, name string) string {
	tb.Helper()
	return repo.SampleData(tb, name)
}
