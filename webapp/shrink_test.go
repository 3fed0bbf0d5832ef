package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

type shrinkStats struct {
	Index        string
	Documents    int64
	LastError    string `json:"last_error"`
	Loads        int
	RefusedLoads int `json:"refused_loads"`
}

func (r *replica) shrinkStats(t *testing.T) shrinkStats {
	t.Helper()
	status, body, _ := r.get("/api/stats")
	var st shrinkStats
	if status != http.StatusOK || json.Unmarshal(body, &st) != nil {
		t.Fatalf("%s: /api/stats %d %s", r.name, status, body)
	}
	return st
}

func (r *replica) waitStats(t *testing.T, what string, cond func(shrinkStats) bool) shrinkStats {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		status, body, _ := r.get("/api/stats")
		var st shrinkStats
		if status == http.StatusOK && json.Unmarshal(body, &st) == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out waiting for %s; stats %+v\nlog:\n%s", r.name, what, r.shrinkStats(t), r.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The shrink guard: a source that suddenly yields 7 permits instead of 487
// (a broken export, a filter gone wrong) must not replace the data, and
// must say so; `serve -reload` and LOAD_ALLOW_SHRINK=1 let it through.
func TestShrinkGuard(t *testing.T) {
	node := esnode.Shared(t)
	full := repo.SampleData(t, "sf-mobile-food-permits.json")
	raw, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "seven.json")
	few, _ := json.Marshal(rows[:7])
	if err := os.WriteFile(small, few, 0o644); err != nil {
		t.Fatal(err)
	}
	alias := uniqueAlias("ft-shrink")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	env := func(data string, extra ...string) map[string]string {
		m := map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": data}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	load := func(name, data string, args ...string) {
		r := startReplica(t, name, env(data), args...)
		r.waitStats(t, "its load", func(st shrinkStats) bool { return st.Loads == 1 })
		if err := r.stop(); err != nil {
			t.Fatal(err)
		}
	}

	load("full load", full)

	guarded := startReplica(t, "guarded refresh", env(small, "REFRESH_INTERVAL", "1s"))
	st := guarded.waitStats(t, "a refused load", func(st shrinkStats) bool { return st.RefusedLoads >= 1 })
	t.Logf("7-row source against 487 served: %+v", st)
	if st.Documents != 487 || st.Loads != 0 || !strings.Contains(st.LastError, "refused to replace the 487 permits now served with only 7") {
		t.Errorf("after the refused load: %+v, want 487 documents still served and the refusal in last_error", st)
	}
	// The refusal is logged right after it is counted.
	waitUntil(t, 5*time.Second, "the refusal in the log", func() bool {
		return strings.Contains(guarded.log.String(), "refused to replace")
	})
	if n := guarded.locations(t, "q=tacos"); n <= 0 {
		t.Errorf("searches after the refusal found %d locations", n)
	}
	if err := guarded.stop(); err != nil {
		t.Fatal(err)
	}

	t.Run("serve -reload forces it", func(t *testing.T) {
		r := startReplica(t, "forced", env(small), "-reload")
		st := r.waitStats(t, "the forced load", func(st shrinkStats) bool { return st.Loads == 1 })
		if st.Documents != 7 {
			t.Errorf("after serve -reload with 7 rows: %+v, want 7 documents", st)
		}
		if err := r.stop(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("LOAD_ALLOW_SHRINK=1 allows it", func(t *testing.T) {
		load("full load again", full, "-reload")
		r := startReplica(t, "allowed", env(small, "REFRESH_INTERVAL", "1s", "LOAD_ALLOW_SHRINK", "1"))
		st := r.waitStats(t, "the allowed load", func(st shrinkStats) bool { return st.Loads == 1 })
		if st.Documents != 7 || st.RefusedLoads != 0 {
			t.Errorf("with LOAD_ALLOW_SHRINK=1: %+v, want 7 documents and no refusal", st)
		}
	})
}
