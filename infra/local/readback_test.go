package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// A second `pulumi up` with nothing changed plans no change only if every
// input the program registers equals what the provider reads back from the
// engine: the bridged provider diffs the refreshed state against the inputs,
// and most container attributes are ForceNew, so a difference replaces the
// container. The rules below are those of the provider pulumi-docker v4.10.0,
// which bundles terraform-provider-docker at commit 7e649b03 (v3.8.0):
// resourceDockerContainerRead in resource_docker_container_funcs.go, the
// schema in resource_docker_container.go, flattenContainerPorts and
// getDockerContainerMounts in resource_docker_container_structures.go, and
// the Read functions of resource_docker_network_funcs.go and
// resource_docker_volume.go. An input with no rule here fails the test: its
// read-back form has to be looked up in that source first.

// readBackRule checks one input of a resource (nil value: the input is not
// set) and returns what is wrong with it.
type readBackRule func(r *stacktest.Resource, value any) []string

// notReadBack marks inputs the provider keeps from the plan (it never sets
// them from the engine), so any value is stable.
func notReadBack(*stacktest.Resource, any) []string { return nil }

var containerReadBack = map[string]readBackRule{
	// d.Set("name", strings.TrimLeft(container.Name, "/"))
	"name": func(_ *stacktest.Resource, v any) []string {
		if s, _ := v.(string); s == "" || strings.HasPrefix(s, "/") {
			return []string{fmt.Sprintf("name %v: read back without the leading /, so it must not have one", v)}
		}
		return nil
	},
	// An image input starting with sha256: is read back as container.Image
	// (the ID); a name would be read back as Config.Image, which the engine
	// may rewrite (a tag added, a digest resolved).
	"image": func(_ *stacktest.Resource, v any) []string {
		if s, _ := v.(string); !strings.HasPrefix(s, "sha256:") || len(s) != len("sha256:")+64 {
			return []string{fmt.Sprintf("image %v: use the image ID (sha256:<64 hex>), read back from container.Image", v)}
		}
		return nil
	},
	// env and labels are Computed and never read back (the image adds its
	// own); networks_advanced, volumes, wait, wait_timeout and
	// destroy_grace_seconds are not read either.
	"envs": notReadBack, "labels": notReadBack, "networksAdvanced": notReadBack, "volumes": notReadBack,
	"wait": notReadBack, "waitTimeout": notReadBack, "destroyGraceSeconds": notReadBack,
	// d.Set("command", container.Config.Cmd): the engine keeps a given
	// command as it is, so a list of strings reads back unchanged.
	"command": func(_ *stacktest.Resource, v any) []string {
		args, _ := v.([]any)
		for _, a := range args {
			if _, ok := a.(string); !ok {
				return []string{fmt.Sprintf("command %v: a list of strings", v)}
			}
		}
		return nil
	},
	// d.Set("memory", HostConfig.Memory/1024/1024)
	"memory": wholeMegabytes("memory"),
	// d.Set("memory_swap", HostConfig.MemorySwap/1024/1024). Optional, not
	// Computed: left unset, the engine makes it twice the memory, which then
	// shows as an update on every up. Equal to memory means "no swap".
	"memorySwap": func(r *stacktest.Resource, v any) []string {
		mem, hasMem := r.Inputs["memory"]
		switch {
		case hasMem && v == nil:
			return []string{fmt.Sprintf("memorySwap unset while memory is %v: the engine makes it %v (2×) and the provider reads that back", mem, 2*asFloat(mem))}
		case v != nil && (!hasMem || asFloat(v) != asFloat(mem)):
			return []string{fmt.Sprintf("memorySwap %v: set it equal to memory (%v)", v, mem)}
		}
		return nil
	},
	// flattenUlimits: name, soft, hard as integers.
	"ulimits": func(_ *stacktest.Resource, v any) []string {
		var errs []string
		for _, u := range asObjs(v) {
			if _, ok := u["name"].(string); !ok || !isWhole(u["soft"]) || !isWhole(u["hard"]) {
				errs = append(errs, fmt.Sprintf("ulimit %v: name and whole soft/hard values", u))
			}
		}
		return errs
	},
	// interval, timeout, start_period and start_interval are read back as
	// time.Duration.String() ("1m0s", not "60s"); a missing one defaults to
	// "0s", which reads back as "0s".
	"healthcheck": func(_ *stacktest.Resource, v any) []string {
		var errs []string
		hc, _ := v.(map[string]any)
		for _, key := range []string{"interval", "timeout", "startPeriod", "startInterval"} {
			s, set := hc[key].(string)
			if !set {
				continue
			}
			d, err := time.ParseDuration(s)
			if err != nil || d.String() != s {
				errs = append(errs, fmt.Sprintf("healthcheck %s %q: the provider reads back %q", key, s, d.String()))
			}
		}
		if r, ok := hc["retries"]; ok && !isWhole(r) {
			errs = append(errs, fmt.Sprintf("healthcheck retries %v: a whole number", r))
		}
		return errs
	},
	// d.Set("restart", HostConfig.RestartPolicy.Name)
	"restart": func(_ *stacktest.Resource, v any) []string {
		if !slices.Contains([]string{"no", "on-failure", "always", "unless-stopped"}, fmt.Sprint(v)) {
			return []string{fmt.Sprintf("restart %v: not a policy name the engine keeps", v)}
		}
		return nil
	},
	// flattenContainerPorts: one entry per host binding the engine reports,
	// with its HostIP and protocol. A wildcard bind (0.0.0.0) is reported
	// twice, 0.0.0.0 and ::, which reads back as two ports.
	"ports": func(_ *stacktest.Resource, v any) []string {
		var errs []string
		for _, p := range asObjs(v) {
			ip := net.ParseIP(fmt.Sprint(p["ip"]))
			switch {
			case ip == nil:
				errs = append(errs, fmt.Sprintf("port %v: ip must be an address", p))
			case ip.IsUnspecified():
				errs = append(errs, fmt.Sprintf("port %v: a wildcard bind reads back as two bindings (0.0.0.0 and ::)", p))
			}
			if proto, set := p["protocol"]; set && proto != "tcp" && proto != "udp" {
				errs = append(errs, fmt.Sprintf("port %v: protocol tcp or udp", p))
			}
			if !isWhole(p["internal"]) || !isWhole(p["external"]) {
				errs = append(errs, fmt.Sprintf("port %v: internal and external are read back as integers; set both", p))
			}
		}
		return errs
	},
	// Read back as given: HostConfig.ReadonlyRootfs, Config.User,
	// HostConfig.SecurityOpt, HostConfig.Tmpfs.
	"readOnly": notReadBackDifferently, "user": notReadBackDifferently,
	"securityOpts": notReadBackDifferently, "tmpfs": notReadBackDifferently,
	// add/drop from HostConfig.CapAdd/CapDrop, with a DiffSuppressFunc.
	"capabilities": notReadBackDifferently,
	// getDockerContainerMounts: target, source, type, read_only from
	// HostConfig.Mounts, as sent; bind_options only when given.
	"mounts": func(_ *stacktest.Resource, v any) []string {
		var errs []string
		for _, m := range asObjs(v) {
			src := fmt.Sprint(m["source"])
			if m["type"] == "bind" && (!filepath.IsAbs(src) || filepath.Clean(src) != src) {
				errs = append(errs, fmt.Sprintf("mount %v: a bind source must be an absolute, clean path", m))
			}
		}
		return errs
	},
	// log_opts is Optional+ForceNew, not Computed, and read back from
	// HostConfig.LogConfig.Config, where the engine merges its daemon.json
	// log-opts: every container must ignore changes to it.
	"logOpts": func(r *stacktest.Resource, _ any) []string {
		if !slices.Contains(r.IgnoreChanges, "logOpts") {
			return []string{"logOpts is not in IgnoreChanges: the engine's own log-opts read back and replace the container on every up"}
		}
		return nil
	},
}

// notReadBackDifferently documents inputs the engine stores and returns
// exactly as sent.
func notReadBackDifferently(*stacktest.Resource, any) []string { return nil }

var networkReadBack = map[string]readBackRule{
	// d.Set("name"…), d.Set("driver", Driver), d.Set("labels", mapToLabelSet(Labels))
	"name": notReadBackDifferently, "driver": notReadBackDifferently, "labels": notReadBackDifferently,
}

var volumeReadBack = map[string]readBackRule{
	// d.Set("name"…), d.Set("labels", mapToLabelSet(Labels)); driver is Computed.
	"name": notReadBackDifferently, "labels": notReadBackDifferently,
}

// alwaysChecked are rules that apply even when the input is not set.
var alwaysChecked = map[string][]string{
	typeContainer: {"memorySwap", "logOpts"},
}

func wholeMegabytes(key string) readBackRule {
	return func(_ *stacktest.Resource, v any) []string {
		if !isWhole(v) || asFloat(v) <= 0 {
			return []string{fmt.Sprintf("%s %v: whole MiB, read back as bytes/1024/1024", key, v)}
		}
		return nil
	}
}

// readBackProblems checks every input of every Docker container, network
// and volume against the rules and returns the problems, one per line.
func readBackProblems(resources []*stacktest.Resource) (problems []string, checked int) {
	rules := map[string]map[string]readBackRule{
		typeContainer: containerReadBack, typeNetwork: networkReadBack, typeVolume: volumeReadBack,
	}
	for _, r := range resources {
		byKey, ok := rules[r.Type]
		if !ok {
			continue
		}
		keys := make([]string, 0, len(r.Inputs))
		for k := range r.Inputs {
			keys = append(keys, k)
		}
		for _, k := range alwaysChecked[r.Type] {
			if _, set := r.Inputs[k]; !set {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			rule, known := byKey[k]
			if !known {
				problems = append(problems, fmt.Sprintf("%s %s: input %q has no read-back rule; look it up in the provider's Read and add one", r.Type, r.Name, k))
				continue
			}
			for _, p := range rule(r, r.Inputs[k]) {
				problems = append(problems, fmt.Sprintf("%s %s: %s", r.Type, r.Name, p))
			}
			checked++
		}
	}
	return problems, checked
}

func TestEveryDockerInputIsInTheFormTheProviderReadsBack(t *testing.T) {
	for name, overrides := range map[string]map[string]any{
		"defaults": nil,
		"every local option": {
			"localDevMode": true, "webReplicas": 3, "localEsPublishPort": 9201, "esSecurity": true,
			"esMemoryMb": 2048, "esHeapMb": 1024, "retainData": true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			var secrets map[string]string
			if overrides["esSecurity"] == true {
				secrets = map[string]string{"esPassword": "pw-readback-1"}
			}
			dev := runDev(t, overrides, secrets)
			problems, checked := readBackProblems(dev.Resources())
			if len(problems) > 0 {
				t.Errorf("inputs a second `pulumi up` would see as changed:\n%s", strings.Join(problems, "\n"))
			}
			if checked < 30 {
				t.Errorf("checked only %d inputs; the rules are not looking at the stack", checked)
			}
			t.Logf("%d inputs of containers, network and volume checked against the provider's read-back", checked)
		})
	}
}

// The checker itself: the forms the stack used before (a "60s" start
// period, memory without a swap limit, log options not ignored, a wildcard
// port, an input nobody looked up) are each reported.
func TestReadBackCheckerFlagsFormsThatChangeOnEveryUp(t *testing.T) {
	bad := &stacktest.Resource{Type: typeContainer, Name: "old", Inputs: map[string]any{
		"name":        "/old",
		"image":       "docker.elastic.co/elasticsearch/elasticsearch:8.19.21",
		"memory":      1024.0,
		"healthcheck": map[string]any{"tests": []any{"CMD", "true"}, "interval": "10s", "startPeriod": "60s", "timeout": "1500ms"},
		"ports":       []any{map[string]any{"internal": 5000.0, "external": 5000.0, "ip": "0.0.0.0"}},
		"stopSignal":  "SIGTERM",
	}}
	problems, _ := readBackProblems([]*stacktest.Resource{bad})
	joined := strings.Join(problems, "\n")
	for _, want := range []string{
		`name /old`, `image docker.elastic.co`, `memorySwap unset while memory is 1024`,
		`healthcheck startPeriod "60s": the provider reads back "1m0s"`,
		`healthcheck timeout "1500ms": the provider reads back "1.5s"`,
		`a wildcard bind`, `logOpts is not in IgnoreChanges`, `input "stopSignal" has no read-back rule`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the checker did not report %q; it said:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, `interval "10s"`) {
		t.Errorf("a canonical duration was reported:\n%s", joined)
	}
}

// What the rules assume about the engine, asked of the real one: a
// container created with the dev stack's Elasticsearch resources (memory and
// swap limit, ulimit, health check, restart policy) and the web container's
// port binding, user and read-only root, inspected, and read back the way the
// provider's Read does. It is created, not started: the settings are stored
// at creation.
func TestTheEngineReturnsTheRegisteredValuesAsTheProviderReadsThem(t *testing.T) {
	dockertest.Require(t)
	dev := runDev(t, nil, nil)
	es := dev.Must(t, typeContainer, "elasticsearch").Inputs
	web := dev.Must(t, typeContainer, "web-0").Inputs
	hc := obj(t, es["healthcheck"])
	ul := objs(t, es["ulimits"])[0]
	port := objs(t, web["ports"])[0]

	image := dockertest.BuildWebImage(t)
	name := "foodtrucks-test-readback-" + dockertest.RunID()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"create", "--name", name, "--label", "foodtrucks.test=1",
		"--memory", fmt.Sprintf("%dm", num(t, es["memory"])), "--memory-swap", fmt.Sprintf("%dm", num(t, es["memorySwap"])),
		"--ulimit", fmt.Sprintf("%s=%d:%d", ul["name"], num(t, ul["soft"]), num(t, ul["hard"])),
		"--health-cmd", "true", "--health-interval", fmt.Sprint(hc["interval"]), "--health-timeout", fmt.Sprint(hc["timeout"]),
		"--health-start-period", fmt.Sprint(hc["startPeriod"]), "--health-retries", fmt.Sprint(num(t, hc["retries"])),
		"--restart", fmt.Sprint(es["restart"]), "--user", fmt.Sprint(web["user"]), "--read-only",
		"-p", fmt.Sprintf("%s:%d:%d", port["ip"], num(t, port["external"]), num(t, port["internal"])),
		image}
	if _, err := dockertest.Docker(ctx, args...); err != nil {
		t.Fatal(err)
	}
	dockertest.RemoveOnCleanup(t, name)
	out, err := dockertest.Docker(ctx, "inspect", name)
	if err != nil {
		t.Fatal(err)
	}
	var inspected []struct {
		Config struct {
			User        string
			Healthcheck struct {
				Interval, Timeout, StartPeriod time.Duration
				Retries                        int
			}
		}
		HostConfig struct {
			Memory, MemorySwap int64
			ReadonlyRootfs     bool
			RestartPolicy      struct{ Name string }
			Ulimits            []struct {
				Name       string
				Soft, Hard int64
			}
			PortBindings map[string][]struct{ HostIP, HostPort string }
			LogConfig    struct {
				Type   string
				Config map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("docker inspect: %v\n%s", err, out)
	}
	c := inspected[0]
	// The provider's Read, field by field.
	readBack := map[string]any{
		"memory":                  c.HostConfig.Memory / 1024 / 1024,
		"memorySwap":              c.HostConfig.MemorySwap / 1024 / 1024,
		"healthcheck.interval":    c.Config.Healthcheck.Interval.String(),
		"healthcheck.timeout":     c.Config.Healthcheck.Timeout.String(),
		"healthcheck.startPeriod": c.Config.Healthcheck.StartPeriod.String(),
		"healthcheck.retries":     int64(c.Config.Healthcheck.Retries),
		"restart":                 c.HostConfig.RestartPolicy.Name,
		"user":                    c.Config.User,
		"readOnly":                c.HostConfig.ReadonlyRootfs,
	}
	registered := map[string]any{
		"memory": int64(num(t, es["memory"])), "memorySwap": int64(num(t, es["memorySwap"])),
		"healthcheck.interval": hc["interval"], "healthcheck.timeout": hc["timeout"], "healthcheck.startPeriod": hc["startPeriod"],
		"healthcheck.retries": int64(num(t, hc["retries"])), "restart": es["restart"], "user": web["user"], "readOnly": web["readOnly"],
	}
	for k, want := range registered {
		if readBack[k] != want {
			t.Errorf("%s: registered %v (%T), read back %v (%T)", k, want, want, readBack[k], readBack[k])
		}
	}
	if len(c.HostConfig.Ulimits) != 1 || c.HostConfig.Ulimits[0].Name != ul["name"] ||
		c.HostConfig.Ulimits[0].Soft != int64(num(t, ul["soft"])) || c.HostConfig.Ulimits[0].Hard != int64(num(t, ul["hard"])) {
		t.Errorf("ulimits read back %+v, registered %v", c.HostConfig.Ulimits, ul)
	}
	bindings := c.HostConfig.PortBindings[fmt.Sprintf("%d/tcp", num(t, port["internal"]))]
	if len(bindings) != 1 || bindings[0].HostIP != port["ip"] || bindings[0].HostPort != fmt.Sprint(num(t, port["external"])) {
		t.Errorf("port bindings %+v, registered %v", c.HostConfig.PortBindings, port)
	}
	// Shown, not asserted: what this engine adds to every container's log
	// options (why logOpts is ignored).
	t.Logf("this engine's log config for a container that set none: %s %v", c.HostConfig.LogConfig.Type, c.HostConfig.LogConfig.Config)
}

func asObjs(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func isWhole(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f)
}
