package main

import (
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

func pieTruck(name string) []foodtrucks.Permit {
	return []foodtrucks.Permit{{ID: "p-" + name, Applicant: name, FacilityType: "Truck", Status: "APPROVED",
		FoodItems: []string{"pies"}, Address: "1 PIE ST", Location: &foodtrucks.Location{Lat: 37.78, Lon: -122.41}}}
}

// searchesSent counts the searches that reached the engine.
func searchesSent(es *appEngine) int {
	n := 0
	for _, r := range es.Requests() {
		if strings.HasSuffix(r.Path, "/_search") {
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
	before := searchesSent(es)
	want("repeated search", "First Pies")
	if sent := searchesSent(es) - before; sent != 0 {
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
