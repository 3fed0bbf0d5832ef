// Command benchsearch is the search benchmark (make bench-search): the real
// Elasticsearch node with the city's sample data, the app built and run as
// its own process, and a bounded load generator on 127.0.0.1. Each scenario
// drives the app's /search (plain, then asking for gzip as browsers do),
// then the node directly with the app's own search body (the ceiling: what
// the node does with nothing in between), then the node with the original
// app's query on the rows indexed as the original did, and prints req/s,
// p50/p99, the app's and the node's CPU time per request, app/ceiling and
// the bytes of an answer as sent. webapp/README.md, "Benchmarks", explains
// how to read it.
//
// BENCH_DURATION (default 10s) and BENCH_CONCURRENCY (default 50) bound each
// run; BENCH_SCENARIOS picks scenarios by name prefix (comma-separated);
// SEARCH_CACHE_MB, SEARCH_MAX_IN_FLIGHT, SEARCH_QUEUE_WAIT and LOG_LEVEL are
// passed to the app. BENCH_COMPARE names another checkout of the
// repository (an older commit, say): its app runs beside this one, on an
// alias of its own, and gets an "other" line in every scenario, for
// before/after ratios from one run. ESNODE_URL uses a running node instead
// of starting one (its CPU is then not measured).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

const (
	mixWords   = 1000 // the mix draws from (at most) this many of the data's most common food words
	zipfS      = 1.1  // Zipf exponent of the mix: a few words most of the time, a long tail
	warmup     = 2 * time.Second
	maxSamples = 2e6 // latencies kept per run, a bound on memory
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchsearch: ")
	if err := bench(); err != nil {
		log.Fatal(err)
	}
}

// target is one request: GET URL, or POST Body to URL when Body is set.
type target struct {
	URL  string
	Body []byte
	Gzip bool // ask for a gzip answer, as browsers do
}

// result is what one run measured.
type result struct {
	Requests, Errors, Status503 int
	Bytes                       int64 // answer bodies as sent, compressed or not
	Elapsed                     time.Duration
	P50, P99                    time.Duration
}

// scenario is one group of lines of the table.
type scenario struct {
	name  string
	words []string
	zipf  bool
}

func bench() error {
	duration, conc, err := bounds()
	if err != nil {
		return err
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	dir, err := repo.SampleDir()
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "sf-mobile-food-permits.json")
	rows, err := readRows(data)
	if err != nil {
		return fmt.Errorf("the sample data (set FOODTRUCKS_SAMPLE_DATA to its folder): %w", err)
	}
	words := foodWords(rows, mixWords)
	tmp, err := os.MkdirTemp("", "benchsearch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	nodeURL, nodePID := os.Getenv(esnode.EnvURL), 0
	if nodeURL == "" {
		node, err := esnode.Start(context.Background(), esnode.Options{DataDir: filepath.Join(tmp, "node")})
		if err != nil {
			return fmt.Errorf("the Elasticsearch node (make esnode builds it): %w", err)
		}
		defer node.Close()
		nodeURL, nodePID = node.URL, node.PID()
	}
	alias := "bench-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	defer deleteIndices(nodeURL, alias+"-*")

	app, err := startApp(root, filepath.Join(tmp, "app"), map[string]string{"ES_URL": nodeURL, "INDEX": alias, "DATA_URL": data, "REFRESH_INTERVAL": "0"})
	if err != nil {
		return err
	}
	defer app.stop()
	var other *process
	if dir := os.Getenv("BENCH_COMPARE"); dir != "" {
		defer deleteIndices(nodeURL, alias+"o-*")
		if other, err = startApp(dir, filepath.Join(tmp, "other"), map[string]string{"ES_URL": nodeURL, "INDEX": alias + "o", "DATA_URL": data, "REFRESH_INTERVAL": "0"}); err != nil {
			return fmt.Errorf("the app of %s: %w", dir, err)
		}
		defer other.stop()
		fmt.Printf("other: the app of %s\n", dir)
	}

	origIndex := alias + "-original"
	if err := loadOriginal(nodeURL, origIndex, rows); err != nil {
		return err
	}
	var flask *flaskApp
	if dir := os.Getenv("BENCH_ORIGINAL_APP"); dir != "" {
		if flask, err = startFlask(dir, tmp, nodeURL, origIndex); err != nil {
			return err
		}
		defer flask.stop()
	}

	scenarios := []scenario{
		{name: "q=tacos", words: []string{"tacos"}},
		{name: "q=burrito", words: []string{"burrito"}},
		{name: "q=coffee", words: []string{"coffee"}},
		{name: fmt.Sprintf("mix (Zipf %d words)", len(words)), words: words, zipf: true},
	}
	if pick := os.Getenv("BENCH_SCENARIOS"); pick != "" {
		scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool {
			for _, p := range strings.Split(pick, ",") {
				if strings.HasPrefix(s.name, strings.TrimSpace(p)) {
					return false
				}
			}
			return true
		})
	}
	fmt.Printf("\nsearch benchmark: c%d, %s per run (after %s warm-up), %d permits, node pid %d, %d CPUs\n",
		conc, duration, warmup, len(rows), nodePID, runtime.NumCPU())
	fmt.Printf("mix: the %d most common food words of the data, Zipf s=%.1f; top 5: %s\n",
		len(words), zipfS, strings.Join(words[:min(5, len(words))], ", "))
	fmt.Printf("%-22s %-8s %8s %9s %9s %7s %12s %13s %12s %11s %10s\n",
		"scenario", "target", "req/s", "p50", "p99", "errors", "app CPU/req", "node CPU/req", "app/ceiling", "cache hits", "bytes/req")
	// The ceiling asks what the app asks, as the app asks it.
	ceilingURL := nodeURL + "/" + alias + "/_search?filter_path=" + strings.Join(search.SearchFilterPath, ",")
	for _, sc := range scenarios {
		var appT, gzipT, otherT, nodeT, origT, flaskT []target
		for _, w := range sc.words {
			appT = append(appT, target{URL: app.base + "/search?q=" + url.QueryEscape(w)})
			gzipT = append(gzipT, target{URL: app.base + "/search?q=" + url.QueryEscape(w), Gzip: true})
			if other != nil {
				otherT = append(otherT, target{URL: other.base + "/search?q=" + url.QueryEscape(w)})
			}
			body, err := json.Marshal(search.Request(search.Query{Text: w}))
			if err != nil {
				return err
			}
			nodeT = append(nodeT, target{URL: ceilingURL, Body: body})
			orig, _ := json.Marshal(map[string]any{"query": map[string]any{"match": map[string]any{"fooditems": w}}, "size": 750})
			origT = append(origT, target{URL: nodeURL + "/" + origIndex + "/_search", Body: orig})
			if flask != nil {
				flaskT = append(flaskT, target{URL: flask.base + "/search?q=" + url.QueryEscape(w)})
			}
		}
		type line struct {
			name    string
			targets []target
			app     *process // the serving app, for its CPU time and cache; nil: the node alone
		}
		lines := []line{{"app", appT, app}, {"app gzip", gzipT, app}}
		if other != nil {
			lines = append(lines, line{"other", otherT, other})
		}
		lines = append(lines, line{"ceiling", nodeT, nil}, line{"original", origT, nil})
		if flask != nil {
			lines = append(lines, line{"flask", flaskT, &flask.process})
		}
		var appRate float64
		for _, l := range lines {
			generate(l.targets, sc.zipf, conc, warmup)
			var cache0 *cacheStats
			cpuOf := func() time.Duration { return 0 }
			if l.app != nil {
				cache0, cpuOf = readCache(l.app.base), l.app.cpu
			}
			if l.name == "flask" {
				cpuOf = flask.cpu
			}
			app0, node0 := cpuOf(), procCPU(nodePID)
			r := generate(l.targets, sc.zipf, conc, duration)
			appUsed, nodeUsed := cpuOf()-app0, procCPU(nodePID)-node0
			rate := float64(r.Requests) / r.Elapsed.Seconds()
			perReq := func(d time.Duration) string {
				if r.Requests == 0 || d < 0 {
					return "n/a"
				}
				return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)/float64(r.Requests))
			}
			appCol, ratio, hits := perReq(appUsed), "", ""
			switch l.name {
			case "app", "app gzip", "other":
				switch l.name {
				case "app":
					appRate = rate
				case "other":
					ratio = fmt.Sprintf("ours %.2fx", appRate/rate)
				}
				if cache1 := readCache(l.app.base); cache1 != nil && cache0 != nil {
					if n := cache1.Hits + cache1.Misses - cache0.Hits - cache0.Misses; n > 0 {
						hits = fmt.Sprintf("%.1f%%", 100*float64(cache1.Hits-cache0.Hits)/float64(n))
					}
				}
			case "ceiling":
				appCol, ratio = "-", fmt.Sprintf("%.2f", appRate/rate)
			case "flask":
				ratio = fmt.Sprintf("ours %.2fx", appRate/rate)
			default:
				appCol = "-"
			}
			nodeCol := "n/a"
			if nodePID > 0 {
				nodeCol = perReq(nodeUsed)
			}
			errs := strconv.Itoa(r.Errors)
			if r.Status503 > 0 {
				errs += fmt.Sprintf(" (%d×503)", r.Status503)
			}
			perAnswer := "n/a"
			if r.Requests > 0 {
				perAnswer = strconv.FormatInt(r.Bytes/int64(r.Requests), 10)
			}
			fmt.Printf("%-22s %-8s %8.0f %9s %9s %7s %12s %13s %12s %11s %10s\n",
				sc.name, l.name, rate, ms(r.P50), ms(r.P99), errs, appCol, nodeCol, ratio, hits, perAnswer)
		}
	}
	if c := readCache(app.base); c != nil {
		rate := 0.0
		if c.Hits+c.Misses > 0 {
			rate = float64(c.Hits) / float64(c.Hits+c.Misses)
		}
		fmt.Printf("search cache over the whole run (warm-ups included): %d hits, %d misses (hit rate %.1f%%; %d of the misses shared another request's search), %d entries\n",
			c.Hits, c.Misses, 100*rate, c.Shared, c.Entries)
	}
	return nil
}

func bounds() (time.Duration, int, error) {
	duration, conc := 10*time.Second, 50
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, 0, fmt.Errorf("BENCH_DURATION %q: want a duration like 10s", v)
		}
		duration = d
	}
	if v := os.Getenv("BENCH_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, fmt.Errorf("BENCH_CONCURRENCY %q: want a number from 1 to 1000", v)
		}
		conc = n
	}
	return duration, conc, nil
}

// generate sends requests to targets from conc workers for d: round-robin,
// or Zipf-distributed over the targets in their order.
func generate(targets []target, zipf bool, conc int, d time.Duration) result {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: conc,
			MaxConnsPerHost:     conc,
			DisableCompression:  true, // as wrk and curl without --compressed
		},
	}
	defer client.CloseIdleConnections()
	var (
		mu        sync.Mutex
		lat       []time.Duration
		res       result
		wg        sync.WaitGroup
		began     = time.Now()
		deadline  = began.Add(d)
		perWorker = int(maxSamples) / conc
	)
	for w := range conc {
		wg.Go(func() {
			r := rand.New(rand.NewSource(int64(1 + w)))
			var z *rand.Zipf
			if zipf && len(targets) > 1 {
				z = rand.NewZipf(r, zipfS, 1, uint64(len(targets)-1))
			}
			var mine []time.Duration
			n, errs, st503, size := 0, 0, 0, int64(0)
			for i := w; time.Now().Before(deadline); i++ {
				tg := targets[i%len(targets)]
				if z != nil {
					tg = targets[z.Uint64()]
				}
				var req *http.Request
				if tg.Body != nil {
					req, _ = http.NewRequest(http.MethodPost, tg.URL, bytes.NewReader(tg.Body))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequest(http.MethodGet, tg.URL, nil)
				}
				if tg.Gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					got, _ := io.Copy(io.Discard, resp.Body)
					size += got
					resp.Body.Close()
				}
				took := time.Since(t0)
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
					mine = append(mine, took)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Requests += n
			res.Errors += errs
			res.Status503 += st503
			res.Bytes += size
			mu.Unlock()
		})
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

// process is a child the benchmark started: the app, or gunicorn.
type process struct {
	cmd  *exec.Cmd
	base string
	logs bytes.Buffer
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
}

// cpu is the process's CPU time.
func (p *process) cpu() time.Duration { return procCPU(p.cmd.Process.Pid) }

// startApp builds the app of the checkout at root into dir and runs
// `foodtrucks serve` with env, the benchmark's knobs passed through, and
// waits until it is ready.
func startApp(root, dir string, env map[string]string) (*process, error) {
	bin := filepath.Join(dir, "foodtrucks")
	build := exec.Command("go", "build", "-o", bin, "./webapp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env["PORT"] = strconv.Itoa(port)
	for _, k := range []string{"SEARCH_CACHE_MB", "SEARCH_MAX_IN_FLIGHT", "SEARCH_QUEUE_WAIT", "LOG_LEVEL"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	p := &process{cmd: exec.Command(bin, "serve"), base: "http://127.0.0.1:" + strconv.Itoa(port)}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	// The app logs each request at info, as deployed; the lines are
	// discarded, not kept.
	p.cmd.Stderr = &p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitFor(60*time.Second, func() bool { return status(p.base+"/readyz") == http.StatusOK }); err != nil {
		p.stop()
		return nil, fmt.Errorf("the app was not ready with the sample data: %w\n%s", err, p.logs.String())
	}
	return p, nil
}

// flaskApp is the original app under gunicorn with 2 workers, served from
// the original's index under the name it searches ("sfdata").
type flaskApp struct {
	process
	nodeURL, index string
}

func startFlask(dir, tmp, nodeURL, index string) (*flaskApp, error) {
	f := &flaskApp{nodeURL: nodeURL, index: index}
	if err := post(nodeURL+"/_aliases", `{"actions":[{"add":{"index":"`+index+`","alias":"sfdata"}}]}`); err != nil {
		return nil, err
	}
	src := "import os, sys\nsys.path.insert(0, os.environ['ORIGINAL_APP_DIR'])\n" +
		"import app as original\nfrom elasticsearch import Elasticsearch\n" +
		"original.es = Elasticsearch([os.environ['ORIGINAL_ES_URL']])\napp = original.app\n"
	if err := os.WriteFile(filepath.Join(tmp, "benchwrap.py"), []byte(src), 0o600); err != nil {
		return nil, err
	}
	gunicorn := os.Getenv("BENCH_GUNICORN")
	if gunicorn == "" {
		gunicorn = "gunicorn"
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	f.cmd = exec.Command(gunicorn, "-w", "2", "-b", "127.0.0.1:"+strconv.Itoa(port), "--chdir", tmp, "--log-level", "warning", "benchwrap:app")
	f.cmd.Env = append(os.Environ(), "ORIGINAL_APP_DIR="+dir, "ORIGINAL_ES_URL="+nodeURL)
	f.cmd.Stdout, f.cmd.Stderr = &f.logs, &f.logs
	f.base = "http://127.0.0.1:" + strconv.Itoa(port)
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("gunicorn: %w", err)
	}
	if err := waitFor(30*time.Second, func() bool { return status(f.base+"/search?q=tacos") == http.StatusOK }); err != nil {
		f.stop()
		return nil, fmt.Errorf("the original app did not answer a search: %w\n%s", err, f.logs.String())
	}
	return f, nil
}

func (f *flaskApp) stop() {
	f.process.stop()
	_ = post(f.nodeURL+"/_aliases", `{"actions":[{"remove":{"index":"`+f.index+`","alias":"sfdata"}}]}`)
}

// cpu is the CPU time of gunicorn and its workers.
func (f *flaskApp) cpu() time.Duration {
	total := procCPU(f.cmd.Process.Pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if raw, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			s := string(raw)
			if fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(fields) > 1 && fields[1] == strconv.Itoa(f.cmd.Process.Pid) {
				total += procCPU(pid)
			}
		}
	}
	return total
}

// loadOriginal indexes the sample rows as the original app did: each row
// as it comes, under dynamic mapping (food items one text field, standard
// analyser), for the "original" lines.
func loadOriginal(nodeURL, index string, rows []json.RawMessage) error {
	var bulk bytes.Buffer
	for _, r := range rows {
		bulk.WriteString(`{"index":{}}` + "\n")
		bulk.Write(r)
		bulk.WriteString("\n")
	}
	res, err := http.Post(nodeURL+"/"+index+"/_bulk?refresh=wait_for", "application/x-ndjson", &bulk)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors":true`)) {
		return fmt.Errorf("loading the original's index: HTTP %d %.500s", res.StatusCode, body)
	}
	return nil
}

// procCPU is a process's CPU time (utime + stime) from /proc/<pid>/stat, in
// clock ticks of 10 ms (Linux's USER_HZ); -1 when unknown.
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

// cacheStats is the app's search-cache counters (/api/stats "cache").
type cacheStats struct {
	Hits, Misses, Shared, Entries int64
}

// readCache reads the counters; nil when the app has no cache.
func readCache(base string) *cacheStats {
	res, err := http.Get(base + "/api/stats")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var body struct {
		Cache *cacheStats `json:"cache"`
	}
	if json.NewDecoder(res.Body).Decode(&body) != nil {
		return nil
	}
	return body.Cache
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

// foodWords returns the n most common food words of the rows' fooditems,
// most common first.
func foodWords(rows []json.RawMessage, n int) []string {
	count := map[string]int{}
	for _, raw := range rows {
		var r struct {
			FoodItems string `json:"fooditems"`
		}
		if json.Unmarshal(raw, &r) != nil {
			continue
		}
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

// readRows reads a SODA JSON file as its rows, undecoded.
func readRows(path string) ([]json.RawMessage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

func deleteIndices(nodeURL, pattern string) {
	req, _ := http.NewRequest(http.MethodDelete, nodeURL+"/"+pattern+"?expand_wildcards=all", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
}

func post(url, body string) error {
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", url, res.Status)
	}
	return nil
}

func status(url string) int {
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func waitFor(limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out after " + limit.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
