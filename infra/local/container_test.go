package local_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// The inputs of a web container the replay understands; anything else the
// stack starts to set must be translated here before this test passes.
var replayedInputs = []string{
	"capabilities", "envs", "healthcheck", "labels", "mounts", "networksAdvanced", "ports",
	"readOnly", "restart", "securityOpts", "tmpfs", "user", "ulimits", "memory",
	// Not part of how the container runs: the image is replaced by the locally
	// built one, the name is made unique per test, the rest is the provider's
	// own behaviour (waiting, grace period).
	"image", "name", "wait", "waitTimeout", "destroyGraceSeconds",
}

// The dev stack's web container, as registered, run for real on the local
// engine with the locally built image: it must reach healthy. Mocks cannot
// show that read-only root, dropped capabilities, the user and the health
// check work together; this does. Two things differ from `make up`: the host
// port is left to the engine (a fixed one may be taken on a shared machine),
// and the network is a fresh one for this test. Elasticsearch is not there:
// the health check is the app's liveness, which does not need it.
func TestWebContainerSpecRunsHealthyOnTheRealEngine(t *testing.T) {
	dockertest.Require(t)
	dev := runDev(t, nil, nil)
	web := dev.Must(t, typeContainer, "web-0")

	var unknown []string
	for k := range web.Inputs {
		if !slices.Contains(replayedInputs, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Fatalf("web container inputs %q are not replayed; translate them in specFromInputs", unknown)
	}

	spec := specFromInputs(t, web.Inputs)
	spec.Image = dockertest.BuildWebImage(t)
	spec.Network = dockertest.CreateNetwork(t, "dev")
	for i := range spec.Ports {
		spec.Ports[i].HostPort = 0
	}
	c := dockertest.Run(t, spec)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatalf("the dev stack's web container spec did not become healthy: %v\nspec: %+v", err, spec)
	}
	resp, err := http.Get(c.URL(spec.Ports[0].ContainerPort, "/healthz"))
	if err != nil {
		t.Fatalf("web on its published port: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz on the published port = %d, want 200", resp.StatusCode)
	}
}

// specFromInputs translates docker.Container inputs (as the mocks recorded
// them) into the engine's terms.
func specFromInputs(t *testing.T, in map[string]any) dockertest.ContainerSpec {
	t.Helper()
	spec := dockertest.ContainerSpec{
		Name: fmt.Sprint(in["name"]),
		Env:  strs(t, in["envs"]),
	}
	if u, ok := in["user"].(string); ok {
		spec.User = u
	}
	spec.ReadOnly, _ = in["readOnly"].(bool)
	if r, ok := in["restart"].(string); ok {
		spec.Restart = r
	}
	if v, ok := in["tmpfs"]; ok {
		spec.Tmpfs = map[string]string{}
		for k, opts := range obj(t, v) {
			spec.Tmpfs[k] = fmt.Sprint(opts)
		}
	}
	if v, ok := in["capabilities"]; ok {
		caps := obj(t, v)
		if d, ok := caps["drops"]; ok {
			spec.CapDrop = strs(t, d)
		}
		if a, ok := caps["adds"]; ok {
			spec.CapAdd = strs(t, a)
		}
	}
	if v, ok := in["securityOpts"]; ok {
		spec.SecurityOpt = strs(t, v)
	}
	if v, ok := in["ports"]; ok {
		for _, p := range objs(t, v) {
			port := dockertest.Port{ContainerPort: num(t, p["internal"])}
			if ip, ok := p["ip"].(string); ok {
				port.HostIP = ip
			}
			if ext, ok := p["external"]; ok {
				port.HostPort = num(t, ext)
			}
			spec.Ports = append(spec.Ports, port)
		}
	}
	if v, ok := in["networksAdvanced"]; ok {
		for _, n := range objs(t, v) {
			if a, ok := n["aliases"]; ok {
				spec.Aliases = append(spec.Aliases, strs(t, a)...)
			}
		}
	}
	if v, ok := in["mounts"]; ok {
		for _, m := range objs(t, v) {
			ro, _ := m["readOnly"].(bool)
			spec.Mounts = append(spec.Mounts, dockertest.Mount{
				Type: fmt.Sprint(m["type"]), Source: fmt.Sprint(m["source"]), Target: fmt.Sprint(m["target"]), ReadOnly: ro,
			})
		}
	}
	if v, ok := in["healthcheck"]; ok {
		hc := obj(t, v)
		h := &dockertest.Healthcheck{Test: strs(t, hc["tests"])}
		h.Interval = duration(t, hc["interval"])
		h.Timeout = duration(t, hc["timeout"])
		h.StartPeriod = duration(t, hc["startPeriod"])
		if r, ok := hc["retries"]; ok {
			h.Retries = num(t, r)
		}
		spec.Health = h
	}
	if v, ok := in["ulimits"]; ok {
		for _, u := range objs(t, v) {
			spec.Ulimits = append(spec.Ulimits, fmt.Sprintf("%s=%d:%d", u["name"], num(t, u["soft"]), num(t, u["hard"])))
		}
	}
	if v, ok := in["memory"]; ok {
		spec.MemoryMB = num(t, v)
	}
	if v, ok := in["labels"]; ok {
		spec.Labels = map[string]string{}
		for _, l := range objs(t, v) {
			spec.Labels[fmt.Sprint(l["label"])] = fmt.Sprint(l["value"])
		}
	}
	return spec
}

func duration(t *testing.T, v any) time.Duration {
	t.Helper()
	if v == nil {
		return 0
	}
	d, err := time.ParseDuration(fmt.Sprint(v))
	if err != nil {
		t.Fatalf("healthcheck duration %v: %v", v, err)
	}
	return d
}
