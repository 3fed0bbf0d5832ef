package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// A version left behind by a load that was cut off (an engine crash
// mid-load) is deleted when a server starts, however young it is; the
// served version stays and is not reloaded.
func TestLeftoverVersionIsDeletedAtStart(t *testing.T) {
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	alias := uniqueAlias("ft-leftover")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	env := map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": data}

	first := startReplica(t, "first", env)
	first.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	served, err := esAliasTargets(t, node.URL, alias)
	if err != nil || len(served) != 1 {
		t.Fatalf("alias after the first load: %v (%v)", served, err)
	}
	leftover := alias + "-" + strings.ToLower(time.Now().UTC().Format("20060102t150405.000z"))
	if status, body := esnode.Do(t, http.MethodPut, node.URL+"/"+leftover, ""); status != http.StatusOK {
		t.Fatalf("create %s: %d %s", leftover, status, body)
	}

	second := startReplica(t, "second", env)
	second.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := esnode.Do(t, http.MethodHead, node.URL+"/"+leftover, "")
		if status == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leftover %s is still there 10s after a start\n%s", leftover, second.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if now, _ := esAliasTargets(t, node.URL, alias); len(now) != 1 || now[0] != served[0] {
		t.Errorf("alias after the start: %v, want the served %v", now, served)
	}
	if n := second.log.count("data loaded; alias swapped"); n != 0 {
		t.Errorf("the second server loaded %d times, want 0 (the alias was there)", n)
	}
}

// An operator closed the index behind the alias: /readyz and /api/stats
// say so and what to do (before, /readyz said ready and searches got 502),
// searches answer 503, and the server neither loads over it nor forgets
// it once the index is open again.
func TestClosedIndexIsReportedWithWhatToDo(t *testing.T) {
	node := esnode.Shared(t)
	alias := uniqueAlias("ft-closed")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	r := startReplica(t, "server", map[string]string{"ES_URL": node.URL, "INDEX": alias,
		"DATA_URL": repo.SampleData(t, "sf-mobile-food-permits.json")})
	r.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
	served, err := esAliasTargets(t, node.URL, alias)
	if err != nil || len(served) != 1 {
		t.Fatalf("alias: %v (%v)", served, err)
	}
	if status, body := esnode.Do(t, http.MethodPost, node.URL+"/"+served[0]+"/_close", ""); status != http.StatusOK {
		t.Fatalf("close: %d %s", status, body)
	}
	r.waitStatus(t, "/readyz", http.StatusServiceUnavailable, 10*time.Second)
	_, ready, _ := r.get("/readyz")
	_, stats, _ := r.get("/api/stats")
	status, _, header := r.get("/search?q=tacos")
	t.Logf("closed index: /readyz %s; /api/stats %s; /search %d", ready, stats, status)
	advice := "POST /" + served[0] + "/_open"
	if !strings.Contains(string(ready), advice) || !strings.Contains(string(stats), `"problem":`) || !strings.Contains(string(stats), advice) {
		t.Errorf("/readyz and /api/stats do not say %q", advice)
	}
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Errorf("/search on the closed index: %d, want 503 with Retry-After", status)
	}
	if status, body := esnode.Do(t, http.MethodPost, node.URL+"/"+served[0]+"/_open?wait_for_active_shards=1", ""); status != http.StatusOK {
		t.Fatalf("open: %d %s", status, body)
	}
	r.waitStatus(t, "/readyz", http.StatusOK, 30*time.Second)
	if n := r.log.count("data loaded; alias swapped"); n != 1 {
		t.Errorf("%d loads, want 1: the closed index must not be loaded over", n)
	}
}
