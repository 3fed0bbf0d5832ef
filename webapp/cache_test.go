package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
)

func pieTruck(name string) []foodtrucks.Permit {
	return []foodtrucks.Permit{{ID: "p-" + name, Applicant: name, FacilityType: "Truck", Status: "APPROVED",
		FoodItems: []string{"pies"}, Address: "1 PIE ST", Location: &foodtrucks.Location{Lat: 37.78, Lon: -122.41}}}
}

// searchesTo counts the requests that reached the engine at a path ending
// in suffix: "/_search" for every search and read of documents,
// "/<alias>/_search" for the searches sent to the alias only.
func searchesTo(es *appEngine, suffix string) int {
	n := 0
	for _, r := range es.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// On the real node: a repeated search is answered from the cache without a
// search at the engine, and the moment another replica swaps the alias to a
// new version, the next search answers from the new data, with no wait:
// every lookup reads the version the alias points to first.
func TestRunCacheNeverServesAnswersOlderThanTheAlias(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	preload(t, es, pieTruck("First Pies"))
	a := startApp(t, es.env(map[string]string{"DATA_URL": "testdata/does-not-exist.json"}))
	a.waitReady(t)

	want := func(what, name string) {
		t.Helper()
		st, res := a.search(t, "q=pies")
		if st != 200 || len(res.Trucks) != 1 || res.Trucks[0].Name != name {
			t.Fatalf("%s: %d %+v, want only %s", what, st, res.Trucks, name)
		}
	}
	want("first search", "First Pies")
	before := searchesTo(es, "/_search")
	want("repeated search", "First Pies")
	if sent := searchesTo(es, "/_search") - before; sent != 0 {
		t.Errorf("the repeated search sent %d searches to the engine, want 0 (a cache hit)", sent)
	}

	// Another replica loads new data and swaps the alias.
	preload(t, es, pieTruck("Second Pies"))
	want("search right after another replica's swap", "Second Pies")
	want("repeated search of the new version", "Second Pies")

	_, body := a.get(t, "/api/stats")
	cache, _ := body["cache"].(map[string]any)
	if cache == nil || cache["hits"].(float64) < 2 || cache["purges"].(float64) < 1 {
		t.Errorf("stats cache %v, want at least 2 hits and 1 purge", body["cache"])
	}
	// Both versions answered a search: both copies are held, the served
	// one last, with its one permit.
	copies, _ := body["document_copies"].(map[string]any)
	held, _ := copies["held"].([]any)
	if len(held) != 2 || held[1].(map[string]any)["index"] != body["index"] || held[1].(map[string]any)["permits"].(float64) != 1 || copies["reads"].(float64) != 2 {
		t.Errorf("stats document_copies %v, want two held, the served index %v last with 1 permit, 2 reads", body["document_copies"], body["index"])
	}
}

// searchAll sends n identical searches at once and returns their statuses
// and the names of the trucks each got.
func searchAll(a *runningApp, query string, n int) ([]int, [][]string) {
	statuses, names := make([]int, n), make([][]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := http.Get(a.base + "/search?" + query)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var res foodtrucks.SearchResult
			_ = json.NewDecoder(resp.Body).Decode(&res)
			statuses[i] = resp.StatusCode
			for _, tr := range res.Trucks {
				names[i] = append(names[i], tr.Name)
			}
		})
	}
	wg.Wait()
	return statuses, names
}

// On the real node, with the search at the engine slowed so that they
// overlap: 8 identical searches that all miss the cache send one search to
// the engine and all get its answer. When that search fails (503, twice:
// the client retries once), all 8 share the failure, a 503 with
// Retry-After, instead of sending 8 searches more to an engine in trouble.
func TestRunConcurrentMissesShareOneSearch(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	preload(t, es, pieTruck("Shared Pies"))
	a := startApp(t, es.env(map[string]string{"DATA_URL": "testdata/does-not-exist.json"}))
	a.waitReady(t)
	searchPath := "/" + es.alias + "/_search"

	es.Inject(esfault.Fault{Method: http.MethodPost, Path: searchPath, Delay: 700 * time.Millisecond})
	before := searchesTo(es, searchPath)
	statuses, names := searchAll(a, "q=pies", 8)
	es.Clear()
	for i := range statuses {
		if statuses[i] != http.StatusOK || len(names[i]) != 1 || names[i][0] != "Shared Pies" {
			t.Errorf("request %d: %d %v, want 200 with Shared Pies", i, statuses[i], names[i])
		}
	}
	if sent := searchesTo(es, searchPath) - before; sent != 1 {
		t.Errorf("8 identical searches sent %d searches to the engine, want 1", sent)
	}

	es.Inject(esfault.Fault{Method: http.MethodPost, Path: searchPath, Times: 2, Delay: 700 * time.Millisecond, Answer: esfault.Unavailable("1")})
	before = searchesTo(es, searchPath)
	statuses, _ = searchAll(a, "q=shared+pies", 8)
	es.Clear()
	for i, st := range statuses {
		if st != http.StatusServiceUnavailable {
			t.Errorf("request %d with the shared search failing: %d, want 503", i, st)
		}
	}
	if sent := searchesTo(es, searchPath) - before; sent != 2 {
		t.Errorf("8 identical failing searches sent %d searches to the engine, want 2 (one and its retry)", sent)
	}
	_, body := a.get(t, "/api/stats")
	cache, _ := body["cache"].(map[string]any)
	if cache == nil || cache["shared"].(float64) != 14 {
		t.Errorf("stats cache %v, want shared 14 (the 7 waiters of each burst)", body["cache"])
	}
}
