package local_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/local"
)

func TestDevStackRegistersExactlyThisTree(t *testing.T) {
	dev := runDev(t, nil, nil)
	tree := dev.Tree()
	t.Logf("resource tree of stack dev (type, name):\n%s", tree)

	var got []string
	for _, r := range dev.Resources() {
		got = append(got, r.ParentName+" > "+r.Type+" "+r.Name)
	}
	sort.Strings(got)
	want := []string{
		" > foodtrucks:local:Network network",
		" > foodtrucks:local:Search search",
		" > foodtrucks:local:Storage storage",
		" > foodtrucks:local:Web web",
		"network > docker:index/network:Network network",
		"search > docker:index/container:Container elasticsearch",
		"search > docker:index/remoteImage:RemoteImage elasticsearch",
		"storage > docker:index/volume:Volume search-data",
		"web > docker:index/container:Container web-0",
		"web > docker:index/image:Image web",
	}
	if !slices.Equal(got, want) {
		t.Errorf("registered (parent > type name):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSearchContainerIsASingleHealthCheckedNodeOnThePrivateNetwork(t *testing.T) {
	dev := runDev(t, nil, nil)
	es := dev.Must(t, typeContainer, "elasticsearch").Inputs
	image := dev.Must(t, typeRemoteImage, "elasticsearch")

	if image.Inputs["name"] != "docker.elastic.co/elasticsearch/elasticsearch:8.19.21" {
		t.Errorf("remote image %v, want the configured repository and esVersion", image.Inputs["name"])
	}
	if !strings.HasPrefix(es["image"].(string), "sha256:") {
		t.Errorf("ES container image = %v, want the RemoteImage's ID (sha256:…), not a name", es["image"])
	}
	if es["name"] != "foodtrucks-dev-search" {
		t.Errorf("container name %v", es["name"])
	}
	requireContainsAll(t, "ES env", strs(t, es["envs"]),
		"discovery.type=single-node",
		"ES_JAVA_OPTS=-Xms512m -Xmx512m",
		"xpack.security.enabled=false",
	)
	if num(t, es["memory"]) != 1024 {
		t.Errorf("memory = %v MB, want esMemoryMb 1024", es["memory"])
	}
	ulimits := objs(t, es["ulimits"])
	if len(ulimits) != 1 || ulimits[0]["name"] != "nofile" || num(t, ulimits[0]["soft"]) != 65535 || num(t, ulimits[0]["hard"]) != 65535 {
		t.Errorf("ulimits = %v, want nofile 65535/65535", ulimits)
	}
	vols := objs(t, es["volumes"])
	if len(vols) != 1 || vols[0]["containerPath"] != "/usr/share/elasticsearch/data" || vols[0]["volumeName"] != "foodtrucks-dev-search-data" {
		t.Errorf("volumes = %v, want the search-data volume at /usr/share/elasticsearch/data", vols)
	}
	nets := objs(t, es["networksAdvanced"])
	if len(nets) != 1 || nets[0]["name"] != "foodtrucks-dev-network" || !slices.Equal(strs(t, nets[0]["aliases"]), []string{"es"}) {
		t.Errorf("networks = %v, want foodtrucks-dev-network with alias es", nets)
	}
	hc := obj(t, es["healthcheck"])
	wantTest := []string{"CMD-SHELL", `curl -fsS "http://localhost:9200/_cluster/health?wait_for_status=yellow&timeout=5s"`}
	if got := strs(t, hc["tests"]); !slices.Equal(got, wantTest) {
		t.Errorf("healthcheck = %q, want %q", got, wantTest)
	}
	if es["wait"] != true || num(t, es["waitTimeout"]) != 180 {
		t.Errorf("wait = %v, waitTimeout = %v; want true and localWaitTimeout 180", es["wait"], es["waitTimeout"])
	}
	if es["restart"] != "unless-stopped" {
		t.Errorf("restart = %v", es["restart"])
	}
	if _, published := es["ports"]; published {
		t.Errorf("ES ports = %v, want none unless localEsPublishPort is set", es["ports"])
	}
}

func TestWebContainerIsHardenedAndFindsSearchByAlias(t *testing.T) {
	dev := runDev(t, nil, nil)
	web := dev.Must(t, typeContainer, "web-0")
	in := web.Inputs

	env := strs(t, in["envs"])
	wantEnv := []string{
		"PORT=5000", "ES_URL=http://es:9200", "INDEX=sfdata", "DATA_URL=https://data.sfgov.org/resource/rqzj-sfat.json",
		"REFRESH_INTERVAL=24h", "LOG_LEVEL=info", "SEARCH_CACHE_MB=32", "SEARCH_MAX_IN_FLIGHT=16",
	}
	if !slices.Equal(env, wantEnv) {
		t.Errorf("web env = %q, want %q", env, wantEnv)
	}
	ports := objs(t, in["ports"])
	if len(ports) != 1 || ports[0]["ip"] != "127.0.0.1" || num(t, ports[0]["external"]) != 8080 || num(t, ports[0]["internal"]) != 5000 {
		t.Errorf("ports = %v, want 127.0.0.1:8080->5000 (host port webPort, free on macOS; the app's own port inside)", ports)
	}
	if in["readOnly"] != true || in["user"] != "65532:65532" {
		t.Errorf("readOnly = %v, user = %v; want a read-only root and the non-root 65532:65532", in["readOnly"], in["user"])
	}
	if got := strs(t, obj(t, in["capabilities"])["drops"]); !slices.Equal(got, []string{"ALL"}) {
		t.Errorf("capabilities drops = %q, want ALL", got)
	}
	if got := strs(t, in["securityOpts"]); !slices.Equal(got, []string{"no-new-privileges:true"}) {
		t.Errorf("securityOpts = %q", got)
	}
	if got := strs(t, obj(t, in["healthcheck"])["tests"]); !slices.Equal(got, []string{"CMD", "/foodtrucks", "healthcheck"}) {
		t.Errorf("healthcheck = %q", got)
	}
	if in["wait"] != true || in["restart"] != "unless-stopped" {
		t.Errorf("wait = %v, restart = %v", in["wait"], in["restart"])
	}
	es := dev.Must(t, typeContainer, "elasticsearch")
	if !slices.Contains(web.DependsOn, es.URN) {
		t.Errorf("web depends on %q, want the ES container %s (started only after ES is healthy)", web.DependsOn, es.URN)
	}
	if id, _ := in["image"].(string); !strings.HasPrefix(id, "sha256:") {
		t.Errorf("web image = %v, want the built image's ID (RepoDigest with SkipPush)", in["image"])
	}
	if nets := objs(t, in["networksAdvanced"]); len(nets) != 1 || nets[0]["name"] != "foodtrucks-dev-network" {
		t.Errorf("web networks = %v", nets)
	}
}

func TestWebImageIsBuiltLocallyFromTheRealDockerfile(t *testing.T) {
	dev := runDev(t, nil, nil)
	in := dev.Must(t, typeImage, "web").Inputs
	if in["skipPush"] != true || in["buildOnPreview"] != false {
		t.Errorf("skipPush = %v, buildOnPreview = %v; want a local image, built at up only", in["skipPush"], in["buildOnPreview"])
	}
	build := obj(t, in["build"])
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Pulumi runs the program in infra/ (main: infra/); both paths must
	// resolve from there.
	programDir := filepath.Join(root, "infra")
	context := filepath.Join(programDir, build["context"].(string))
	dockerfile := filepath.Join(programDir, build["dockerfile"].(string))
	for _, f := range []string{filepath.Join(context, "go.mod"), dockerfile, filepath.Join(context, ".dockerignore")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("resolved from infra/, %v", err)
		}
	}
	if context != root {
		t.Errorf("context %s, want the repository root %s (the Dockerfile copies go.mod from it)", context, root)
	}
}

// The provider builds for its own architecture unless told (and warns on
// every up): the stack names the platform, the engine's own by default
// (asked with docker version; under mocks stacktest supplies it), or
// localPlatform. /healthz names the commit of the image's sources.
func TestWebImageNamesItsPlatformAndTheCommitItIsBuiltFrom(t *testing.T) {
	for _, tc := range []struct {
		overrides map[string]any
		want      string
	}{
		{nil, stacktest.MockEnginePlatform},
		{map[string]any{"localPlatform": "linux/arm64"}, "linux/arm64"},
	} {
		build := obj(t, runDev(t, tc.overrides, nil).Must(t, typeImage, "web").Inputs["build"])
		if build["platform"] != tc.want {
			t.Errorf("with %v: platform = %v, want %s", tc.overrides, build["platform"], tc.want)
		}
	}
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	args := obj(t, obj(t, runDev(t, nil, nil).Must(t, typeImage, "web").Inputs["build"])["args"])
	rev, err := exec.Command("git", append([]string{"-C", root, "log", "-1", "--format=%H", "--"}, local.ImageSources...)...).Output()
	if err != nil {
		t.Skipf("no git history here to compare with: %v", err)
	}
	if args["REVISION"] != strings.TrimSpace(string(rev)) {
		t.Errorf("build arg REVISION = %v, want the last commit of the image's sources %s", args["REVISION"], rev)
	}
	if v, _ := args["VERSION"].(string); v == "" || v == "dev" {
		t.Errorf("build arg VERSION = %q, want one from git describe", v)
	}
}

// An engine that cannot grant 65535 open files (runc: "error setting rlimit
// type 7") runs Elasticsearch with localEsNoFile, or with its own default.
func TestElasticsearchOpenFilesLimitIsConfigurable(t *testing.T) {
	for _, tc := range []struct {
		noFile int
		want   []map[string]any
	}{
		{20000, []map[string]any{{"name": "nofile", "soft": 20000.0, "hard": 20000.0}}},
		{0, nil},
	} {
		es := runDev(t, map[string]any{"localEsNoFile": tc.noFile}, nil).Must(t, typeContainer, "elasticsearch").Inputs
		var got []map[string]any
		if _, set := es["ulimits"]; set {
			got = objs(t, es["ulimits"])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("localEsNoFile %d: ulimits = %v, want %v", tc.noFile, got, tc.want)
		}
	}
}

func TestEveryDockerResourceIsLabelledWithItsStack(t *testing.T) {
	dev := runDev(t, map[string]any{"localDevMode": true, "webReplicas": 2}, nil)
	labelled := 0
	for _, r := range dev.Resources() {
		if !r.Custom || r.Type == typeImage || r.Type == typeRemoteImage {
			continue // images carry the Dockerfile's OCI labels; a pulled image cannot be labelled
		}
		got := map[string]string{}
		for _, l := range objs(t, r.Inputs["labels"]) {
			got[l["label"].(string)] = l["value"].(string)
		}
		for k, v := range map[string]string{"project": "foodtrucks", "stack": "dev", "managed-by": "pulumi"} {
			if got[k] != v {
				t.Errorf("%s %s: label %s = %q, want %q (labels %v)", r.Type, r.Name, k, got[k], v, got)
			}
		}
		if got["component"] == "" {
			t.Errorf("%s %s has no component label", r.Type, r.Name)
		}
		labelled++
	}
	if labelled != 5 { // network, volume, ES, two web containers
		t.Errorf("checked %d labelled resources, want 5", labelled)
	}
}

// inputsByURN keys every resource's inputs by URN for comparing two runs.
func inputsByURN(run devRun) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, r := range run.Resources() {
		m[r.URN] = r.Inputs
	}
	return m
}

func changedResources(a, b devRun) []string {
	before, after := inputsByURN(a), inputsByURN(b)
	var changed []string
	for urn, in := range after {
		if !reflect.DeepEqual(before[urn], in) {
			changed = append(changed, urn[strings.LastIndex(urn, "$")+1:])
		}
	}
	for urn := range before {
		if _, ok := after[urn]; !ok {
			changed = append(changed, "removed "+urn)
		}
	}
	sort.Strings(changed)
	return changed
}

func TestNewElasticsearchVersionChangesOnlyItsImageAndContainer(t *testing.T) {
	changed := changedResources(runDev(t, nil, nil), runDev(t, map[string]any{"esVersion": "8.19.20"}, nil))
	want := []string{
		"docker:index/container:Container::elasticsearch",
		"docker:index/remoteImage:RemoteImage::elasticsearch",
	}
	if !slices.Equal(changed, want) {
		t.Errorf("esVersion 8.19.21 → 8.19.20 changed %q, want only %q", changed, want)
	}
}

func TestVolumeIsUntouchedByWebChanges(t *testing.T) {
	base := runDev(t, nil, nil)
	for name, change := range map[string]map[string]any{
		"web port":        {"webPort": 8090},
		"log level":       {"logLevel": "debug"},
		"replicas":        {"webReplicas": 3},
		"dev mode":        {"localDevMode": true},
		"heap and memory": {"esHeapMb": 1024, "esMemoryMb": 2048},
	} {
		t.Run(name, func(t *testing.T) {
			changed := changedResources(base, runDev(t, change, nil))
			if len(changed) == 0 {
				t.Fatalf("%v changed nothing; the comparison is not looking", change)
			}
			for _, c := range changed {
				if strings.Contains(c, "volume:Volume") || strings.Contains(c, "network:Network") {
					t.Errorf("%v changed %s; the data volume and network must stay", change, c)
				}
			}
		})
	}
	vol := base.Must(t, typeVolume, "search-data")
	if len(vol.DependsOn) != 0 {
		t.Errorf("volume depends on %q; nothing may make it replace", vol.DependsOn)
	}
	if vol.Inputs["name"] != "foodtrucks-dev-search-data" {
		t.Errorf("volume name %v", vol.Inputs["name"])
	}
}

func TestRetainDataKeepsTheVolumeOnDestroy(t *testing.T) {
	for _, retain := range []bool{false, true} {
		vol := runDev(t, map[string]any{"retainData": retain}, nil).Must(t, typeVolume, "search-data")
		if vol.RetainOnDelete != retain {
			t.Errorf("retainData %v: volume RetainOnDelete = %v", retain, vol.RetainOnDelete)
		}
	}
}

func TestSecurityOnHandsThePasswordToBothAsASecret(t *testing.T) {
	dev := runDev(t, map[string]any{"esSecurity": true}, map[string]string{"esPassword": "s3cret-pw"})
	es := dev.Must(t, typeContainer, "elasticsearch")
	web := dev.Must(t, typeContainer, "web-0")

	requireContainsAll(t, "ES env", strs(t, es.Inputs["envs"]), "xpack.security.enabled=true", "ELASTIC_PASSWORD=s3cret-pw")
	requireContainsAll(t, "web env", strs(t, web.Inputs["envs"]), "ES_URL=http://es:9200")
	for _, c := range []*stacktest.Resource{es, web} {
		if !slices.Contains(c.SecretInputs, "envs") {
			t.Errorf("%s envs carry the password but are not secret (secret inputs: %q)", c.Name, c.SecretInputs)
		}
	}
	test := strs(t, obj(t, es.Inputs["healthcheck"])["tests"])
	if !strings.Contains(test[1], `-u "elastic:$ELASTIC_PASSWORD"`) || strings.Contains(test[1], "s3cret-pw") {
		t.Errorf("healthcheck %q must authenticate from the container's env, without the password in the spec", test)
	}
}

func TestDevModeServesTheUIFromTheHost(t *testing.T) {
	dev := runDev(t, map[string]any{"localDevMode": true}, nil)
	in := dev.Must(t, typeContainer, "web-0").Inputs
	env := strs(t, in["envs"])
	requireContainsAll(t, "web env", env, "UI_DIR=/ui", "LOG_LEVEL=debug")
	if slices.Contains(env, "LOG_LEVEL=info") {
		t.Errorf("dev mode keeps LOG_LEVEL=info: %q", env)
	}
	mounts := objs(t, in["mounts"])
	if len(mounts) != 2 {
		t.Fatalf("mounts = %v, want the UI and the server builds bind-mounted", mounts)
	}
	m := mounts[0]
	src, _ := m["source"].(string)
	if m["type"] != "bind" || m["target"] != "/ui" || m["readOnly"] != true || !filepath.IsAbs(src) {
		t.Errorf("mount = %v, want an absolute host path bound read-only at /ui", m)
	}
	if _, err := os.Stat(filepath.Join(src, "index.html")); err != nil {
		t.Errorf("the mounted UI directory has no index.html: %v", err)
	}
	bin := mounts[1]
	binSrc, _ := bin["source"].(string)
	if bin["type"] != "bind" || bin["target"] != "/dev-bin" || bin["readOnly"] != true || !strings.HasSuffix(binSrc, "/.cache/dev-bin") || !filepath.IsAbs(binSrc) {
		t.Errorf("mount = %v, want the project's .cache/dev-bin bound read-only at /dev-bin", bin)
	}
	if _, mounted := runDev(t, nil, nil).Must(t, typeContainer, "web-0").Inputs["mounts"]; mounted {
		t.Error("the UI is mounted without localDevMode")
	}
}

// With localDevMode the web containers run the host's build, and their
// image is the Dockerfile's dev target built from an empty folder, with no
// version arguments: nothing in either depends on the Go sources, so an
// edit of them leaves every input as it was (the real deploy test runs
// `make preview` after one). Tried: the inputs of the image and of web-0.
func TestDevModeImageDoesNotDependOnTheGoSources(t *testing.T) {
	root := devModeRoot(t, true)
	dev := runDevIn(t, root, map[string]any{"localDevMode": true}, nil)
	if dev.Err != nil {
		t.Fatal(dev.Err)
	}
	build := obj(t, dev.Must(t, typeImage, "web").Inputs["build"])
	if build["target"] != "dev" || build["context"] != "../.cache/dev-image" || build["args"] != nil {
		t.Errorf("dev-mode image build = %v, want target dev, context ../.cache/dev-image, no args", build)
	}
	entries, err := os.ReadDir(filepath.Join(root, ".cache", "dev-image"))
	if err != nil || len(entries) != 0 {
		t.Errorf("the dev image's context holds %v (%v), want an empty folder", entries, err)
	}
	web := dev.Must(t, typeContainer, "web-0").Inputs
	test := strs(t, obj(t, web["healthcheck"])["tests"])
	if want := []string{"CMD", "/dev-bin/foodtrucks", "healthcheck"}; !slices.Equal(test, want) {
		t.Errorf("dev-mode healthcheck = %q, want %q (the image has no /foodtrucks)", test, want)
	}
	// Without localDevMode: the full image, with the version arguments.
	build = obj(t, runDev(t, nil, nil).Must(t, typeImage, "web").Inputs["build"])
	if build["target"] != nil || build["context"] != ".." || build["args"] == nil {
		t.Errorf("image build = %v, want the repository as context, no target, version args", build)
	}
}

// A dev stack with localDevMode but no host build yet stops before anything
// is created, and says how to make one; a stray file in the dev image's
// context is refused rather than built into the image. Tried: a project
// folder without .cache/dev-bin/foodtrucks, then one with a file in
// .cache/dev-image.
func TestDevModeWithoutAHostBuildSaysHowToMakeOne(t *testing.T) {
	run := runDevIn(t, devModeRoot(t, false), map[string]any{"localDevMode": true}, nil)
	if run.Err == nil || !strings.Contains(run.Err.Error(), "make dev-build") || !strings.Contains(run.Err.Error(), ".cache/dev-bin/foodtrucks") {
		t.Fatalf("err = %v, want one naming the missing build and make dev-build", run.Err)
	}
	for _, r := range run.Resources() {
		if r.Type == typeContainer && strings.HasPrefix(r.Name, "web-") {
			t.Errorf("web container %s registered although the dev build is missing", r.Name)
		}
	}
	root := devModeRoot(t, true)
	stray := filepath.Join(root, ".cache", "dev-image", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(stray), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run = runDevIn(t, root, map[string]any{"localDevMode": true}, nil)
	if run.Err == nil || !strings.Contains(run.Err.Error(), "must be empty") {
		t.Errorf("err = %v, want the dev image's context refused for holding a file", run.Err)
	}
}

// The search settings reach every web container as the app's variables;
// 0 (no cache, no bound) is written out, since an absent variable would
// give the app's own defaults instead.
func TestSearchSettingsReachEveryWebContainer(t *testing.T) {
	dev := runDev(t, map[string]any{"webReplicas": 2, "searchCacheMb": 0, "searchMaxInFlight": 64}, nil)
	for _, name := range []string{"web-0", "web-1"} {
		env := strs(t, dev.Must(t, typeContainer, name).Inputs["envs"])
		requireContainsAll(t, name+" env", env, "SEARCH_CACHE_MB=0", "SEARCH_MAX_IN_FLIGHT=64")
	}
}

func TestReplicasListenOnConsecutiveHostPorts(t *testing.T) {
	dev := runDev(t, map[string]any{"webReplicas": 3, "webPort": 9090}, nil)
	for i, want := range []int{9090, 9091, 9092} {
		c := dev.Must(t, typeContainer, "web-"+string(rune('0'+i)))
		p := objs(t, c.Inputs["ports"])[0]
		if num(t, p["external"]) != want || num(t, p["internal"]) != local.WebContainerPort {
			t.Errorf("web-%d ports %v, want host %d → container %d", i, p, want, local.WebContainerPort)
		}
		if env := strs(t, c.Inputs["envs"]); !slices.Contains(env, fmt.Sprintf("PORT=%d", local.WebContainerPort)) {
			t.Errorf("web-%d env %q: the app must listen on the container port whatever webPort is", i, env)
		}
	}
	urls := stacktest.Await(t, dev.Outputs.WebURLs).Value
	want := []string{"http://127.0.0.1:9090/", "http://127.0.0.1:9091/", "http://127.0.0.1:9092/"}
	if !reflect.DeepEqual(urls, want) {
		t.Errorf("webUrls = %v, want %v", urls, want)
	}
}

func TestElasticsearchIsPublishedOnlyWhenAskedAndOnTheBindAddress(t *testing.T) {
	dev := runDev(t, map[string]any{"localEsPublishPort": 9201}, nil)
	ports := objs(t, dev.Must(t, typeContainer, "elasticsearch").Inputs["ports"])
	if len(ports) != 1 || ports[0]["ip"] != "127.0.0.1" || num(t, ports[0]["external"]) != 9201 || num(t, ports[0]["internal"]) != 9200 {
		t.Errorf("ES ports = %v, want 127.0.0.1:9201 → 9200", ports)
	}
	if got := stacktest.Await(t, pulumi.ToOutput(dev.Outputs.ESEndpoint)).Value; got != "http://127.0.0.1:9201/" {
		t.Errorf("esEndpoint = %v", got)
	}
	if runDev(t, nil, nil).Outputs.ESEndpoint != nil {
		t.Error("esEndpoint is set although ES is not published")
	}
}

func TestOutputsOfTheDevStack(t *testing.T) {
	dev := runDev(t, nil, nil)
	o := dev.Outputs
	for name, tc := range map[string]struct {
		out  pulumi.Output
		want any
	}{
		"url":         {o.URL, "http://127.0.0.1:8080/"},
		"networkName": {o.NetworkName, "foodtrucks-dev-network"},
		"volumeName":  {o.VolumeName, "foodtrucks-dev-search-data"},
		"esImage":     {o.ESImage, "docker.elastic.co/elasticsearch/elasticsearch:8.19.21"},
		"webImage":    {o.WebImage, dev.Must(t, typeContainer, "web-0").Inputs["image"]},
	} {
		if got := stacktest.Await(t, tc.out).Value; got != tc.want {
			t.Errorf("%s = %v, want %v", name, got, tc.want)
		}
	}
	if got := stacktest.Await(t, o.WebImage).Value.(string); !strings.HasPrefix(got, "sha256:") {
		t.Errorf("webImage = %s, want the image ID", got)
	}
}

func TestBindAddressIsConfigurable(t *testing.T) {
	dev := runDev(t, map[string]any{"localBindAddress": "0.0.0.0"}, nil)
	p := objs(t, dev.Must(t, typeContainer, "web-0").Inputs["ports"])[0]
	if p["ip"] != "0.0.0.0" {
		t.Errorf("port ip = %v", p["ip"])
	}
	// A wildcard bind is opened in the browser through loopback.
	if got := stacktest.Await(t, dev.Outputs.URL).Value; got != "http://127.0.0.1:8080/" {
		t.Errorf("url = %v", got)
	}
}

// The Docker provider reads the ignore file from the build context under
// the name .dockerignore (for a file named Dockerfile); the docker CLI falls
// back to the same file. Without it the context hash would cover
// the Pulumi state (.pulumi/) and .git, which change on every up, and the web containers
// would be replaced each time.
func TestTheBuildContextIgnoreFileKeepsStateOut(t *testing.T) {
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var provider []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			provider = append(provider, line)
		}
	}
	if len(provider) == 0 || provider[0] != "*" {
		t.Fatalf(".dockerignore must start by excluding everything (*), then allow the sources; got %q", provider)
	}
	for _, r := range provider {
		if strings.HasPrefix(r, "!.") {
			t.Errorf("rule %q lets a hidden path (state, .git) into the build context", r)
		}
	}
}
