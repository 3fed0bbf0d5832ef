package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/local"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// The dev stack deployed for real: the real Pulumi CLI, the Go language
// host and the Docker provider (stacktest.Plugins), on the real Docker
// engine, in a clone with a project name, appName and labels of its own
// (stacktest.NewClone), so it never sees or touches a dev stack the user
// runs on the same engine. The images a machine without a registry cannot
// pull are test stand-ins (stacktest.Standins). Each step is a sequence a
// user runs, checked on the engine's real objects and the app's answers.
func TestDevStackDeploysForRealOnTheDockerEngine(t *testing.T) {
	plugins := stacktest.Plugins(t)
	dockertest.Require(t)
	cli := stacktest.CLI(t)
	sample := dockertest.SampleData(t, "sf-mobile-food-permits.json")
	const esVersion = "8.19.21"
	stacktest.Standins(t, esVersion)

	c := stacktest.NewClone(t, cli)
	c.Plugins = plugins
	c.Timeout = 20 * time.Minute
	port := freePortPair(t)
	d := &devStack{t: t, c: c, port: port, webImages: map[string]bool{}}
	// The clone's own settings, committed as a user would: the stand-in
	// image, the engine's own open-files limit (this engine grants no
	// 65535), free host ports, and permits from the data server below.
	d.commitConfig(map[string]string{
		"esImage":       stacktest.StandinES,
		"esVersion":     esVersion,
		"localEsNoFile": "0",
		"webPort":       strconv.Itoa(port),
		"dataUrl":       dataURL(""),
	})
	t.Cleanup(d.removeEverything)
	data := d.startDataServer(sample)

	// 1. make up, cold: everything is created, and the app serves the city.
	r := d.run("make up")
	requireOK(t, r, "SF Food Trucks is at: http://127.0.0.1:"+strconv.Itoa(port)+"/")
	if strings.Contains(r.Output, "Building your image for") {
		t.Errorf("make up printed the provider's platform warning; the stack should name the engine's platform")
	}
	if created := summaryCount(r.Output, "created"); created != 11 {
		t.Errorf("make up created %d resources, want 11", created)
	}
	data.connect()
	d.waitForTrucks(port, "tacos", 31, 72)
	index := d.aliasIndex()
	d.healthzNames(port, d.imageRevision(), false)

	// 2. make preview right after, and a second make up: no change.
	requireOK(t, d.run("make preview", "PULUMI_OPTION_EXPECT_NO_CHANGES=true"))
	r = d.run("make up")
	requireOK(t, r)
	if n := changed(r.Output); n != "" {
		t.Errorf("a second make up changed %s, want nothing", n)
	}

	// 3. Config changes: each plans exactly its creates and replaces, and
	// make up does what the plan said.
	d.change("webReplicas=2", plan{"create": {"web-1"}})
	d.waitForTrucks(port+1, "tacos", 31, 72)
	d.change("esMemoryMb=1536 esHeapMb=768", plan{"replace": {"elasticsearch"}})
	if got := d.aliasIndex(); got != index {
		t.Errorf("after Elasticsearch was replaced the alias points at %s, was %s: the data was reloaded, not kept", got, index)
	}
	if n := d.count(); n != 487 {
		t.Errorf("after Elasticsearch was replaced the index holds %d permits, want 487", n)
	}
	d.change("dataUrl="+dataURL("?v=2"), plan{"replace": {"web-0", "web-1"}})
	d.waitForTrucks(port, "tacos", 31, 72)

	// 4. A source edit rebuilds the image (an update of the same name) and
	// replaces the web containers; build outputs and editor files do not.
	d.appendLine("webapp/main.go", "// an edit")
	d.expectPlan(plan{"update": {"web"}, "replace": {"web-0", "web-1"}})
	requireOK(t, d.run("make up"))
	d.healthzNames(port, d.imageRevision(), true)
	requireOK(t, d.run("make build"))
	for _, f := range []string{"webapp/.DS_Store", "webapp/main.go~", "webapp/.main.go.swp", "webapp/ui/static/.#index.html"} {
		d.write(f, "editor noise")
	}
	requireOK(t, d.run("make preview", "PULUMI_OPTION_EXPECT_NO_CHANGES=true"))

	// 5. localDevMode: the image becomes the Dockerfile's dev target (make
	// up builds the server on the host for it); a changed static file is
	// served without an up, and a Go edit after make dev-reload, by the
	// same containers, while make preview still shows no change.
	d.set("localDevMode=true")
	requireOK(t, d.run("make dev-build"))
	d.expectPlan(plan{"update": {"web"}, "replace": {"web-0", "web-1"}})
	requireOK(t, d.run("make up"))
	d.waitForHealth()
	page := d.get(port, "/")
	const marker = "<!-- live edit -->"
	d.appendLine("webapp/ui/static/index.html", marker)
	if got := d.get(port, "/"); !strings.Contains(got, marker) || strings.Contains(page, marker) {
		t.Errorf("with localDevMode, an edit of webapp/ui/static/index.html is not served without make up")
	}
	d.write("webapp/ui/static/index.html", d.committed("webapp/ui/static/index.html"))
	containers := d.containerIDs()
	d.replaceIn("webapp/main.go", `version  = "dev"`, `version  = "dev-loop-edit"`)
	requireOK(t, d.run("make dev-reload"))
	for _, p := range []int{port, port + 1} {
		if v := d.waitForVersion(p, "dev-loop-edit"); v != "dev-loop-edit" {
			t.Errorf("after a Go edit and make dev-reload, port %d serves version %q, want dev-loop-edit", p, v)
		}
	}
	requireOK(t, d.run("make preview", "PULUMI_OPTION_EXPECT_NO_CHANGES=true"))
	if now := d.containerIDs(); now != containers {
		t.Errorf("the dev loop replaced containers: %s, were %s", now, containers)
	}

	// 6. retainData: true keeps the volume through make destroy, and the
	// next make up adopts it with its index; false removes it.
	d.set("retainData=true")
	requireOK(t, d.run("make up"))
	data.disconnect() // a container of the test must not keep the network
	requireOK(t, d.run("make destroy YES=1"))
	d.requireLeft(nil, nil, []string{c.Project + "-dev-search-data"})
	requireOK(t, d.run("make up"))
	d.waitForHealth()
	if got := d.aliasIndex(); got != index {
		t.Errorf("after destroy with retainData and up, the alias points at %s, was %s", got, index)
	}
	d.set("retainData=false localDevMode=false")
	requireOK(t, d.run("make destroy YES=1"))
	d.requireLeft(nil, nil, nil)

	// 7. The README's plain CLI sequence, verbatim.
	script := readmePlainCLI(t, c.Dir)
	r = d.run(script)
	requireOK(t, r)
	d.requireLeft(nil, nil, nil)
}

// devStack drives the clone's dev stack and looks at what it made.
type devStack struct {
	t    *testing.T
	c    *stacktest.Clone
	port int
	// Every image the stack's web image name has stood for: a rebuild
	// moves the name and leaves the old image untagged, and destroy
	// removes neither.
	webImages map[string]bool
}

func (d *devStack) run(line string, env ...string) stacktest.Result {
	d.t.Helper()
	started := time.Now()
	r := d.c.Run(d.t, line, env...)
	d.t.Logf("%s (%s)%s", line, time.Since(started).Round(time.Second), outcome(r.Output))
	if id, err := d.docker("image", "inspect", "--format", "{{.Id}}", d.name("web")); err == nil {
		d.webImages[id] = true
	}
	return r
}

// outcomeLine is a line of a command's output that says what it did: the
// CLI's resource summary, the app's address, an error.
var outcomeLine = regexp.MustCompile(`^\s*(Resources:|[-+~]*\s*\d+ (to )?(create|update|replace|delete|unchanged)|error:|Duration:)|is at: http`)

// outcome is what a command's output says it did, on one line, for the
// test's log.
func outcome(out string) string {
	var kept []string
	for _, l := range strings.Split(out, "\n") {
		if outcomeLine.MatchString(l) {
			kept = append(kept, strings.TrimSpace(l))
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return ": " + strings.Join(kept, " | ")
}

func (d *devStack) name(component string) string { return d.c.Project + "-dev-" + component }

// commitConfig writes keys into the clone's Pulumi.dev.yaml and commits them.
func (d *devStack) commitConfig(kv map[string]string) {
	d.t.Helper()
	file := filepath.Join(d.c.Dir, "Pulumi.dev.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		d.t.Fatal(err)
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&lines, "  %s: %q\n", d.c.Key(k), kv[k])
	}
	s := strings.Replace(string(b), "\nconfig:\n", "\nconfig:\n"+lines.String(), 1)
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.c.Git(d.t, "commit", "-q", "-am", "test stack settings")
}

// set runs `pulumi config set` for each key=value, as a user would.
func (d *devStack) set(assignments string) {
	d.t.Helper()
	for _, kv := range strings.Fields(assignments) {
		k, v, _ := strings.Cut(kv, "=")
		requireOK(d.t, d.run(fmt.Sprintf("bash infra/tools/pulumi/run.sh dev config set %s '%s' --stack dev", k, v)))
	}
}

// plan maps a step's operation to the names of the resources it touches.
type plan map[string][]string

// expectPlan asks `pulumi preview --json` what `up` would do.
func (d *devStack) expectPlan(want plan) {
	d.t.Helper()
	out := filepath.Join(d.t.TempDir(), "plan.json")
	r := d.run("GOFLAGS=-tags=localonly bash infra/tools/pulumi/run.sh dev preview --stack dev --json --skip-plugin-pre-install >" + out)
	b, err := os.ReadFile(out)
	if r.Err != nil {
		d.t.Fatalf("preview --json: %v\n%s\n%s", r.Err, r.Output, b)
	}
	if err != nil {
		d.t.Fatal(err)
	}
	var preview struct {
		Steps []struct {
			Op  string `json:"op"`
			URN string `json:"urn"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &preview); err != nil {
		d.t.Fatalf("preview --json: %v\n%s", err, b)
	}
	got := plan{}
	for _, s := range preview.Steps {
		if s.Op == "same" {
			continue
		}
		name := s.URN[strings.LastIndex(s.URN, "::")+2:]
		got[s.Op] = append(got[s.Op], name)
	}
	for _, names := range got {
		sort.Strings(names)
	}
	d.t.Logf("plan: %v", got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		d.t.Errorf("the plan is %v, want %v", got, want)
	}
}

// change sets config, checks the plan, and runs make up.
func (d *devStack) change(assignments string, want plan) {
	d.t.Helper()
	d.set(assignments)
	d.expectPlan(want)
	r := d.run("make up")
	requireOK(d.t, r)
	d.waitForHealth()
}

func (d *devStack) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := dockertest.Docker(ctx, args...)
	return strings.TrimSpace(out), err
}

// es asks the Elasticsearch container itself (its port is not published).
func (d *devStack) es(path string) string {
	d.t.Helper()
	out, err := d.docker("exec", d.name("search"), "curl", "-fsS", "http://localhost:9200"+path)
	if err != nil {
		d.t.Fatalf("curl %s in the search container: %v", path, err)
	}
	return out
}

// aliasIndex is the index the app's alias points at.
func (d *devStack) aliasIndex() string {
	d.t.Helper()
	var aliases map[string]any
	if err := json.Unmarshal([]byte(d.es("/_alias/sfdata")), &aliases); err != nil || len(aliases) != 1 {
		d.t.Fatalf("the alias sfdata is on %v (%v), want exactly one index", aliases, err)
	}
	for index := range aliases {
		return index
	}
	return ""
}

func (d *devStack) count() int {
	d.t.Helper()
	var res struct{ Count int }
	if err := json.Unmarshal([]byte(d.es("/sfdata/_count")), &res); err != nil {
		d.t.Fatal(err)
	}
	return res.Count
}

func (d *devStack) waitForHealth() {
	d.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := d.docker("exec", d.name("search"), "curl", "-fsS", "http://localhost:9200/_cluster/health?wait_for_status=yellow&timeout=5s"); err == nil {
			return
		} else if time.Now().After(deadline) {
			d.t.Fatalf("Elasticsearch did not become healthy: %v", err)
		}
		time.Sleep(2 * time.Second)
	}
}

func (d *devStack) get(port int, path string) string {
	d.t.Helper()
	res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: %d %v\n%s", path, res.StatusCode, err, b)
	}
	return string(b)
}

// waitForTrucks waits until the replica on port is ready and finds the
// trucks and locations the sample data holds for q (the first load runs in
// the background, after the data server joined the network).
func (d *devStack) waitForTrucks(port int, q string, trucks, locations int) {
	d.t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/search?q=" + q)
		if err == nil {
			var body struct {
				Trucks    []json.RawMessage `json:"trucks"`
				Locations int               `json:"locations"`
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
			if res.StatusCode == http.StatusOK && json.Unmarshal(b, &body) == nil && len(body.Trucks) > 0 {
				if len(body.Trucks) != trucks || body.Locations != locations {
					d.t.Errorf("/search?q=%s on port %d: %d trucks at %d locations, want %d at %d", q, port, len(body.Trucks), body.Locations, trucks, locations)
				}
				if ready, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"); err != nil || ready.StatusCode != http.StatusOK {
					d.t.Errorf("/readyz on port %d: %v %v", port, ready, err)
				} else {
					ready.Body.Close()
				}
				return
			}
		} else {
			last = err.Error()
		}
		time.Sleep(2 * time.Second)
	}
	// What the replica on that port said, and how the engine sees it.
	replica := d.name(fmt.Sprintf("web-%d", port-d.port))
	logs, _ := d.docker("logs", "--tail", "30", replica)
	state, _ := d.docker("inspect", "--format", "{{json .State}} {{json .NetworkSettings.Ports}}", replica)
	d.t.Fatalf("/search?q=%s on port %d found nothing in 4 minutes; last answer: %s\n%s: %s\nits logs:\n%s",
		q, port, last, replica, state, logs)
}

// imageRevision is the last commit of the clone that changed the web
// image's sources: what the image must say it was built from.
func (d *devStack) imageRevision() string {
	return strings.TrimSpace(d.c.Git(d.t, append([]string{"log", "-1", "--format=%H", "--"}, local.ImageSources...)...))
}

// healthzNames checks that the running image names the commit it holds:
// the version on /healthz and `foodtrucks version` in the container.
func (d *devStack) healthzNames(port int, revision string, dirty bool) {
	d.t.Helper()
	var h struct {
		Version string `json:"version"`
	}
	body := d.get(port, "/healthz")
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		d.t.Fatalf("/healthz: %v\n%s", err, body)
	}
	if h.Version == "" || h.Version == "dev" || strings.HasSuffix(h.Version, "-dirty") != dirty {
		d.t.Errorf("/healthz says version %q; want one from git describe (dirty: %v)", h.Version, dirty)
	}
	out, err := d.docker("exec", d.name("web-0"), "/foodtrucks", "version")
	if want := fmt.Sprintf("foodtrucks %s (revision %s)", h.Version, revision); err != nil || out != want {
		d.t.Errorf("foodtrucks version in web-0 says %q (%v), want %q", out, err, want)
	}
}

func (d *devStack) write(rel, content string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.c.Dir, rel), []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *devStack) appendLine(rel, line string) {
	d.t.Helper()
	f, err := os.OpenFile(filepath.Join(d.c.Dir, rel), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		d.t.Fatal(err)
	}
}

func (d *devStack) replaceIn(rel, old, new string) {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.c.Dir, rel))
	if err != nil {
		d.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		d.t.Fatalf("%s no longer holds %q, which the test edits", rel, old)
	}
	d.write(rel, strings.Replace(string(b), old, new, 1))
}

// containerIDs are the IDs of the stack's web containers, in name order.
func (d *devStack) containerIDs() string {
	d.t.Helper()
	out, err := d.docker("ps", "-a", "--filter", "label=project="+d.c.Project, "--filter", "label=component=web",
		"--format", "{{.Names}}={{.ID}}")
	if err != nil {
		d.t.Fatal(err)
	}
	lines := strings.Fields(out)
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// waitForVersion waits up to a minute for /healthz on port to name want
// (a restarted container takes a few seconds), and returns the last one.
func (d *devStack) waitForVersion(port int, want string) string {
	deadline := time.Now().Add(time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"); err == nil {
			var h struct{ Version string }
			if json.NewDecoder(res.Body).Decode(&h) == nil {
				last = h.Version
			}
			res.Body.Close()
			if last == want {
				return last
			}
		}
		time.Sleep(time.Second)
	}
	return last
}

func (d *devStack) committed(rel string) string {
	return d.c.Git(d.t, "show", "HEAD:"+rel)
}

// requireLeft checks the engine's containers, networks and volumes with the
// clone's labels against what is expected to be left.
func (d *devStack) requireLeft(containers, networks, volumes []string) {
	d.t.Helper()
	filter := []string{"--filter", "label=project=" + d.c.Project}
	for _, kind := range []struct {
		args []string
		want []string
	}{
		{append([]string{"ps", "-a", "--format", "{{.Names}}"}, filter...), containers},
		{append([]string{"network", "ls", "--format", "{{.Name}}"}, filter...), networks},
		{append([]string{"volume", "ls", "--format", "{{.Name}}"}, filter...), volumes},
	} {
		out, err := d.docker(kind.args...)
		if err != nil {
			d.t.Fatal(err)
		}
		got := strings.Fields(out)
		sort.Strings(got)
		if !slices.Equal(got, kind.want) {
			d.t.Errorf("docker %s: %v left, want %v", kind.args[0], got, kind.want)
		}
	}
}

// removeEverything clears what a failed run may have left: the stack's
// objects carry the clone's own project label.
func (d *devStack) removeEverything() {
	filter := "label=project=" + d.c.Project
	for _, kind := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
		ids, _ := d.docker(append(kind, "--filter", filter)...)
		if ids == "" {
			continue
		}
		rm := map[string][]string{"ps": {"rm", "-f"}, "network": {"network", "rm"}, "volume": {"volume", "rm", "-f"}}[kind[0]]
		if _, err := d.docker(append(rm, strings.Fields(ids)...)...); err != nil {
			d.t.Errorf("removing what the test stack left: %v", err)
		}
	}
	// The web images outlive destroy (the provider deletes no local image):
	// the one the clone's name stands for now, and those it stood for before.
	// The name goes by name, never by ID: a build of the same sources can be
	// the very image the user's own stack has under its name, which stays.
	if id, err := d.docker("image", "inspect", "--format", "{{.Id}}", d.name("web")); err == nil {
		d.webImages[id] = true
		if _, err := d.docker("image", "rm", d.name("web")); err != nil {
			d.t.Errorf("removing the test stack's web image name: %v", err)
		}
	}
	// Of the images it stood for, those no name points at any more.
	for id := range d.webImages {
		if tags, err := d.docker("image", "inspect", "--format", "{{len .RepoTags}}", id); err != nil || tags != "0" {
			continue // gone, or another name's
		}
		if _, err := d.docker("image", "rm", id); err != nil {
			d.t.Errorf("removing an image the test stack built: %v", err)
		}
	}
}

// dataServer serves the sample file inside the stack's network as
// http://data:8000/.
type dataServer struct {
	d    *devStack
	name string
}

func dataURL(query string) string { return "http://data:8000/sf-mobile-food-permits.json" + query }

func (d *devStack) startDataServer(sample string) *dataServer {
	d.t.Helper()
	dir := d.t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "dataserver"), "./infra/internal/stacktest/dataserver")
	build.Dir = d.c.Dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		d.t.Fatalf("building the data server: %v\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY dataserver /dataserver\nUSER 65532:65532\nENTRYPOINT [\"/dataserver\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		d.t.Fatal(err)
	}
	tag := "foodtrucks-test/dataserver:" + d.c.Project
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := dockertest.Build(ctx, "-q", "--label", dockertest.TestLabel+"=1", "-t", tag, dir); err != nil {
		d.t.Fatal(err)
	}
	s := &dataServer{d: d, name: d.c.Project + "-test-data"}
	if _, err := d.docker("create", "--name", s.name, "--label", dockertest.TestLabel+"=1", "--read-only",
		"-v", filepath.Dir(sample)+":/data:ro", tag); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() {
		d.docker("rm", "-f", s.name)
		d.docker("image", "rm", tag)
	})
	if _, err := d.docker("start", s.name); err != nil {
		d.t.Fatal(err)
	}
	return s
}

func (s *dataServer) connect() {
	s.d.t.Helper()
	if _, err := s.d.docker("network", "connect", "--alias", "data", s.d.name("network"), s.name); err != nil {
		s.d.t.Fatal(err)
	}
}

func (s *dataServer) disconnect() {
	s.d.t.Helper()
	if _, err := s.d.docker("network", "disconnect", s.d.name("network"), s.name); err != nil {
		s.d.t.Fatal(err)
	}
}

// freePortPair finds two consecutive free ports on 127.0.0.1 (webReplicas 2
// publishes webPort and webPort+1).
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
		l.Close()
		if err == nil {
			next.Close()
			return port
		}
	}
	t.Fatal("no two consecutive free ports on 127.0.0.1")
	return 0
}

var summaryLine = regexp.MustCompile(`(?m)^\s+(?:\+|~|-|\+-)?\s*(\d+) (created|updated|replaced|deleted|unchanged)\b`)

// summaryCount reads "N created" (or updated, …) from an up's summary.
func summaryCount(output, kind string) int {
	for _, m := range summaryLine.FindAllStringSubmatch(output, -1) {
		if m[2] == kind {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// changed names what an up's summary says it changed, or "".
func changed(output string) string {
	var out []string
	for _, m := range summaryLine.FindAllStringSubmatch(output, -1) {
		if m[2] != "unchanged" {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return strings.Join(out, ", ")
}

// readmePlainCLI is the README's plain CLI sequence for the dev stack, as
// one script that stops at the first failing line.
func readmePlainCLI(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)Plain CLI, dev stack.*?```sh\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no \"Plain CLI, dev stack\" sh block")
	}
	return "set -euo pipefail\n" + string(m[1])
}
