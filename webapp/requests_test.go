package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
)

// describe lists requests as "METHOD path" lines, for the log.
func describe(reqs []esfault.Request) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "\n  %s %s", r.Method, r.Path)
		if r.Query != "" {
			b.WriteString("?" + r.Query)
		}
	}
	return b.String()
}

// What the app asks of Elasticsearch, counted at the proxy in front of the
// real node: a start with its first load, and a search that misses the
// cache. The bounds are today's counts, so a change that adds requests to
// either path shows here.
const maxStartRequests, maxMissRequests = 15, 3

func TestRunRequestsOfALoadAndASearchMiss(t *testing.T) {
	t.Parallel()
	es := startEngine(t)
	a := startApp(t, es.env(map[string]string{"DATA_URL": smallData, "ALIAS_CHECK_INTERVAL": "1h"}))
	a.waitFor(t, "the first load", func() bool { return a.log.count("data loaded; alias swapped") == 1 })
	start := es.Requests()
	t.Logf("start and first load: %d requests%s", len(start), describe(start))
	if len(start) > maxStartRequests {
		t.Errorf("start and first load sent %d requests, want at most %d", len(start), maxStartRequests)
	}

	for _, q := range []string{"q=tacos", "q=burrito"} {
		es.ResetRequests()
		if st, _ := a.search(t, q); st != 200 {
			t.Fatalf("/search?%s: %d", q, st)
		}
		miss := es.Requests()
		t.Logf("/search?%s (a cache miss): %d requests%s", q, len(miss), describe(miss))
		if len(miss) > maxMissRequests {
			t.Errorf("/search?%s sent %d requests, want at most %d", q, len(miss), maxMissRequests)
		}
	}
}
