package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// The search benchmark (make bench-search): the real node with the city's
// sample data, the app as run() starts it, and a bounded load generator in
// a child process (so its CPU is not the app's). Each scenario drives the
// app's /search and then the node directly with the app's own search body
// (the ceiling: what the node does without the app in between), and prints
// req/s, p50/p99, the app's and the node's CPU time per request, and
// app/ceiling. README "Search benchmark" explains how to read it.
//
// BENCH_DURATION (default 10s) and BENCH_CONCURRENCY (default 50) bound each
// scenario; BENCH_SCENARIOS picks some by name (comma-separated).
const (
	envBench        = "FOODTRUCKS_BENCH"
	envLoadgenSpec  = "FOODTRUCKS_BENCH_LOADGEN"
	benchMixWords   = 1000 // the mix draws from (at most) this many of the data's most common food words
	benchZipfS      = 1.1  // Zipf exponent of the mix: a few words most of the time, a long tail
	benchWarmup     = 2    // seconds of unmeasured load before each scenario
	benchMaxSamples = 2e6  // latencies kept per run, a bound on memory
)

// loadSpec is what the child load generator runs.
type loadSpec struct {
	Targets     []loadTarget
	Zipf        bool // draw targets Zipf-distributed (else round-robin)
	Concurrency int
	Duration    time.Duration
	Seed        int64
}

// loadTarget is one request: GET URL, or POST Body to URL when Body is set.
type loadTarget struct {
	URL  string
	Body json.RawMessage `json:",omitempty"`
}

// loadResult is what the child reports.
type loadResult struct {
	Requests  int
	Errors    int // transport errors and non-200 answers
	Status503 int
	Elapsed   time.Duration
	P50, P99  time.Duration
}

// TestBenchSearchLoadgen is the child process: it runs only when the
// benchmark starts this test binary with a spec.
func TestBenchSearchLoadgen(t *testing.T) {
	spec := os.Getenv(envLoadgenSpec)
	if spec == "" {
		t.Skip("the search benchmark's load generator; runs as a child of TestBenchSearch")
	}
	raw, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var s loadSpec
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	res := generateLoad(s)
	out, _ := json.Marshal(res)
	if err := os.WriteFile(spec+".out", out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func generateLoad(s loadSpec) loadResult {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: s.Concurrency,
			MaxConnsPerHost:     s.Concurrency,
			DisableCompression:  true, // as wrk and curl without --compressed
		},
	}
	var (
		mu        sync.Mutex
		lat       []time.Duration
		res       loadResult
		wg        sync.WaitGroup
		deadline  = time.Now().Add(s.Duration)
		began     = time.Now()
		perWorker = int(benchMaxSamples) / max(1, s.Concurrency)
	)
	for w := range s.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(s.Seed + int64(w)))
			var z *rand.Zipf
			if s.Zipf && len(s.Targets) > 1 {
				z = rand.NewZipf(r, benchZipfS, 1, uint64(len(s.Targets)-1))
			}
			var mine []time.Duration
			n, errs, st503 := 0, 0, 0
			for i := w; time.Now().Before(deadline); i++ {
				tg := s.Targets[i%len(s.Targets)]
				if z != nil {
					tg = s.Targets[z.Uint64()]
				}
				var req *http.Request
				if tg.Body != nil {
					req, _ = http.NewRequest(http.MethodPost, tg.URL, bytes.NewReader(tg.Body))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequest(http.MethodGet, tg.URL, nil)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				n++
				switch {
				case err != nil:
					errs++
				case resp.StatusCode == http.StatusServiceUnavailable:
					errs++
					st503++
				case resp.StatusCode != http.StatusOK:
					errs++
				}
				if len(mine) < perWorker {
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Requests += n
			res.Errors += errs
			res.Status503 += st503
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(began)
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}

// benchScenario is one line pair of the table: the app and the ceiling.
type benchScenario struct {
	name  string
	words []string
	zipf  bool
}

func TestBenchSearch(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skip("the search benchmark; run it with make bench-search")
	}
	duration := 10 * time.Second
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("BENCH_DURATION: %v", err)
		}
		duration = d
	}
	conc := 50
	if v := os.Getenv("BENCH_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BENCH_CONCURRENCY %q: want a positive number", v)
		}
		conc = n
	}
	node := esnode.Shared(t)
	data := repo.SampleData(t, "sf-mobile-food-permits.json")
	words := foodWords(t, data, benchMixWords)

	alias := "bench-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"-*") })
	port := freePort(t)
	env := map[string]string{
		"PORT":             strconv.Itoa(port),
		"ES_URL":           node.URL,
		"INDEX":            alias,
		"DATA_URL":         data,
		"REFRESH_INTERVAL": "0",
	}
	for _, k := range []string{"SEARCH_CACHE_MB", "SEARCH_MAX_IN_FLIGHT", "SEARCH_QUEUE_WAIT", "LOG_LEVEL"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// The app logs each request at info, as deployed; the lines are
		// counted, not kept.
		done <- run(ctx, []string{"foodtrucks", "serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the app did not stop")
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitUntil(t, 60*time.Second, "the app ready with the sample data", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	origIndex := alias + "-original"
	loadOriginal(t, node.URL, origIndex, data)

	// The original app itself, when its source is at hand (never in the
	// repository): BENCH_ORIGINAL_APP is its flask-app folder, served by
	// gunicorn with 2 workers (BENCH_GUNICORN, default gunicorn on PATH)
	// from the index above, under the name it searches ("sfdata").
	var flask *flaskApp
	if dir := os.Getenv("BENCH_ORIGINAL_APP"); dir != "" {
		flask = startFlask(t, dir, node.URL, origIndex)
	}

	scenarios := []benchScenario{
		{name: "q=tacos", words: []string{"tacos"}},
		{name: "q=burrito", words: []string{"burrito"}},
		{name: "q=coffee", words: []string{"coffee"}},
		{name: fmt.Sprintf("mix (Zipf %d words)", len(words)), words: words, zipf: true},
	}
	if pick := os.Getenv("BENCH_SCENARIOS"); pick != "" {
		scenarios = slices.DeleteFunc(scenarios, func(s benchScenario) bool {
			for _, p := range strings.Split(pick, ",") {
				if strings.HasPrefix(s.name, strings.TrimSpace(p)) {
					return false
				}
			}
			return true
		})
	}
	pid := node.PID()
	fmt.Printf("\nsearch benchmark: c%d, %s per run (after %ds warm-up), %d permits, node pid %d, %d CPUs\n",
		conc, duration, benchWarmup, countPermits(t, data), pid, runtime.NumCPU())
	fmt.Printf("mix: the %d most common food words of the data, Zipf s=%.1f; top 5: %s\n",
		len(words), benchZipfS, strings.Join(words[:min(5, len(words))], ", "))
	fmt.Printf("%-22s %-8s %8s %9s %9s %7s %12s %13s %12s %11s\n",
		"scenario", "target", "req/s", "p50", "p99", "errors", "app CPU/req", "node CPU/req", "app/ceiling", "cache hits")
	// The ceiling asks what the app asks, as the app asks it.
	ceilingURL := node.URL + "/" + alias + "/_search"
	if len(search.SearchFilterPath) > 0 {
		ceilingURL += "?filter_path=" + strings.Join(search.SearchFilterPath, ",")
	}
	for _, sc := range scenarios {
		var appTargets, nodeTargets []loadTarget
		for _, w := range sc.words {
			appTargets = append(appTargets, loadTarget{URL: base + "/search?q=" + url.QueryEscape(w)})
			body, err := json.Marshal(search.Request(search.Query{Text: w}))
			if err != nil {
				t.Fatal(err)
			}
			nodeTargets = append(nodeTargets, loadTarget{URL: ceilingURL, Body: body})
		}
		var origTargets []loadTarget
		for _, w := range sc.words {
			body, _ := json.Marshal(originalQuery(w))
			origTargets = append(origTargets, loadTarget{URL: node.URL + "/" + origIndex + "/_search", Body: body})
		}
		type benchTarget struct {
			name    string
			targets []loadTarget
			cpu     func() time.Duration // the serving app's CPU time
		}
		runs := []benchTarget{{"app", appTargets, appCPU}, {"ceiling", nodeTargets, nil}, {"original", origTargets, nil}}
		if flask != nil {
			var flaskTargets []loadTarget
			for _, w := range sc.words {
				flaskTargets = append(flaskTargets, loadTarget{URL: flask.base + "/search?q=" + url.QueryEscape(w)})
			}
			runs = append(runs, benchTarget{"flask", flaskTargets, flask.cpu})
		}
		var appRate float64
		for _, target := range runs {
			spec := loadSpec{Targets: target.targets, Zipf: sc.zipf, Concurrency: conc, Seed: 1}
			spec.Duration = benchWarmup * time.Second
			runLoadgen(t, spec)
			cache0 := readCacheStats(base)
			cpuOf := target.cpu
			if cpuOf == nil {
				cpuOf = func() time.Duration { return 0 }
			}
			app0, node0 := cpuOf(), nodeCPU(pid)
			spec.Duration = duration
			stopProfile := profileApp(t, target.name, sc.name)
			r := runLoadgen(t, spec)
			stopProfile()
			appUsed, nodeUsed := cpuOf()-app0, nodeCPU(pid)-node0
			rate := float64(r.Requests) / r.Elapsed.Seconds()
			perReq := func(d time.Duration) string {
				if r.Requests == 0 || d < 0 {
					return "n/a"
				}
				return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)/float64(r.Requests))
			}
			appCol, ratio := perReq(appUsed), ""
			switch target.name {
			case "app":
				appRate = rate
			case "ceiling":
				appCol = "-"
				ratio = fmt.Sprintf("%.2f", appRate/rate)
			case "flask":
				ratio = fmt.Sprintf("ours %.2fx", appRate/rate)
			default:
				appCol = "-"
			}
			nodeCol := "n/a"
			if pid > 0 {
				nodeCol = perReq(nodeUsed)
			}
			errs := strconv.Itoa(r.Errors)
			if r.Status503 > 0 {
				errs += fmt.Sprintf(" (%d×503)", r.Status503)
			}
			hitRate := ""
			if cache1 := readCacheStats(base); target.name == "app" && cache1 != nil && cache0 != nil {
				if n := cache1.Hits + cache1.Misses - cache0.Hits - cache0.Misses; n > 0 {
					hitRate = fmt.Sprintf("%.1f%%", 100*float64(cache1.Hits-cache0.Hits)/float64(n))
				}
			}
			fmt.Printf("%-22s %-8s %8.0f %9s %9s %7s %12s %13s %12s %11s\n",
				sc.name, target.name, rate, fmtMs(r.P50), fmtMs(r.P99), errs, appCol, nodeCol, ratio, hitRate)
		}
	}
	if st := cacheStats(base); st != "" {
		fmt.Println(st)
	}
}

// originalQuery is the search the original app sent for a word: a match on
// food items, 750 documents.
func originalQuery(word string) map[string]any {
	return map[string]any{"query": map[string]any{"match": map[string]any{"fooditems": word}}, "size": 750}
}

// loadOriginal indexes the sample rows as the original app did: each row
// as it comes, under dynamic mapping (food items one text field, standard
// analyser), into index, for the "original" lines: what the original's
// query costs the node on the original's data.
func loadOriginal(t *testing.T, nodeURL, index, path string) {
	t.Helper()
	rows := readRows(t, path)
	var bulk bytes.Buffer
	for _, r := range rows {
		bulk.WriteString(`{"index":{}}` + "\n")
		bulk.Write(r)
		bulk.WriteString("\n")
	}
	res, err := http.Post(nodeURL+"/"+index+"/_bulk?refresh=wait_for", "application/x-ndjson", &bulk)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors":true`)) {
		t.Fatalf("loading the original's index: HTTP %d %.500s", res.StatusCode, body)
	}
}

// flaskApp is the original app under gunicorn.
type flaskApp struct {
	base string
	pid  int
}

// cpu is the CPU time of gunicorn and its workers.
func (f *flaskApp) cpu() time.Duration {
	total := procCPU(f.pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(f.pid) {
			total += procCPU(pid)
		}
	}
	return total
}

func startFlask(t *testing.T, dir, nodeURL, index string) *flaskApp {
	t.Helper()
	put := func(path, body string) {
		req, _ := http.NewRequest(http.MethodPost, nodeURL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %v %v", path, err, res)
		}
		res.Body.Close()
	}
	put("/_aliases", `{"actions":[{"add":{"index":"`+index+`","alias":"sfdata"}}]}`)
	t.Cleanup(func() { put("/_aliases", `{"actions":[{"remove":{"index":"`+index+`","alias":"sfdata"}}]}`) })
	wrapper := t.TempDir()
	src := "import os, sys\nsys.path.insert(0, os.environ['ORIGINAL_APP_DIR'])\n" +
		"import app as original\nfrom elasticsearch import Elasticsearch\n" +
		"original.es = Elasticsearch([os.environ['ORIGINAL_ES_URL']])\napp = original.app\n"
	if err := os.WriteFile(filepath.Join(wrapper, "benchwrap.py"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	gunicorn := os.Getenv("BENCH_GUNICORN")
	if gunicorn == "" {
		gunicorn = "gunicorn"
	}
	port := freePort(t)
	cmd := exec.Command(gunicorn, "-w", "2", "-b", "127.0.0.1:"+strconv.Itoa(port), "--chdir", wrapper, "--log-level", "warning", "benchwrap:app")
	cmd.Env = append(os.Environ(), "ORIGINAL_APP_DIR="+dir, "ORIGINAL_ES_URL="+nodeURL)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("gunicorn: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	f := &flaskApp{base: "http://127.0.0.1:" + strconv.Itoa(port), pid: cmd.Process.Pid}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(f.base + "/search?q=tacos")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"success"`)) {
				return f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the original app did not answer a search: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// profileApp writes a CPU profile of the app's run of a scenario to
// $BENCH_CPUPROFILE-<scenario>.pprof when BENCH_CPUPROFILE is set.
func profileApp(t *testing.T, target, scenario string) func() {
	prefix := os.Getenv("BENCH_CPUPROFILE")
	if prefix == "" || target != "app" {
		return func() {}
	}
	f, err := os.Create(prefix + "-" + strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(scenario, "-"), "-") + ".pprof")
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// runLoadgen runs spec in a child process (this test binary, its
// TestBenchSearchLoadgen) and returns what it measured.
func runLoadgen(t *testing.T, spec loadSpec) loadResult {
	t.Helper()
	f := filepath.Join(t.TempDir(), "spec.json")
	raw, _ := json.Marshal(spec)
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSearchLoadgen$", "-test.count=1")
	cmd.Env = append(os.Environ(), envLoadgenSpec+"="+f, envBench+"=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load generator: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(f + ".out")
	if err != nil {
		t.Fatal(err)
	}
	var r loadResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// appCPU is this process's CPU time (user + system): the app, as the load
// generator runs in a child.
func appCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nodeCPU is the node's CPU time from /proc/<pid>/stat (utime + stime, in
// clock ticks of 10 ms, Linux's USER_HZ), or -1 when it cannot be read.
func nodeCPU(pid int) time.Duration { return procCPU(pid) }

// procCPU is a process's CPU time from /proc/<pid>/stat, -1 when unknown.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; count from after it.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return -1
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// benchCache is the app's search-cache counters (/api/stats "cache").
type benchCache struct {
	Hits, Misses, Shared, Entries int64
}

// readCacheStats reads the counters; nil when the app has no cache.
func readCacheStats(base string) *benchCache {
	res, err := http.Get(base + "/api/stats")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var body struct {
		Cache *benchCache `json:"cache"`
	}
	if json.NewDecoder(res.Body).Decode(&body) != nil {
		return nil
	}
	return body.Cache
}

// cacheStats describes the cache over the whole run, "" without one.
func cacheStats(base string) string {
	c := readCacheStats(base)
	if c == nil {
		return ""
	}
	rate := 0.0
	if c.Hits+c.Misses > 0 {
		rate = float64(c.Hits) / float64(c.Hits+c.Misses)
	}
	return fmt.Sprintf("search cache over the whole run (warm-ups included): %d hits, %d misses (hit rate %.1f%%; %d of the misses shared another request's search), %d entries", c.Hits, c.Misses, 100*rate, c.Shared, c.Entries)
}

var wordRE = regexp.MustCompile(`[a-z]+`)

// notFoodWords are the common words of the fooditems field that name no food.
var notFoodWords = map[string]bool{
	"and": true, "with": true, "other": true, "various": true, "assorted": true, "items": true, "item": true,
	"food": true, "foods": true, "etc": true, "the": true, "for": true, "all": true, "types": true, "type": true,
	"kinds": true, "more": true, "style": true, "prepackaged": true, "pre": true, "packaged": true, "from": true,
	"everything": true, "except": true, "that": true, "made": true, "hot": true, "cold": true,
	"truck": true, "trucks": true, "daily": true, "menu": true, "specials": true, "served": true,
}

// foodWords returns the n most common food words of the data's fooditems,
// most common first.
func foodWords(t *testing.T, path string, n int) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		FoodItems string `json:"fooditems"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		for _, w := range wordRE.FindAllString(strings.ToLower(r.FoodItems), -1) {
			if len(w) >= 3 && !notFoodWords[w] {
				count[w]++
			}
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if count[words[i]] != count[words[j]] {
			return count[words[i]] > count[words[j]]
		}
		return words[i] < words[j]
	})
	return words[:min(n, len(words))]
}

func countPermits(t *testing.T, path string) int {
	t.Helper()
	rows := readRows(t, path)
	return len(rows)
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// readRows reads a SODA JSON file as its rows, undecoded.
func readRows(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}
