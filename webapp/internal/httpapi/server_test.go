package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// memorySearcher answers from a fixed list of hits through the real
// grouping code, standing in for Elasticsearch where only the HTTP layer is
// under test.
type memorySearcher struct {
	hits []search.Hit
	err  error
	got  search.Query
}

func (m *memorySearcher) Search(_ context.Context, q search.Query) (foodtrucks.SearchResult, error) {
	m.got = q
	if m.err != nil {
		return foodtrucks.SearchResult{}, m.err
	}
	return search.Group(m.hits, q.Limit), nil
}

type readiness struct{ err error }

func (r readiness) Ready(context.Context) error { return r.err }

type stats struct {
	st  httpapi.Stats
	err error
}

func (s stats) Stats(context.Context) (httpapi.Stats, error) { return s.st, s.err }

func sampleHits(n int) []search.Hit {
	hits := make([]search.Hit, n)
	for i := range hits {
		hits[i] = search.Hit{Source: search.HitSource{
			Applicant: fmt.Sprintf("Vendor %d", i/3), // three permits per vendor
			FoodItems: []string{"tacos", "burritos", "horchata"},
			Hours:     "Mo-Fr:10AM-3PM",
			Schedule:  "http://bsm.sfdpw.org/PermitsTracker/reports/report.aspx?title=schedule&report=rptSchedule&params=permit=21MFF-00015",
			Address:   "3750 18TH ST",
		}}
		if i%5 != 0 {
			hits[i].Source.Location = &search.GeoPoint{Lat: 37.76 + float64(i)/1000, Lon: -122.42}
		}
	}
	return hits
}

func get(t *testing.T, h http.Handler, target string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	var body map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET %s: invalid JSON %q", target, rec.Body.String())
		}
	}
	return rec, body
}

func TestSearchAnswersInTheOriginalShape(t *testing.T) {
	h := httpapi.NewServer(httpapi.Deps{Search: &memorySearcher{hits: sampleHits(6)}})
	rec, body := get(t, h, "/search?q=tacos")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// The original front end reads exactly these names.
	var res struct {
		Trucks []struct {
			Name      string   `json:"name"`
			FoodItems []string `json:"fooditems"`
			Drinks    *bool    `json:"drinks"`
			Branches  []struct {
				Hours    *string `json:"hours"`
				Schedule *string `json:"schedule"`
				Address  *string `json:"address"`
				Location struct {
					Latitude  *float64 `json:"latitude"`
					Longitude *float64 `json:"longitude"`
				} `json:"location"`
			} `json:"branches"`
		} `json:"trucks"`
		Hits      *int    `json:"hits"`
		Locations *int    `json:"locations"`
		Status    *string `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if *res.Status != "success" || *res.Hits != 2 || *res.Locations != 4 || len(res.Trucks) != 2 {
		t.Fatalf("status %v hits %v locations %v", *res.Status, *res.Hits, *res.Locations)
	}
	b := res.Trucks[0].Branches[0]
	if b.Hours == nil || b.Schedule == nil || b.Address == nil || b.Location.Latitude == nil || b.Location.Longitude == nil || res.Trucks[0].Drinks == nil {
		t.Errorf("a field the original front end reads is missing: %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), `\u0026`) {
		t.Error("schedule URLs should keep their & readable")
	}
	if _, has := body["trucks"]; !has {
		t.Error("no trucks key")
	}
}

func TestErrorsAreJSONWithProperCodes(t *testing.T) {
	cases := []struct {
		what   string
		deps   httpapi.Deps
		method string
		target string
		status int
	}{
		{"missing q", httpapi.Deps{Search: &memorySearcher{}}, "GET", "/search", 400},
		{"bad lat", httpapi.Deps{Search: &memorySearcher{}}, "GET", "/search?lat=abc&lon=1", 400},
		{"engine away", httpapi.Deps{Search: &memorySearcher{err: fmt.Errorf("%w: dial tcp: connection refused", search.ErrUnavailable)}}, "GET", "/search?q=x", 503},
		{"data not loaded", httpapi.Deps{Search: &memorySearcher{err: search.ErrNotLoaded}}, "GET", "/search?q=x", 503},
		{"engine too slow: 503 so clients back off", httpapi.Deps{Search: &memorySearcher{err: fmt.Errorf("%w: %w", search.ErrUnavailable, context.DeadlineExceeded)}}, "GET", "/search?q=x", 503},
		{"engine refused the query", httpapi.Deps{Search: &memorySearcher{err: errors.New("parsing_exception")}}, "GET", "/search?q=x", 502},
		{"not ready", httpapi.Deps{Ready: readiness{search.ErrNotLoaded}}, "GET", "/readyz", 503},
		{"stats while away", httpapi.Deps{Stats: stats{err: search.ErrUnavailable}}, "GET", "/api/stats", 503},
		{"unknown API path", httpapi.Deps{}, "GET", "/api/nope", 404},
		{"POST search", httpapi.Deps{Search: &memorySearcher{}}, "POST", "/search?q=x", 405},
		{"DELETE anything", httpapi.Deps{}, "DELETE", "/", 405},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			h := httpapi.NewServer(tc.deps)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.status {
				t.Fatalf("%s %s: status %d, want %d (%s)", tc.method, tc.target, rec.Code, tc.status, rec.Body)
			}
			var f struct{ Status, Msg string }
			if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil || f.Status != "failure" || f.Msg == "" {
				t.Errorf("body %q, want {\"status\":\"failure\",\"msg\":...}", rec.Body)
			}
			if strings.Contains(f.Msg, "connection refused") || strings.Contains(f.Msg, "parsing_exception") {
				t.Errorf("message %q leaks engine internals", f.Msg)
			}
		})
	}
}

func TestProbesStatsAndHeaders(t *testing.T) {
	st := httpapi.Stats{Alias: "sfdata", Index: "sfdata-20261104t120000.000z", Documents: 487}
	h := httpapi.NewServer(httpapi.Deps{Ready: readiness{}, Stats: stats{st: st}, Version: "1.2.3"})

	rec, body := get(t, h, "/healthz")
	if rec.Code != 200 || body["status"] != "ok" || body["version"] != "1.2.3" {
		t.Errorf("healthz: %d %v", rec.Code, body)
	}
	rec, body = get(t, h, "/readyz")
	if rec.Code != 200 || body["status"] != "ready" {
		t.Errorf("readyz: %d %v", rec.Code, body)
	}
	rec, body = get(t, h, "/api/stats")
	if rec.Code != 200 || body["documents"] != 487.0 || body["index"] != st.Index || body["status"] != "success" {
		t.Errorf("stats: %d %v", rec.Code, body)
	}
	for name, want := range map[string]string{
		"Content-Security-Policy": httpapi.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
	} {
		if got := rec.Header().Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if id := rec.Header().Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("X-Request-Id %q", id)
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-Id", "lb-trace-42")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("X-Request-Id") != "lb-trace-42" {
		t.Error("a well-formed incoming request id should be kept")
	}
	req.Header.Set("X-Request-Id", "<script>")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("X-Request-Id") == "<script>" {
		t.Error("a malformed request id must be replaced")
	}
}

func TestUIIsMountedBelowTheAPI(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ui:"+r.URL.Path) })
	h := httpapi.NewServer(httpapi.Deps{UI: ui, Search: &memorySearcher{hits: sampleHits(1)}})
	if rec, _ := get(t, h, "/"); rec.Body.String() != "ui:/" {
		t.Errorf("GET / → %q", rec.Body)
	}
	if rec, _ := get(t, h, "/app.js"); rec.Body.String() != "ui:/app.js" {
		t.Errorf("GET /app.js → %q", rec.Body)
	}
	if rec, _ := get(t, h, "/search?q=x"); !strings.Contains(rec.Body.String(), `"status":"success"`) {
		t.Errorf("API routes must win over the UI: %q", rec.Body)
	}
}

func TestPanicsBecome500(t *testing.T) {
	h := httpapi.NewServer(httpapi.Deps{Search: panicky{}})
	rec, body := get(t, h, "/search?q=x")
	if rec.Code != 500 || body["status"] != "failure" {
		t.Errorf("panic: %d %v", rec.Code, body)
	}
}

type panicky struct{}

func (panicky) Search(context.Context, search.Query) (foodtrucks.SearchResult, error) {
	panic("boom")
}

// BenchmarkSearchHandler measures the HTTP layer of a search (parameter
// parsing, grouping 60 hits into 20 trucks, JSON encoding, middleware) with
// the engine replaced by an in-memory searcher.
func BenchmarkSearchHandler(b *testing.B) {
	h := httpapi.NewServer(httpapi.Deps{Search: &memorySearcher{hits: sampleHits(60)}})
	req := httptest.NewRequest(http.MethodGet, "/search?q=tacos&status=APPROVED", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// blockingSearcher holds every search until release is closed.
type blockingSearcher struct {
	started chan struct{}
	release chan struct{}
}

func (b *blockingSearcher) Search(ctx context.Context, q search.Query) (foodtrucks.SearchResult, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return foodtrucks.SearchResult{}, ctx.Err()
	}
	return search.Group(nil, q.Limit), nil
}

// With every slot taken for longer than the wait, a search is answered 503
// with Retry-After and counted; once a slot is free, searches pass again.
func TestSearchGateAnswersBusyWith503(t *testing.T) {
	b := &blockingSearcher{started: make(chan struct{}, 1), release: make(chan struct{})}
	gate := httpapi.NewSearchGate(1, 50*time.Millisecond)
	h := httpapi.NewServer(httpapi.Deps{Search: b, Gate: gate, Stats: stats{}})
	first := make(chan int, 1)
	go func() { rec, _ := get(t, h, "/search?q=tacos"); first <- rec.Code }()
	<-b.started
	rec, body := get(t, h, "/search?q=burrito")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || body["status"] != "failure" {
		t.Errorf("search past the bound: %d, Retry-After %q, %v; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"), body)
	}
	close(b.release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("the search holding the slot: %d, want 200", code)
	}
	go func() { <-b.started }()
	if rec, _ := get(t, h, "/search?q=coffee"); rec.Code != http.StatusOK {
		t.Errorf("search after the slot was freed: %d, want 200", rec.Code)
	}
	if _, body := get(t, h, "/api/stats"); fmt.Sprint(body["searches"]) != "map[in_flight:0 max_in_flight:1 refused_busy:1 waiting:0]" {
		t.Errorf("stats searches %v, want one refused, none in flight", body["searches"])
	}
}

// /api/trucks is the map's first view: every truck, whatever query string
// comes with it (a cache-buster must not narrow it).
func TestAllTrucksAsksForEveryTruck(t *testing.T) {
	m := &memorySearcher{hits: sampleHits(5), got: search.Query{Text: "unset"}}
	h := httpapi.NewServer(httpapi.Deps{Search: m})
	rec, body := get(t, h, "/api/trucks?q=tacos&lat=1&lon=2")
	if rec.Code != 200 || body["status"] != "success" {
		t.Fatalf("GET /api/trucks: %d %v", rec.Code, body)
	}
	if m.got != (search.Query{}) {
		t.Errorf("GET /api/trucks asked the searcher %+v, want the query for every truck", m.got)
	}
	if n, want := len(body["trucks"].([]any)), len(search.Group(m.hits, 0).Trucks); n != want {
		t.Errorf("GET /api/trucks answered %d trucks, want the searcher's %d", n, want)
	}
}

// versionedSearcher answers from memory as version v1, so the cache keeps
// its answers.
type versionedSearcher struct{ memorySearcher }

func (v *versionedSearcher) Search(ctx context.Context, q search.Query) (foodtrucks.SearchResult, error) {
	res, err := v.memorySearcher.Search(ctx, q)
	res.Version = "v1"
	return res, err
}

func TestSearchAnswersAreGzippedWhenTheClientAcceptsIt(t *testing.T) {
	cache := httpapi.NewResultCache(1<<20, func(context.Context) (string, error) { return "v1", nil })
	h := httpapi.NewServer(httpapi.Deps{Search: &versionedSearcher{memorySearcher{hits: sampleHits(60)}}, Cache: cache})
	fetch := func(target, acceptEncoding string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("GET %s (Accept-Encoding %q): Vary = %q; a cache in between would mix the encodings", target, acceptEncoding, got)
		}
		if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("GET %s: Content-Length %s for %s bytes", target, got, want)
		}
		return rec
	}
	for _, target := range []string{"/search?q=tacos", "/api/search?q=tacos", "/api/trucks"} {
		plain := fetch(target, "")
		if ce := plain.Header().Get("Content-Encoding"); ce != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", target, ce)
		}
		if ce := fetch(target, "gzip;q=0, br").Header().Get("Content-Encoding"); ce != "" {
			t.Errorf("GET %s refusing gzip: Content-Encoding %q", target, ce)
		}
		for range 2 { // a miss, then a hit from the cache
			zipped := fetch(target, "gzip, deflate, br")
			if ce := zipped.Header().Get("Content-Encoding"); ce != "gzip" {
				t.Fatalf("GET %s accepting gzip: Content-Encoding %q", target, ce)
			}
			zr, err := gzip.NewReader(zipped.Body)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(decoded, plain.Body.Bytes()) {
				t.Errorf("GET %s: the gzip body does not decode to the plain one", target)
			}
			if zipped.Body.Len() >= plain.Body.Len()/3 {
				t.Errorf("GET %s: %d bytes gzipped for %d plain", target, zipped.Body.Len(), plain.Body.Len())
			}
		}
	}
	if st := cache.Stats(); st.Hits == 0 {
		t.Errorf("cache %+v: the repeated searches were not hits", st)
	}
}

// An answer too small to shrink is sent as it is, without Vary.
func TestSmallAnswersAreNotCompressed(t *testing.T) {
	h := httpapi.NewServer(httpapi.Deps{Search: &memorySearcher{}})
	req := httptest.NewRequest(http.MethodGet, "/search?q=nothing", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("an empty answer: %d, Content-Encoding %q, Vary %q, body %s", rec.Code, rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), rec.Body)
	}
}
