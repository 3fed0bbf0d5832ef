package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

func TestMain(m *testing.M) { os.Exit(esnode.Main(m)) }

// appEngine is the test binary's real Elasticsearch node (esnode.Shared)
// behind a fault proxy of the test's own, with an alias (the app's INDEX)
// no other test uses, so tests share the node and may run in parallel.
type appEngine struct {
	*esfault.Proxy
	nodeURL string
	alias   string
}

func startEngine(t *testing.T) *appEngine {
	t.Helper()
	node := esnode.Shared(t)
	name := strings.ToLower(unsafeAliasChars.ReplaceAllString(strings.TrimPrefix(t.Name(), "Test"), "-"))
	e := &appEngine{
		Proxy:   esfault.Start(t, node.URL),
		nodeURL: node.URL,
		alias:   "t-" + strings.Trim(name[:min(len(name), 40)], "-") + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
	}
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, e.alias+"-*") })
	return e
}

var unsafeAliasChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// env is the app's environment for this engine: ES_URL through the proxy,
// INDEX the test's alias.
func (e *appEngine) env(more map[string]string) map[string]string {
	env := map[string]string{"ES_URL": e.URL, "INDEX": e.alias}
	maps.Copy(env, more)
	return env
}

// nodeJSON reads a JSON answer straight from the node, bypassing the proxy.
func (e *appEngine) nodeJSON(t *testing.T, path string, v any) int {
	t.Helper()
	res, err := http.Get(e.nodeURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return res.StatusCode
}

// aliasTargets lists the indices the alias points to, sorted.
func (e *appEngine) aliasTargets(t *testing.T) []string {
	t.Helper()
	var m map[string]any
	if st := e.nodeJSON(t, "/_alias/"+e.alias, &m); st != http.StatusOK && st != http.StatusNotFound {
		t.Fatalf("GET /_alias/%s: HTTP %d", e.alias, st)
	}
	return slices.Sorted(maps.Keys(m))
}

// versions lists the alias's versioned indices, sorted.
func (e *appEngine) versions(t *testing.T) []string {
	t.Helper()
	var indices []struct{ Index string }
	if st := e.nodeJSON(t, "/_cat/indices/"+e.alias+"-*?format=json&h=index", &indices); st != http.StatusOK {
		t.Fatalf("listing %s-*: HTTP %d", e.alias, st)
	}
	var out []string
	for _, idx := range indices {
		// Versions only: <alias>-<UTC time>, not <alias>-coordination (the
		// replicas' load lease).
		if v := strings.TrimPrefix(idx.Index, e.alias+"-"); v != "" && v[0] >= '0' && v[0] <= '9' {
			out = append(out, idx.Index)
		}
	}
	slices.Sort(out)
	return out
}

// runningApp is one run(...) of the server on a real port.
type runningApp struct {
	*inProcess
}

// startApp runs the server with env on top of test defaults. It stops the
// server at the end of the test and fails the test if run returned an error.
func startApp(t *testing.T, env map[string]string, args ...string) *runningApp {
	t.Helper()
	a := &runningApp{serveInProcess(t, map[string]string{
		"ES_WAIT":              "5s",
		"ALIAS_CHECK_INTERVAL": "100ms",
		"REFRESH_INTERVAL":     "0",
		"LOG_LEVEL":            "debug",
	}, env, args...)}
	t.Cleanup(func() {
		if err := a.stop(); err != nil {
			t.Errorf("run returned %v\nlogs:\n%s", err, a.log)
		}
	})
	a.waitFor(t, "liveness", func() bool { st, _ := a.get(t, "/healthz"); return st == 200 })
	return a
}

func (a *runningApp) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(a.base + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body
}

func (a *runningApp) search(t *testing.T, query string) (int, foodtrucks.SearchResult) {
	t.Helper()
	resp, err := http.Get(a.base + "/search?" + query)
	if err != nil {
		t.Fatalf("GET /search?%s: %v", query, err)
	}
	defer resp.Body.Close()
	var res foodtrucks.SearchResult
	_ = json.NewDecoder(resp.Body).Decode(&res)
	return resp.StatusCode, res
}

func (a *runningApp) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, a.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *runningApp) waitReady(t *testing.T) {
	t.Helper()
	a.waitFor(t, "readiness", func() bool { st, _ := a.get(t, "/readyz"); return st == 200 })
}

// smallData is a tiny SODA JSON source of our own, for flows that must run
// even where the city's samples are absent.
const smallData = "testdata/run-permits.json"

func TestRunServesEveryEndpoint(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": repo.SampleData(t, "sf-mobile-food-permits.json")}))
	a.waitReady(t)
	// Ready means the alias exists; the loader records its result a moment
	// after the swap.
	a.waitFor(t, "the load in /api/stats", func() bool { _, s := a.get(t, "/api/stats"); return s["last_load"] != nil })

	var bulks, loadRequests int
	for _, r := range es.Requests() {
		if strings.HasSuffix(r.Path, "/_bulk") {
			bulks++
		}
		if r.Method != "HEAD" && !strings.HasSuffix(r.Path, "/_search") && r.Path != "/" {
			loadRequests++
		}
	}
	if bulks != 1 {
		t.Errorf("loading the 487-row sample took %d bulk requests; want 1", bulks)
	}
	t.Logf("Elasticsearch requests to load the sample: %d in all (%d bulk)", loadRequests, bulks)

	st, stats := a.get(t, "/api/stats")
	if st != 200 || stats["documents"] != 487.0 {
		t.Fatalf("stats: %d %v", st, stats)
	}
	last, _ := stats["last_load"].(map[string]any)
	if last["rows_read"] != 487.0 || last["indexed"] != 487.0 {
		t.Errorf("last load %v", last)
	}

	st, res := a.search(t, "q=tacos")
	if st != 200 || res.Status != "success" || res.Hits == 0 || res.Hits != len(res.Trucks) {
		t.Fatalf("tacos: %d %+v", st, res)
	}
	locations := 0
	for _, tr := range res.Trucks {
		locations += len(tr.Branches)
	}
	if locations != res.Locations {
		t.Errorf("locations %d, but the branches add up to %d", res.Locations, locations)
	}

	_, typo := a.search(t, "q=burito")
	found := false
	for _, tr := range typo.Trucks {
		for _, f := range tr.FoodItems {
			found = found || strings.Contains(f, "burrito")
		}
	}
	if !found {
		t.Errorf("q=burito found no truck selling burritos: %+v", typo)
	}

	// Civic Center; every branch within 800 m, nearest first.
	st, near := a.search(t, "lat=37.7793&lon=-122.4193&radius=800m")
	if st != 200 || near.Hits == 0 {
		t.Fatalf("geo: %d %+v", st, near)
	}
	prev := 0.0
	for _, tr := range near.Trucks {
		for _, b := range tr.Branches {
			if b.DistanceMeters == nil || *b.DistanceMeters > 800 {
				t.Fatalf("%s branch without distance or outside 800 m: %+v", tr.Name, b)
			}
		}
		if d := *tr.Branches[0].DistanceMeters; d < prev {
			t.Errorf("%s at %.0f m comes after a truck at %.0f m", tr.Name, d, prev)
		} else {
			prev = d
		}
	}

	_, approved := a.search(t, "q=tacos&status=APPROVED&type=Truck")
	if approved.Hits == 0 || approved.Hits > res.Hits {
		t.Errorf("filtered tacos: %d trucks, unfiltered %d", approved.Hits, res.Hits)
	}

	for _, tc := range []struct {
		what, path string
		status     int
	}{
		{"liveness", "/healthz", 200},
		{"readiness", "/readyz", 200},
		{"no query", "/search", 400},
		{"bad radius", "/search?lat=37.7&lon=-122.4&radius=far", 400},
		{"huge q", "/search?q=" + strings.Repeat("x", 5000), 400},
		{"unknown API path", "/api/unknown", 404},
	} {
		if st, body := a.get(t, tc.path); st != tc.status || (st >= 400 && body["status"] != "failure") {
			t.Errorf("%s: GET %s → %d %v, want %d", tc.what, tc.path[:min(len(tc.path), 60)], st, body, tc.status)
		}
	}
	resp, err := http.Get(a.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / should serve the UI page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(a.log.String(), `"request_id"`) || !strings.Contains(a.log.String(), `"path":"/search"`) {
		t.Error("request logs should carry request_id and path")
	}
	if strings.Contains(a.log.String(), "37.7793") {
		t.Error("request logs must not contain the coordinates people searched near")
	}
}

func TestRunStartsBeforeElasticsearchAndWaits(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	if err := es.SetDown(true); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData, "ES_WAIT": "300ms"}))

	if st, _ := a.get(t, "/healthz"); st != 200 {
		t.Errorf("liveness must be green without Elasticsearch: %d", st)
	}
	if st, body := a.get(t, "/readyz"); st != 503 || body["status"] != "failure" {
		t.Errorf("readiness without Elasticsearch: %d %v", st, body)
	}
	if st, _ := a.search(t, "q=tacos"); st != 503 {
		t.Errorf("search without Elasticsearch: %d, want 503", st)
	}
	a.waitFor(t, "the over-budget error", func() bool { return strings.Contains(a.log.String(), "ES_WAIT budget") })

	if err := es.SetDown(false); err != nil {
		t.Fatal(err)
	}
	a.waitReady(t)
	if st, res := a.search(t, "q=tacos"); st != 200 || res.Hits == 0 {
		t.Errorf("search after Elasticsearch came up: %d %+v", st, res)
	}
	if n := strings.Count(a.log.String(), "waiting for Elasticsearch"); n != 1 {
		t.Errorf("the wait is logged %d times; once is enough", n)
	}
}

func TestRunSurvivesElasticsearchGoingAway(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}))
	a.waitReady(t)

	if err := es.SetDown(true); err != nil {
		t.Fatal(err)
	}
	st, _ := a.search(t, "q=tacos")
	_, body := a.get(t, "/search?q=tacos")
	if st != 503 || !strings.Contains(body["msg"].(string), "unavailable") {
		t.Errorf("search with Elasticsearch down: %d %v", st, body)
	}
	if st, _ := a.get(t, "/readyz"); st != 503 {
		t.Errorf("readiness with Elasticsearch down: %d", st)
	}
	if st, _ := a.get(t, "/healthz"); st != 200 {
		t.Errorf("liveness must stay green: %d", st)
	}

	if err := es.SetDown(false); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "search to recover", func() bool { st, _ := a.search(t, "q=tacos"); return st == 200 })
	a.waitFor(t, "the recovery log line", func() bool { return strings.Contains(a.log.String(), "reachable again") })
}

func TestRunReloadsWhenTheEngineLostItsData(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}))
	a.waitReady(t)
	before := es.aliasTargets(t)

	// A node restarted without its volume: every version, and with them
	// the alias, gone from the real node.
	esnode.DeleteIndices(t, es.nodeURL, es.alias+"-*")
	if got := es.aliasTargets(t); len(got) != 0 {
		t.Fatalf("alias %v after deleting its indices", got)
	}
	if st, _ := a.search(t, "q=tacos"); st != 503 {
		t.Errorf("search right after the data vanished: %d, want 503", st)
	}
	a.waitFor(t, "the alias to come back", func() bool { return len(es.aliasTargets(t)) == 1 })
	a.waitReady(t)
	if after := es.aliasTargets(t); after[0] == before[0] {
		t.Errorf("alias %v: want a freshly loaded version", after)
	}
}

func preload(t *testing.T, es *appEngine, permits []foodtrucks.Permit) string {
	t.Helper()
	c, err := search.New(search.Options{URL: es.nodeURL, Alias: es.alias})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Load(context.Background(), nil, permits)
	if err != nil {
		t.Fatal(err)
	}
	return res.Index
}

var preloaded = []foodtrucks.Permit{{ID: "p1", Applicant: "Preloaded Pies", FacilityType: "Truck", Status: "APPROVED",
	FoodItems: []string{"pies"}, Address: "1 PIE ST", Location: &foodtrucks.Location{Lat: 37.78, Lon: -122.41}}}

func TestRunServesAnExistingAliasWithoutReloading(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	index := preload(t, es, preloaded)

	// The data source does not exist: a reload would fail loudly.
	a := startApp(t, es.env(map[string]string{"DATA_URL": "testdata/does-not-exist.json"}))
	a.waitReady(t)
	if st, res := a.search(t, "q=pies"); st != 200 || res.Hits != 1 {
		t.Fatalf("existing alias: %d %+v", st, res)
	}
	// Readiness only needs the alias; the refresher decides in its own time
	// whether a load is due, so wait for its word before judging it.
	a.waitFor(t, "the decision not to reload to be logged", func() bool {
		return strings.Contains(a.log.String(), "serving it without reloading")
	})
	for _, r := range es.Requests() {
		if r.Method == "PUT" || strings.HasSuffix(r.Path, "/_bulk") {
			t.Errorf("the app wrote to Elasticsearch (%s %s) although the alias existed", r.Method, r.Path)
		}
	}
	if got := es.aliasTargets(t); len(got) != 1 || got[0] != index {
		t.Errorf("alias %v, want untouched %s", got, index)
	}
}

func TestRunReloadFlagLoadsEvenWithAnAlias(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	index := preload(t, es, preloaded)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}), "-reload")
	a.waitFor(t, "the alias to move", func() bool {
		got := es.aliasTargets(t)
		return len(got) == 1 && got[0] != index
	})
	if st, res := a.search(t, "q=pies"); st != 200 || res.Hits != 0 {
		t.Errorf("after -reload the old data is gone: %d %+v", st, res)
	}
}

func TestRunKeepsTheOldDataWhenALoadFailsHalfWay(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	index := preload(t, es, preloaded)
	es.Inject(esfault.RejectBulkItemsAfter(2))
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}), "-reload")
	a.waitFor(t, "the failed load", func() bool { return strings.Contains(a.log.String(), "load failed") })

	if got := es.aliasTargets(t); len(got) != 1 || got[0] != index {
		t.Errorf("alias %v after a failed load, want the old %s", got, index)
	}
	if st, res := a.search(t, "q=pies"); st != 200 || res.Hits != 1 {
		t.Errorf("old data must still answer: %d %+v", st, res)
	}
	_, stats := a.get(t, "/api/stats")
	if msg, _ := stats["last_error"].(string); !strings.Contains(msg, "rejected") {
		t.Errorf("stats should show the failure: %v", stats)
	}

	es.Clear() // the engine recovers: the retry goes through
	a.waitFor(t, "a successful retry", func() bool {
		got := es.aliasTargets(t)
		return len(got) == 1 && got[0] != index
	})
}

func TestRunDrainsInFlightRequestsOnCancel(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}))
	a.waitReady(t)
	es.Inject(esfault.Fault{Path: "/_search", Delay: 700 * time.Millisecond})

	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(a.base + "/search?q=tacos")
		if err != nil {
			got <- result{err: err}
			return
		}
		resp.Body.Close()
		got <- result{status: resp.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond) // the search is now waiting on the engine
	start := time.Now()
	if err := a.stop(); err != nil {
		t.Fatalf("run after cancel: %v, want nil (exit 0)", err)
	}
	r := <-got
	if r.err != nil || r.status != 200 {
		t.Errorf("the in-flight search: %d %v, want 200 despite the shutdown", r.status, r.err)
	}
	if time.Since(start) > shutdownGrace {
		t.Errorf("shutdown took %s", time.Since(start))
	}
	if _, err := http.Get(a.base + "/healthz"); err == nil {
		t.Error("the server still answers after run returned")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	env := map[string]string{
		"PORT":             "99999",
		"ES_URL":           "es:9200",
		"REFRESH_INTERVAL": "daily",
		"INDEX":            "SFData",
		"LOG_LEVEL":        "loud",
		"ES_USERNAME":      "elastic",
	}
	err := run(context.Background(), []string{"foodtrucks"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("bad configuration was accepted")
	}
	for _, name := range []string{"PORT", "ES_URL", "REFRESH_INTERVAL", "INDEX", "LOG_LEVEL", "ES_USERNAME"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
}

func TestCommands(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("version", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"foodtrucks", "version"}, env(nil), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), version) || !strings.Contains(out.String(), revision) {
			t.Errorf("version output %q", out.String())
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		err := run(context.Background(), []string{"foodtrucks", "serv"}, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("typo in the command: %v", err)
		}
	})
	t.Run("healthcheck", func(t *testing.T) {
		es := startEngine(t)
		a := startApp(t, es.env(map[string]string{"DATA_URL": smallData}))
		port := strings.TrimPrefix(a.base, "http://127.0.0.1:")
		var out bytes.Buffer
		if err := run(context.Background(), []string{"foodtrucks", "healthcheck"}, env(map[string]string{"PORT": port}), &out, io.Discard); err != nil {
			t.Errorf("healthcheck against a live server: %v", err)
		}
		closed := strconv.Itoa(freePort(t))
		if err := run(context.Background(), []string{"foodtrucks", "healthcheck"}, env(map[string]string{"PORT": closed}), io.Discard, io.Discard); err == nil {
			t.Error("healthcheck against a closed port must fail")
		}
	})
	t.Run("data inspect", func(t *testing.T) {
		for _, name := range []string{"sf-mobile-food-permits.json", "sf-mobile-food-permits.sample.csv"} {
			var out bytes.Buffer
			if err := run(context.Background(), []string{"foodtrucks", "data", "inspect", repo.SampleData(t, name)}, env(nil), &out, io.Discard); err != nil {
				t.Fatalf("inspect %s: %v", name, err)
			}
			if !strings.Contains(strings.ToLower(out.String()), "rows") {
				t.Errorf("inspect %s printed %q", name, out.String())
			}
			t.Logf("data inspect %s:\n%s", name, out.String())
		}
		if err := run(context.Background(), []string{"foodtrucks", "data", "inspect", "testdata/does-not-exist.json"}, env(nil), io.Discard, io.Discard); err == nil {
			t.Error("inspecting a missing file must fail")
		}
	})
}

func TestRunReloadsOnTheRefreshInterval(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData, "REFRESH_INTERVAL": "1s"}))
	a.waitReady(t)
	first := es.aliasTargets(t)
	a.waitFor(t, "a refresh to swap in a new version", func() bool {
		got := es.aliasTargets(t)
		return len(got) == 1 && got[0] != first[0]
	})
	a.waitFor(t, "the old version to be deleted", func() bool { return len(es.versions(t)) == 1 })
	if st, res := a.search(t, "q=tacos"); st != 200 || res.Hits == 0 {
		t.Errorf("search after a refresh: %d %+v", st, res)
	}
}
