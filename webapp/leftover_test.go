package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/repotest"
)

// A version left behind by a load that was cut off (an engine crash
// mid-load) is deleted when a server starts, however young it is; the
// served version stays and is not reloaded.
func TestLeftoverVersionIsDeletedAtStart(t *testing.T) {
	node := esnode.Shared(t)
	data := repotest.SampleData(t, "sf-mobile-food-permits.json")
	alias := uniqueAlias("ft-leftover")
	t.Cleanup(func() { deleteAliasIndices(t, node.URL, alias) })
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
	if status, body := esDo(t, http.MethodPut, node.URL+"/"+leftover, ""); status != http.StatusOK {
		t.Fatalf("create %s: %d %s", leftover, status, body)
	}

	second := startReplica(t, "second", env)
	second.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := esDo(t, http.MethodHead, node.URL+"/"+leftover, "")
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
