package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

const replicaCount = 3

// referenceLocations is what one server alone answers for query: the
// sample loaded once into an alias of its own, searched directly.
func referenceLocations(t *testing.T, esURL, data, query string) int {
	t.Helper()
	alias := uniqueAlias("ft-ref")
	t.Cleanup(func() { esnode.DeleteIndices(t, esURL, alias+"*") })
	c, err := search.New(search.Options{URL: esURL, Alias: alias})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := permits.Fetch(context.Background(), http.DefaultClient, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(context.Background(), nil, rows); err != nil {
		t.Fatal(err)
	}
	v, _ := url.ParseQuery(query)
	q, err := httpapi.ParseSearchParams(v)
	if err != nil {
		t.Fatal(err)
	}
	// A busy machine can push one search past its 2 s bound; that is a 503,
	// not an answer, so ask again.
	for try := 1; ; try++ {
		res, err := c.Search(context.Background(), q)
		if err == nil {
			return res.Locations
		}
		if try == 5 || !errors.Is(err, search.ErrUnavailable) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func startReplicas(t *testing.T, env map[string]string) []*replica {
	t.Helper()
	reps := make([]*replica, replicaCount)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range reps {
		wg.Add(1)
		go func() { // together, as ECS starts a service's tasks
			defer wg.Done()
			r := startReplica(t, "replica "+string(rune('A'+i)), env)
			mu.Lock()
			reps[i] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return reps
}

func totalLoads(reps []*replica) int {
	n := 0
	for _, r := range reps {
		n += r.log.count("data loaded; alias swapped")
	}
	return n
}

// answer is the locations a replica finds for query. A 503 (a search past
// its 2 s bound on a busy machine) is asked again, up to 5 times, and
// counted in unavailable; it is not a wrong answer.
func answer(t *testing.T, r *replica, query string, unavailable *int) int {
	t.Helper()
	for try := 1; ; try++ {
		got := r.locations(t, query)
		if got >= 0 || try == 5 {
			return got
		}
		*unavailable++
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAnswers asks every replica the query and wants the one-server count.
func checkAnswers(t *testing.T, reps []*replica, query string, want int) {
	t.Helper()
	unavailable := 0
	for _, r := range reps {
		if got := answer(t, r, query, &unavailable); got != want {
			t.Errorf("%s: /search?%s found %d locations, want %d as one server alone finds", r.name, query, got, want)
		}
	}
	if unavailable > 0 {
		t.Logf("%d searches answered 503 and were asked again", unavailable)
	}
}

func checkWatch(t *testing.T, w *aliasWatch, what string) {
	t.Helper()
	max, seen, samples := w.result()
	sort.Strings(seen)
	t.Logf("%s: alias sampled %d times, at most %d index(es) behind it", what, samples, max)
	if max > 1 {
		t.Errorf("%s: the alias pointed at %d indices at once (%v), want at most 1", what, max, seen)
	}
}

// Three servers started together against a node without the alias (the
// first deploy of a 3-task service), then the node losing the data under
// them: each occasion must bring one load cluster-wide, the alias must
// never point at more than one index, and every server must answer what
// one server alone answers.
func TestReplicasLoadOnceAndAgree(t *testing.T) {
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	const query = "q=tacos"
	want := referenceLocations(t, node.URL, data, query)
	alias := uniqueAlias("ft-replicas")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	watch := watchAlias(t, node.URL, alias)

	began := time.Now()
	reps := startReplicas(t, map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": data})
	for _, r := range reps {
		r.waitStatus(t, "/readyz", http.StatusOK, 2*time.Minute)
	}
	t.Logf("cold start of %d servers: all ready after %s", replicaCount, time.Since(began).Round(time.Millisecond))
	// Let the others' next checks pass: they must not load again.
	time.Sleep(1 * time.Second)
	checkAnswers(t, reps, query, want)
	if n := totalLoads(reps); n != 1 {
		t.Errorf("cold start: %d loads by %d servers, want 1", n, replicaCount)
	}
	checkWatch(t, watch, "cold start")

	t.Run("the node loses the data under them", func(t *testing.T) {
		before := totalLoads(reps)
		targets, err := esAliasTargets(t, node.URL, alias)
		if err != nil || len(targets) != 1 {
			t.Fatalf("alias targets %v (%v), want one", targets, err)
		}
		// What a node restarted without its volume looks like to the app:
		// no versions, no alias, no lease index.
		esnode.DeleteIndices(t, node.URL, alias+"*")
		lost := time.Now()
		for _, r := range reps {
			r.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
		}
		t.Logf("lost alias: all ready again after %s", time.Since(lost).Round(time.Millisecond))
		time.Sleep(1 * time.Second)
		checkAnswers(t, reps, query, want)
		if n := totalLoads(reps) - before; n != 1 {
			t.Errorf("lost alias: %d loads by %d servers, want 1", n, replicaCount)
		}
		checkWatch(t, watch, "cold start and lost alias")
	})
}

// Three servers with a short REFRESH_INTERVAL: the interval is measured on
// the served version's age, so the cluster reloads about once per
// interval, not once per server and interval.
func TestReplicasRefreshOncePerInterval(t *testing.T) {
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	const query = "q=tacos"
	want := referenceLocations(t, node.URL, data, query)
	alias := uniqueAlias("ft-refresh")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	watch := watchAlias(t, node.URL, alias)

	const interval = 2 * time.Second
	reps := startReplicas(t, map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": data,
		"REFRESH_INTERVAL": interval.String()})
	for _, r := range reps {
		r.waitStatus(t, "/readyz", http.StatusOK, 2*time.Minute)
	}
	began := time.Now()
	deadline := began.Add(5 * interval)
	answers, unavailable := 0, 0
	for time.Now().Before(deadline) {
		for _, r := range reps {
			got := answer(t, r, query, &unavailable)
			answers++
			if got != want {
				t.Errorf("%s during refreshes: %d locations, want %d", r.name, got, want)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(began)
	loads := totalLoads(reps)
	// The first load, then one per interval; a refresh that starts just
	// before the end may add one.
	maxLoads := 1 + int(elapsed/interval) + 1
	t.Logf("refresh every %s for %s with %d servers: %d loads (at most %d allowed), %d answers checked (%d 503s asked again)",
		interval, elapsed.Round(time.Millisecond), replicaCount, loads, maxLoads, answers, unavailable)
	if loads > maxLoads {
		t.Errorf("%d loads in %s with REFRESH_INTERVAL=%s, want at most %d (one per interval, not one per server)", loads, elapsed.Round(time.Millisecond), interval, maxLoads)
	}
	if loads < 3 {
		t.Errorf("only %d loads in %s with REFRESH_INTERVAL=%s: the refresh does not run", loads, elapsed.Round(time.Millisecond), interval)
	}
	checkWatch(t, watch, "refreshes")
}

// A server killed (SIGKILL) in the middle of a load, holding the load lease,
// must not hold the other servers' load up for long: the lease covers only
// the writes of a load, so it is short (refresh.LeaseTTL), and the next
// server loads once it has expired.
func TestReplicaKilledMidLoadDelaysTheNextLoadBriefly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	alias := uniqueAlias("ft-killed")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
	// The victim's bulk request never gets an answer: it is killed while it
	// holds the lease, its version half made.
	proxy := esfault.Start(t, node.URL)
	proxy.Inject(esfault.Fault{Method: http.MethodPost, Path: "/_bulk", Hang: true})
	t.Cleanup(proxy.Clear)
	victim := startServerProcess(t, map[string]string{"ES_URL": proxy.URL, "INDEX": alias, "DATA_URL": data}, nil)
	waitUntil(t, time.Minute, "the victim's bulk request", func() bool {
		for _, r := range proxy.Requests() {
			if strings.HasSuffix(r.Path, "/_bulk") {
				return true
			}
		}
		return false
	})
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	killed := time.Now()

	survivor := startReplica(t, "survivor", map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": data})
	survivor.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
	delay := time.Since(killed)
	t.Logf("a server killed mid-load: the next server's load served %s after the kill", delay.Round(time.Millisecond))
	if delay > 30*time.Second {
		t.Errorf("the next load was served %s after the kill, want at most 30 s", delay.Round(time.Millisecond))
	}
	if targets, err := esAliasTargets(t, node.URL, alias); err != nil || len(targets) != 1 {
		t.Errorf("alias after the survivor's load: %v (%v), want one index", targets, err)
	}
}
