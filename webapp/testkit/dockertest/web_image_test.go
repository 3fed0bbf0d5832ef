package dockertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// The hardening every web container in these tests runs with, as the stacks
// run it: nothing writable, no capabilities, no privilege gain.
var hardened = dockertest.ContainerSpec{
	ReadOnly:    true,
	CapDrop:     []string{"ALL"},
	SecurityOpt: []string{"no-new-privileges"},
}

const webPort = 5000

type imageConfig struct {
	Size   int64
	Config struct {
		User         string
		Env          []string
		ExposedPorts map[string]struct{}
		Entrypoint   []string
		Cmd          []string
		Labels       map[string]string
		Healthcheck  *struct {
			Test                           []string
			Interval, Timeout, StartPeriod time.Duration
			Retries                        int
		}
	}
}

func inspectImage(t *testing.T, id string) imageConfig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := dockertest.Docker(ctx, "image", "inspect", "--format", "{{json .}}", id)
	if err != nil {
		t.Fatal(err)
	}
	var img imageConfig
	if err := json.Unmarshal([]byte(out), &img); err != nil {
		t.Fatalf("decoding docker image inspect: %v", err)
	}
	return img
}

func TestWebImageIsSmallNonRootAndHealthChecked(t *testing.T) {
	img := inspectImage(t, dockertest.BuildWebImage(t))
	t.Logf("size %.1f MB, user %q, healthcheck %+v", float64(img.Size)/1e6, img.Config.User, *img.Config.Healthcheck)

	const maxSize = 20_000_000 // as docker images counts MB
	if img.Size > maxSize {
		t.Errorf("image is %d bytes, more than %d; the binary is nearly all of it: "+
			"`go tool nm -size -sort size` on a build without -s -w shows which packages fill it", img.Size, maxSize)
	}

	uid, _, _ := strings.Cut(img.Config.User, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("image user %q: want a numeric non-root uid, so the engine can tell without /etc/passwd", img.Config.User)
	}

	h := img.Config.Healthcheck
	if h == nil {
		t.Fatal("image has no HEALTHCHECK")
	}
	if want := []string{"CMD", "/foodtrucks", "healthcheck"}; !slices.Equal(h.Test, want) {
		t.Errorf("healthcheck test %q, want %q (exec form: the image has no shell)", h.Test, want)
	}
	if h.Interval <= 0 || h.Timeout <= 0 || h.Timeout >= h.Interval || h.Retries < 1 {
		t.Errorf("healthcheck timings %+v: want an interval, a shorter timeout and retries", *h)
	}

	if !slices.Equal(img.Config.Entrypoint, []string{"/foodtrucks"}) || !slices.Equal(img.Config.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q, want [/foodtrucks] [serve]", img.Config.Entrypoint, img.Config.Cmd)
	}
	if _, ok := img.Config.ExposedPorts["5000/tcp"]; !ok {
		t.Errorf("exposed ports %v lack 5000/tcp", img.Config.ExposedPorts)
	}
	if !slices.Contains(img.Config.Env, "PORT=5000") {
		t.Errorf("env %q lacks PORT=5000", img.Config.Env)
	}
	for _, label := range []string{"source", "version", "revision", "title"} {
		if img.Config.Labels["org.opencontainers.image."+label] == "" {
			t.Errorf("label org.opencontainers.image.%s missing", label)
		}
	}
	if v := img.Config.Labels["org.opencontainers.image.version"]; v != "test" {
		t.Errorf("version label %q, want the build argument's value test", v)
	}
}

func TestWebContainerRunsHardenedAndStopsCleanly(t *testing.T) {
	spec := hardened
	spec.Image = dockertest.BuildWebImage(t)
	spec.Name = "web"
	// Nothing answers at this name on the default bridge: the search engine is away.
	spec.Env = []string{"ES_URL=http://es:9200"}
	spec.Ports = []dockertest.Port{{ContainerPort: webPort}}
	web := dockertest.Run(t, spec)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := time.Now()
	if err := web.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("healthy after %s with the image's own health check", time.Since(started).Round(time.Millisecond))

	if status, body := get(t, web.URL(webPort, "/healthz")); status != http.StatusOK {
		t.Errorf("GET /healthz = %d %s, want 200", status, body)
	}
	status, body := get(t, web.URL(webPort, "/readyz"))
	if status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz without a search engine = %d %s, want 503", status, body)
	}
	if !json.Valid([]byte(body)) {
		t.Errorf("GET /readyz body %q is not JSON", body)
	}

	const grace = 10 * time.Second
	code, elapsed := web.Stop(grace)
	t.Logf("docker stop took %s, exit code %d", elapsed.Round(time.Millisecond), code)
	if code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; logs:\n%s", code, web.Logs())
	}
	if elapsed >= grace {
		t.Errorf("docker stop took %s: the server ignored SIGTERM and was killed", elapsed)
	}
}

// A container that cannot serve must make WaitHealthy fail at once with the
// reason, not wait out its deadline.
func TestWaitHealthyReportsAContainerThatExited(t *testing.T) {
	spec := hardened
	spec.Image = dockertest.BuildWebImage(t)
	spec.Cmd = []string{"no-such-subcommand"}
	c := dockertest.Run(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := time.Now()
	err := c.WaitHealthy(ctx)
	if err == nil {
		t.Fatal("WaitHealthy succeeded for a container started with an unknown subcommand")
	}
	if !strings.Contains(err.Error(), "exited") || time.Since(started) > 30*time.Second {
		t.Errorf("after %s: %v; want a quick report that the container exited", time.Since(started), err)
	}
}

// Cleanup must remove what a test made even when the test fails halfway. The
// container here is created but cannot start (its host port is taken), so Run
// fails the test after creating it; the registered cleanup must remove it and
// the network anyway.
func TestCleanupRemovesWhatAFailedTestMade(t *testing.T) {
	image := dockertest.BuildWebImage(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port

	failing := &failingTB{TB: t}
	var networkName string
	done := make(chan struct{})
	go func() {
		defer close(done)
		networkName = dockertest.CreateNetwork(failing, "net")
		spec := hardened
		spec.Image, spec.Name, spec.Network = image, "doomed", networkName
		spec.Ports = []dockertest.Port{{HostPort: takenPort, ContainerPort: webPort}}
		dockertest.Run(failing, spec)
	}()
	<-done
	if failing.fatal == "" {
		t.Fatalf("Run succeeded although host port %d was taken", takenPort)
	}
	t.Logf("Run failed as staged: %s", failing.fatal)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	leftovers := func() string {
		out, err := dockertest.Docker(ctx, "ps", "-a", "--format", "{{.Names}}",
			"--filter", "label="+dockertest.RunLabel+"="+dockertest.RunID(), "--filter", "network="+networkName)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	if leftovers() == "" {
		t.Fatal("no container was created, so this test shows nothing about cleanup")
	}
	failing.runCleanups()
	if names := leftovers(); names != "" {
		t.Errorf("containers left after cleanup: %s", names)
	}
	if out, _ := dockertest.Docker(ctx, "network", "ls", "-q", "--filter", "name=^"+networkName+"$"); strings.TrimSpace(out) != "" {
		t.Errorf("network %s left after cleanup", networkName)
	}
}

// failingTB passes everything to the real test except failures, which it
// records (ending the goroutine like t.Fatal does), and cleanups, which it
// runs when told.
type failingTB struct {
	testing.TB
	fatal    string
	errors   []string
	cleanups []func()
}

func (f *failingTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *failingTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *failingTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *failingTB) Failed() bool      { return f.fatal != "" || len(f.errors) > 0 }
func (f *failingTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *failingTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	if len(f.errors) > 0 {
		f.TB.Errorf("cleanup reported: %q", f.errors)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

var httpClient = &http.Client{Timeout: 10 * time.Second}
