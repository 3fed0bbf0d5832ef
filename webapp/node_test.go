package main

// The whole server (run) against a real Elasticsearch 8: the test binary's
// node from package esnode, or the server named by ESNODE_URL (make e2e sets
// it). Run alone with
//
//	go test ./webapp/ -run RealNode -v
//
// Without java or the node's jars it skips loudly (make esnode builds them);
// with ESNODE_REQUIRED=1, as in CI, it fails instead.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

func TestServerAgainstRealNode(t *testing.T) {
	// The binary's shared node: this test runs before the parallel tests
	// resume, so stopping and restarting it below disturbs no other test.
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	alias := "ft-app-" + strconv.FormatInt(time.Now().UnixMilli(), 36)
	port := strconv.Itoa(freePort(t))
	env := map[string]string{
		"ES_URL":               node.URL,
		"PORT":                 port,
		"INDEX":                alias,
		"DATA_URL":             data,
		"REFRESH_INTERVAL":     "0",
		"ALIAS_CHECK_INTERVAL": "200ms",
		"ES_WAIT":              "30s",
		"LOG_LEVEL":            "info",
	}
	logs := &lockedLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := time.Now()
	go func() { done <- run(ctx, []string{"foodtrucks"}, func(k string) string { return env[k] }, logs, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v after cancel, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not return within 15s of cancel")
		}
		esnode.DeleteIndices(t, node.URL, alias+"-*")
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	app := &nodeApp{t: t, base: "http://127.0.0.1:" + port}

	app.waitFor("/readyz", http.StatusOK, 2*time.Minute)
	t.Logf("ready (sample loaded) %s after start", time.Since(started).Round(time.Millisecond))

	burrito := app.search("/search?q=burito")
	if burrito.Hits == 0 || burrito.Status != "success" {
		t.Fatalf(`/search?q=burito: %+v, want burrito trucks`, burrito)
	}
	geo := app.search("/search?lat=37.788&lon=-122.4075&radius=1km")
	if geo.Locations == 0 {
		t.Fatal("geo search around Union Square found nothing")
	}
	for _, tr := range geo.Trucks {
		for _, b := range tr.Branches {
			if b.DistanceMeters == nil || *b.DistanceMeters > 1000 {
				t.Errorf("%s at %s: distance %v, want at most 1000 m", tr.Name, b.Address, b.DistanceMeters)
			}
		}
	}
	before := app.stats()
	if before.Documents != 487 || before.Index == "" {
		t.Fatalf("stats after the first load: %+v, want 487 documents of the sample", before)
	}

	if !node.Owned() {
		t.Log("Elasticsearch given by URL: the restart flow needs a node this test owns; skipped")
		return
	}

	t.Run("the node stops and starts again on the same data while the app runs", func(t *testing.T) {
		app := &nodeApp{t: t, base: app.base}
		began := time.Now()
		if err := node.Stop(); err != nil {
			t.Fatalf("stop node: %v", err)
		}
		app.waitFor("/readyz", http.StatusServiceUnavailable, 30*time.Second)
		t.Logf("readyz red %s after the node stopped", time.Since(began).Round(time.Millisecond))
		status, body := app.get("/search?q=burito")
		var failure struct{ Status, Msg string }
		if err := json.Unmarshal(body, &failure); err != nil || status != http.StatusServiceUnavailable || failure.Status != "failure" || failure.Msg == "" {
			t.Errorf("/search with the node down: HTTP %d %s, want 503 with a failure message", status, body)
		}
		if status, body := app.get("/healthz"); status != http.StatusOK {
			t.Errorf("/healthz with the node down: HTTP %d %s; liveness must not depend on Elasticsearch", status, body)
		}

		restarted := time.Now()
		if err := node.Restart(context.Background()); err != nil {
			t.Fatalf("start node again: %v", err)
		}
		t.Logf("node back in %s", node.StartupTime.Round(time.Millisecond))
		app.waitFor("/readyz", http.StatusOK, time.Minute)
		// Ready means the alias exists; the shard may still be recovering.
		app.waitFor("/search?q=burito", http.StatusOK, time.Minute)
		t.Logf("readyz and /search green %s after the node restarted", time.Since(restarted).Round(time.Millisecond))

		after := app.search("/search?q=burito")
		if after.Hits != burrito.Hits || after.Locations != burrito.Locations {
			t.Errorf("after the restart: %d trucks/%d branches, before %d/%d", after.Hits, after.Locations, burrito.Hits, burrito.Locations)
		}
		st := app.stats()
		// The same index means the data survived on disk: a reload would
		// have made a new version.
		if st.Index != before.Index || st.Documents != before.Documents {
			t.Errorf("stats after the restart: %s with %d documents, before %s with %d", st.Index, st.Documents, before.Index, before.Documents)
		}
		if n := strings.Count(logs.String(), `"msg":"data loaded; alias swapped"`); n != 1 {
			t.Errorf("the server loaded the data %d times, want once (the restart must not trigger a reload)", n)
		}
	})
}

// nodeApp is the running server as a client sees it.
type nodeApp struct {
	t    *testing.T
	base string
}

func (a *nodeApp) get(path string) (int, []byte) {
	a.t.Helper()
	res, err := http.Get(a.base + path)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res.StatusCode, b
}

// waitFor polls path until it answers with status.
func (a *nodeApp) waitFor(path string, status int, within time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		res, err := http.Get(a.base + path)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == status {
				return
			}
			last = strconv.Itoa(res.StatusCode) + " " + string(b)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("GET %s did not answer %d within %s; last: %s", path, status, within, last)
}

func (a *nodeApp) search(path string) foodtrucks.SearchResult {
	a.t.Helper()
	status, body := a.get(path)
	if status != http.StatusOK {
		a.t.Fatalf("GET %s: HTTP %d %s", path, status, body)
	}
	var r foodtrucks.SearchResult
	if err := json.Unmarshal(body, &r); err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

type nodeStats struct {
	Index     string `json:"index"`
	Documents int64  `json:"documents"`
}

func (a *nodeApp) stats() nodeStats {
	a.t.Helper()
	status, body := a.get("/api/stats")
	if status != http.StatusOK {
		a.t.Fatalf("GET /api/stats: HTTP %d %s", status, body)
	}
	var st nodeStats
	if err := json.Unmarshal(body, &st); err != nil {
		a.t.Fatal(err)
	}
	return st
}
