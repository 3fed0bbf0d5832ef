package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ContainerSpec is what a test asks the engine to run. The fields mirror
// docker.Container's inputs in the Pulumi Docker provider, so a test can
// replay what a stack registers.
type ContainerSpec struct {
	Image string // ID (sha256:…) or name of a local image
	// Name is a readable part of the container's name; Run prefixes the test's
	// name and appends a random suffix, so parallel tests never collide.
	Name        string
	Env         []string // KEY=VALUE
	User        string   // uid[:gid]; empty keeps the image's USER
	ReadOnly    bool     // read-only root filesystem
	Tmpfs       map[string]string
	CapDrop     []string
	CapAdd      []string
	SecurityOpt []string
	Ports       []Port
	Network     string
	Aliases     []string // network aliases; need Network
	// ExtraHosts are host:IP lines for the container's /etc/hosts, as
	// docker run --add-host (the IP may be the engine's "host-gateway").
	ExtraHosts []string
	Mounts     []Mount
	// Health overrides the image's health check; nil keeps it.
	Health   *Healthcheck
	Ulimits  []string // name=soft[:hard], as docker run --ulimit
	MemoryMB int
	Restart  string // no, on-failure[:n], always, unless-stopped; empty is no
	Labels   map[string]string
	Cmd      []string // arguments to the image's entrypoint
}

// Port publishes ContainerPort on the host. HostIP defaults to 127.0.0.1 —
// tests never expose anything beyond the machine — and HostPort 0 lets the
// engine pick a free port (read it back with Container.HostPort).
type Port struct {
	HostIP        string
	HostPort      int
	ContainerPort int
	Protocol      string // tcp (default) or udp
}

// Mount is a bind mount of a host path or a named volume.
type Mount struct {
	Type     string // bind (default) or volume
	Source   string
	Target   string
	ReadOnly bool
}

// Healthcheck is a container health check. Test is in the engine's form:
// ["CMD", "/bin", "arg"…], ["CMD-SHELL", "command"] or ["NONE"].
type Healthcheck struct {
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

// Container is a container Run started. It is removed when the test ends.
type Container struct {
	ID   string
	Name string
	tb   testing.TB
}

// Run creates and starts a container from spec and registers its removal
// (docker rm -f, volumes included) before anything can fail. When the test
// has failed by then, the container's last log lines are written to the test
// log first.
func Run(tb testing.TB, spec ContainerSpec) *Container {
	tb.Helper()
	Require(tb)
	name := uniqueName(tb, spec.Name)
	if spec.Health != nil && len(spec.Health.Test) > 0 && spec.Health.Test[0] == "CMD" {
		// docker run can only say CMD-SHELL, and images FROM scratch have no
		// shell. The engine keeps the image's own command when the container
		// gives only timings, which is the same check when the commands match.
		imageTest := imageHealthTest(tb, spec.Image)
		if !slices.Equal(imageTest, spec.Health.Test) {
			tb.Fatalf("health check %q differs from the image's %q: docker run cannot express an exec-form (CMD) check; "+
				"use CMD-SHELL in an image with a shell, or build the check into the image", spec.Health.Test, imageTest)
		}
	}
	args, err := createArgs(spec, name, testLabels(tb))
	if err != nil {
		tb.Fatalf("container spec %q: %v", spec.Name, err)
	}
	c := &Container{Name: name, tb: tb}
	tb.Cleanup(func() { c.remove() })
	c.ID = strings.TrimSpace(docker(tb, args...))
	docker(tb, "start", c.ID)
	return c
}

// RemoveOnCleanup removes the container named name, made by the test some
// other way than Run, when the test ends (with its last log lines if the
// test failed).
func RemoveOnCleanup(tb testing.TB, name string) {
	c := &Container{Name: name, tb: tb}
	tb.Cleanup(c.remove)
}

func (c *Container) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if c.tb.Failed() {
		if logs, err := Docker(ctx, "logs", "--tail", "50", c.Name); err == nil {
			c.tb.Logf("last log lines of %s:\n%s", c.Name, logs)
		}
	}
	out, err := Docker(ctx, "rm", "-f", "-v", c.Name)
	if err != nil && !strings.Contains(err.Error(), "No such container") {
		c.tb.Errorf("removing container %s: %v (%s)", c.Name, err, out)
	}
}

// createArgs translates spec into the arguments of docker create.
func createArgs(spec ContainerSpec, name string, labels map[string]string) ([]string, error) {
	if spec.Image == "" {
		return nil, fmt.Errorf("no image")
	}
	args := []string{"create", "--name", name}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		args = append(args, "--label", k+"="+labels[k])
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Labels)) {
		args = append(args, "--label", k+"="+spec.Labels[k])
	}
	for _, e := range spec.Env {
		if !strings.Contains(e, "=") {
			return nil, fmt.Errorf("env %q is not KEY=VALUE", e)
		}
		args = append(args, "--env", e)
	}
	if spec.User != "" {
		args = append(args, "--user", spec.User)
	}
	if spec.ReadOnly {
		args = append(args, "--read-only")
	}
	for _, path := range slices.Sorted(maps.Keys(spec.Tmpfs)) {
		arg := path
		if opts := spec.Tmpfs[path]; opts != "" {
			arg += ":" + opts
		}
		args = append(args, "--tmpfs", arg)
	}
	for _, cap := range spec.CapDrop {
		args = append(args, "--cap-drop", cap)
	}
	for _, cap := range spec.CapAdd {
		args = append(args, "--cap-add", cap)
	}
	for _, opt := range spec.SecurityOpt {
		args = append(args, "--security-opt", opt)
	}
	for _, p := range spec.Ports {
		arg, err := p.publishArg()
		if err != nil {
			return nil, err
		}
		args = append(args, "--publish", arg)
	}
	if spec.Network != "" {
		args = append(args, "--network", spec.Network)
		for _, alias := range spec.Aliases {
			args = append(args, "--network-alias", alias)
		}
	} else if len(spec.Aliases) > 0 {
		return nil, fmt.Errorf("aliases %q need a network", spec.Aliases)
	}
	for _, h := range spec.ExtraHosts {
		if name, ip, ok := strings.Cut(h, ":"); !ok || name == "" || (ip != "host-gateway" && net.ParseIP(ip) == nil) {
			return nil, fmt.Errorf("extra host %q is not name:IP (or name:host-gateway)", h)
		}
		args = append(args, "--add-host", h)
	}
	for _, m := range spec.Mounts {
		arg, err := m.mountArg()
		if err != nil {
			return nil, err
		}
		args = append(args, "--mount", arg)
	}
	if h := spec.Health; h != nil {
		healthArgs, err := h.args()
		if err != nil {
			return nil, err
		}
		args = append(args, healthArgs...)
	}
	for _, u := range spec.Ulimits {
		if !ulimitPattern.MatchString(u) {
			return nil, fmt.Errorf("ulimit %q is not name=soft[:hard]", u)
		}
		args = append(args, "--ulimit", u)
	}
	if spec.MemoryMB < 0 {
		return nil, fmt.Errorf("memory %d MB is negative", spec.MemoryMB)
	}
	if spec.MemoryMB > 0 {
		args = append(args, "--memory", strconv.Itoa(spec.MemoryMB)+"m")
	}
	if spec.Restart != "" {
		args = append(args, "--restart", spec.Restart)
	}
	args = append(args, spec.Image)
	return append(args, spec.Cmd...), nil
}

var ulimitPattern = regexp.MustCompile(`^[a-z]+=-?\d+(:-?\d+)?$`)

func (p Port) publishArg() (string, error) {
	if p.ContainerPort < 1 || p.ContainerPort > 65535 {
		return "", fmt.Errorf("container port %d out of range 1-65535", p.ContainerPort)
	}
	if p.HostPort < 0 || p.HostPort > 65535 {
		return "", fmt.Errorf("host port %d out of range 0-65535", p.HostPort)
	}
	ip := p.HostIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	if net.ParseIP(ip) == nil {
		return "", fmt.Errorf("host IP %q is not an IP address", ip)
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return "", fmt.Errorf("protocol %q is neither tcp nor udp", proto)
	}
	hostPort := ""
	if p.HostPort != 0 {
		hostPort = strconv.Itoa(p.HostPort)
	}
	return fmt.Sprintf("%s:%s:%d/%s", ip, hostPort, p.ContainerPort, proto), nil
}

func (m Mount) mountArg() (string, error) {
	kind := m.Type
	if kind == "" {
		kind = "bind"
	}
	if kind != "bind" && kind != "volume" {
		return "", fmt.Errorf("mount type %q is neither bind nor volume", kind)
	}
	if m.Source == "" || m.Target == "" {
		return "", fmt.Errorf("mount %+v needs a source and a target", m)
	}
	if strings.ContainsAny(m.Source+m.Target, ",\"") {
		return "", fmt.Errorf("mount paths %q, %q contain a comma or quote, which --mount cannot carry", m.Source, m.Target)
	}
	arg := "type=" + kind + ",source=" + m.Source + ",target=" + m.Target
	if m.ReadOnly {
		arg += ",readonly"
	}
	return arg, nil
}

func (h Healthcheck) args() ([]string, error) {
	var args []string
	switch {
	case len(h.Test) == 0:
		// timings only: the image's command stays
	case h.Test[0] == "NONE":
		return []string{"--no-healthcheck"}, nil
	case h.Test[0] == "CMD-SHELL" && len(h.Test) == 2:
		args = append(args, "--health-cmd", h.Test[1])
	case h.Test[0] == "CMD" && len(h.Test) > 1:
		// checked against the image's command in Run
	default:
		return nil, fmt.Errorf("health check test %q is not [CMD …], [CMD-SHELL cmd] or [NONE]", h.Test)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--health-interval", h.Interval}, {"--health-timeout", h.Timeout}, {"--health-start-period", h.StartPeriod}} {
		if d.v < 0 {
			return nil, fmt.Errorf("%s %s is negative", d.flag, d.v)
		}
		if d.v > 0 {
			args = append(args, d.flag, d.v.String())
		}
	}
	if h.Retries < 0 {
		return nil, fmt.Errorf("health retries %d is negative", h.Retries)
	}
	if h.Retries > 0 {
		args = append(args, "--health-retries", strconv.Itoa(h.Retries))
	}
	return args, nil
}

func imageHealthTest(tb testing.TB, image string) []string {
	tb.Helper()
	var test []string
	out := docker(tb, "image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", image)
	if err := json.Unmarshal([]byte(out), &test); err != nil {
		tb.Fatalf("reading the health check of image %s: %v (%q)", image, err, out)
	}
	return test
}

// validName is the engine's rule for container and network names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

var unsafeNameChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// uniqueName builds a valid container/network name from the test's name, the
// spec's name and a random suffix.
func uniqueName(tb testing.TB, part string) string {
	base := unsafeNameChars.ReplaceAllString(strings.TrimPrefix(tb.Name(), "Test"), "-")
	if len(base) > 48 {
		base = base[len(base)-48:] // subtests' names are at the end
	}
	name := "ft-" + strings.Trim(base, "-.")
	if part != "" {
		name += "-" + unsafeNameChars.ReplaceAllString(part, "-")
	}
	return name + "-" + randomSuffix()
}

func randomSuffix() string {
	return strings.ToLower(rand.Text()[:8])
}

func testLabels(tb testing.TB) map[string]string {
	return map[string]string{TestLabel: "1", RunLabel: runID, TestLabel + ".name": tb.Name()}
}

// State is the part of docker inspect's .State a test looks at.
type State struct {
	Status       string // created, running, exited …
	Running      bool
	ExitCode     int
	OOMKilled    bool
	StartedAt    time.Time
	FinishedAt   time.Time
	Health       string // starting, healthy, unhealthy; empty without a check
	HealthLog    []string
	RestartCount int
}

// State inspects the container now.
func (c *Container) State() State {
	c.tb.Helper()
	var raw struct {
		RestartCount int
		State        struct {
			Status                string
			Running               bool
			ExitCode              int
			OOMKilled             bool
			StartedAt, FinishedAt time.Time
			Health                *struct {
				Status string
				Log    []struct {
					ExitCode int
					Output   string
				}
			}
		}
	}
	out := docker(c.tb, "container", "inspect", "--format", "{{json .}}", c.ID)
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		c.tb.Fatalf("decoding docker inspect of %s: %v", c.Name, err)
	}
	s := State{Status: raw.State.Status, Running: raw.State.Running, ExitCode: raw.State.ExitCode,
		OOMKilled: raw.State.OOMKilled, StartedAt: raw.State.StartedAt, FinishedAt: raw.State.FinishedAt,
		RestartCount: raw.RestartCount}
	if h := raw.State.Health; h != nil {
		s.Health = h.Status
		for _, l := range h.Log {
			s.HealthLog = append(s.HealthLog, fmt.Sprintf("exit %d: %s", l.ExitCode, strings.TrimSpace(l.Output)))
		}
	}
	return s
}

// WaitHealthy waits until the engine reports the container healthy. It gives
// up early, with the reason, when the container exits, turns unhealthy or has
// no health check.
func (c *Container) WaitHealthy(ctx context.Context) error {
	c.tb.Helper()
	for {
		s := c.State()
		switch {
		case s.Health == "healthy":
			return nil
		case !s.Running:
			return fmt.Errorf("container %s is %s (exit code %d) instead of healthy; logs:\n%s",
				c.Name, s.Status, s.ExitCode, c.Logs())
		case s.Health == "":
			return fmt.Errorf("container %s has no health check", c.Name)
		case s.Health == "unhealthy":
			return fmt.Errorf("container %s is unhealthy; last checks: %q", c.Name, s.HealthLog)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s still %q: %w; last checks: %q", c.Name, s.Health, ctx.Err(), s.HealthLog)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop sends the stop signal (SIGTERM unless the image says otherwise), waits
// up to timeout before the engine kills, and returns the exit code and how
// long the stop took.
func (c *Container) Stop(timeout time.Duration) (exitCode int, elapsed time.Duration) {
	c.tb.Helper()
	started := time.Now()
	docker(c.tb, "stop", "--time", strconv.Itoa(int(timeout.Round(time.Second)/time.Second)), c.ID)
	elapsed = time.Since(started)
	return c.State().ExitCode, elapsed
}

// Start starts the stopped container again (same container, same
// filesystem, same addresses on its networks).
func (c *Container) Start() {
	c.tb.Helper()
	docker(c.tb, "start", c.ID)
}

// Logs returns everything the container wrote to stdout and stderr.
func (c *Container) Logs() string {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, dockerClients().docker, "logs", c.ID).CombinedOutput()
	if err != nil {
		c.tb.Fatalf("docker logs %s: %v: %s", c.Name, err, out)
	}
	return string(out)
}

// HostPort is the host address ("127.0.0.1:49153") the engine published
// containerPort/tcp on. The container must be running.
func (c *Container) HostPort(containerPort int) string {
	c.tb.Helper()
	out := docker(c.tb, "port", c.ID, strconv.Itoa(containerPort)+"/tcp")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.TrimSpace(line)
		if line != "" {
			return line
		}
	}
	c.tb.Fatalf("container %s publishes no port for %d/tcp", c.Name, containerPort)
	return ""
}

// URL is http://<HostPort(containerPort)><path>.
func (c *Container) URL(containerPort int, path string) string {
	c.tb.Helper()
	return "http://" + c.HostPort(containerPort) + path
}
