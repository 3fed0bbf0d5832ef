package dockertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
)

const sampleFile = "sf-mobile-food-permits.json"

// The classic two-container lesson on a real engine: web and search engine on
// a user-defined network, web finding the search engine by the name "es",
// surviving its outage and recovering without a restart. The "es" container
// is the fault proxy (a static binary in a scratch image) in front of the
// test binary's real Elasticsearch node on the host: stopping the container
// is Elasticsearch going away, and the node keeps the data meanwhile, as a
// node with its volume does.
func TestWebFindsSearchEngineByNameAndSurvivesItsOutage(t *testing.T) {
	webImage := dockertest.BuildWebImage(t)
	esImage := dockertest.BuildESProxyImage(t)
	data := dockertest.SampleData(t, sampleFile)
	network := dockertest.CreateNetwork(t, "lesson")
	node, nodeURL, nodeHost := dockertest.NodeForNetwork(t, network)
	// An alias of this test's own, in case the node is shared (ESNODE_URL).
	alias := "t-two-containers-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"-*") })

	web := hardened
	web.Image, web.Name, web.Network = webImage, "web", network
	web.Env = []string{
		"ES_URL=http://es:9200",
		"INDEX=" + alias,
		"DATA_URL=/data/" + sampleFile,
		"REFRESH_INTERVAL=0",
		// The server checks for a lost alias every 15 s by default; checking
		// every second keeps the recovery measurement about the server, not the wait.
		"ALIAS_CHECK_INTERVAL=1s",
	}
	web.Mounts = []dockertest.Mount{{Source: data, Target: "/data/" + sampleFile, ReadOnly: true}}
	web.Ports = []dockertest.Port{{ContainerPort: webPort}}
	// The image's own check, probed more often than in production so the test
	// does not wait out the default interval.
	web.Health = &dockertest.Healthcheck{Test: []string{"CMD", "/foodtrucks", "healthcheck"}, Interval: time.Second}
	webC := dockertest.Run(t, web)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := webC.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, webC.URL(webPort, "/readyz")); status != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz before es exists = %d %s, want 503", status, body)
	}
	webStarted := webC.State().StartedAt

	es := hardened
	es.Image, es.Name, es.Network, es.Aliases = esImage, "es", network, []string{"es"}
	es.Env = []string{"ES_TARGET=" + nodeURL}
	es.ExtraHosts = []string{nodeHost}
	// Published (on 127.0.0.1) only so the test can tell when es answers.
	es.Ports = []dockertest.Port{{ContainerPort: dockertest.ESProxyPort}}
	esC := dockertest.Run(t, es)

	esUp := waitFor(ctx, t, "es answers from the host", func() (bool, string) {
		return answers(esC.URL(dockertest.ESProxyPort, "/"), http.StatusOK)
	})
	ready := waitFor(ctx, t, "web ready", func() (bool, string) {
		return answers(webC.URL(webPort, "/readyz"), http.StatusOK)
	})
	t.Logf("web ready %s after es became reachable (found es by name, loaded %s)", ready.Sub(esUp).Round(time.Millisecond), sampleFile)

	trucks := searchTacos(t, webC)
	if len(trucks) == 0 {
		t.Fatal("GET /search?q=tacos found no trucks in the sample data")
	}
	t.Logf("GET /search?q=tacos through the published port: %d trucks, e.g. %q", len(trucks), trucks[0].Name)

	code, took := esC.Stop(10 * time.Second)
	t.Logf("es stopped in %s (exit %d)", took.Round(time.Millisecond), code)
	stopped := time.Now()
	outage := waitFor(ctx, t, "search answers 503 while es is away", func() (bool, string) {
		return answers(webC.URL(webPort, "/search?q=tacos"), http.StatusServiceUnavailable)
	})
	t.Logf("search answered 503 %s after es stopped", outage.Sub(stopped).Round(time.Millisecond))
	if status, body := get(t, webC.URL(webPort, "/healthz")); status != http.StatusOK {
		t.Errorf("GET /healthz during the es outage = %d %s, want 200 (liveness must not depend on es)", status, body)
	}
	assertNotRestarted(t, webC, webStarted)

	esC.Start()
	esBack := waitFor(ctx, t, "es answers again", func() (bool, string) {
		return answers(esC.URL(dockertest.ESProxyPort, "/"), http.StatusOK)
	})
	// The node kept its data: web must find its alias again and serve it.
	recovered := waitFor(ctx, t, "search finds trucks again", func() (bool, string) {
		status, body := getQuiet(webC.URL(webPort, "/search?q=tacos"))
		if status != http.StatusOK {
			return false, fmt.Sprintf("%d %s", status, body)
		}
		var r struct{ Trucks []truck }
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Trucks) == 0 {
			return false, "200 without trucks: " + body
		}
		return true, ""
	})
	t.Logf("search recovered %s after es returned, without restarting web", recovered.Sub(esBack).Round(time.Millisecond))
	assertNotRestarted(t, webC, webStarted)
	if s := webC.State(); s.Health != "healthy" {
		t.Errorf("web health after the outage = %q, want healthy", s.Health)
	}
	if n := strings.Count(webC.Logs(), `"msg":"data loaded; alias swapped"`); n != 1 {
		t.Errorf("web loaded the data %d times; once, since the node kept it through the outage", n)
	}
}

type truck struct {
	Name      string   `json:"name"`
	FoodItems []string `json:"fooditems"`
}

func searchTacos(t *testing.T, web *dockertest.Container) []truck {
	t.Helper()
	status, body := get(t, web.URL(webPort, "/search?q=tacos"))
	if status != http.StatusOK {
		t.Fatalf("GET /search?q=tacos = %d %s", status, body)
	}
	var r struct {
		Trucks []truck `json:"trucks"`
		Hits   int     `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("GET /search?q=tacos: %v in %s", err, body)
	}
	for _, tr := range r.Trucks {
		if tr.Name == "" {
			t.Errorf("truck without a name in %s", body)
		}
		// The search covers names and food items, with typo tolerance and
		// stemming; "taco" is in one of them for every honest match.
		if !strings.Contains(strings.ToLower(tr.Name+" "+strings.Join(tr.FoodItems, " ")), "taco") {
			t.Errorf("truck %q matched tacos but neither its name nor its food items %q mention it", tr.Name, tr.FoodItems)
		}
	}
	return r.Trucks
}

func assertNotRestarted(t *testing.T, c *dockertest.Container, started time.Time) {
	t.Helper()
	s := c.State()
	if !s.Running || s.RestartCount != 0 || !s.StartedAt.Equal(started) {
		t.Errorf("web was not left running: %+v (started %s before)", s, started)
	}
}

// waitFor polls cond every 100 ms until it holds and returns when it first
// did; on timeout it fails with the last observation.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) time.Time {
	t.Helper()
	var last string
	for {
		ok, seen := cond()
		if ok {
			return time.Now()
		}
		last = seen
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; last seen: %s", what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func answers(url string, want int) (bool, string) {
	status, body := getQuiet(url)
	return status == want, fmt.Sprintf("%d %s", status, body)
}

// getQuiet is get for polling: a refused connection is an observation, not
// a failure.
func getQuiet(url string) (int, string) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "reading body: " + err.Error()
	}
	return resp.StatusCode, string(body)
}
