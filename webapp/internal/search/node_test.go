package search_test

// The adapter's flows against a real Elasticsearch 8 with the city's sample
// data: the test binary's node from package esnode (Elasticsearch 8.19 from
// its published jars), or any server named by ESNODE_URL (make e2e sets it).
// Run alone with
//
//	go test ./webapp/internal/search/ -run RealNode -v
//
// Without java or the built jars the test skips with a loud message (make
// esnode builds them); with ESNODE_REQUIRED=1, as in CI, it fails instead.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// unionSquare is the centre of the geo flows: downtown, where trucks are dense.
var unionSquare = search.Point{Lat: 37.7880, Lon: -122.4075}

func TestRealNode(t *testing.T) {
	node := esnode.Shared(t)
	es := &rawES{url: node.URL}
	// Aliases unique per run, so runs against a shared server never collide.
	runID := strconv.FormatInt(time.Now().UnixMilli(), 36)

	t.Run("golden request files are accepted", func(t *testing.T) {
		timed(t)
		replayGoldenRequests(t, es)
	})

	t.Run("sample CSV loads with the mapping", func(t *testing.T) {
		timed(t)
		rows := readSample(t, "sf-mobile-food-permits.sample.csv")
		alias := "ft-csv-" + runID
		c := newNodeClient(t, node.URL, alias, 0, nil)
		t.Cleanup(func() { esnode.DeleteIndices(t, es.url, alias+"-*") })
		res := mustLoad(t, c, rows)
		checkLoaded(t, es, c, res, len(rows))
	})

	rows := readSample(t, "sf-mobile-food-permits.json")
	alias := "ft-json-" + runID
	c := newNodeClient(t, node.URL, alias, 0, nil)
	t.Cleanup(func() { esnode.DeleteIndices(t, es.url, alias+"-*") })
	var first search.LoadResult
	t.Run("sample JSON bulk-loads with the mapping", func(t *testing.T) {
		timed(t)
		first = mustLoad(t, c, rows)
		checkLoaded(t, es, c, first, len(rows))
		// The original sent one request per row; bulk needs a handful.
		if first.Requests > 10 {
			t.Errorf("load of %d permits took %d requests", len(rows), first.Requests)
		}
		t.Logf("%d permits in %d requests, %s", first.Documents, first.Requests, first.Duration.Round(time.Millisecond))
	})
	if first.Index == "" {
		t.Fatal("no data loaded; the search flows below need it")
	}

	t.Run("typo-tolerant text search", func(t *testing.T) {
		timed(t)
		want := vendorsServing(rows, "burrito", "burritos")
		if len(want) == 0 {
			t.Fatal("the sample has no burrito vendor; the test needs one")
		}
		got := mustSearch(t, c, search.Query{Text: "burito"})
		missing := missingNames(want, got)
		if len(missing) > 0 {
			t.Errorf(`"burito" missed %d of %d burrito vendors, e.g. %q`, len(missing), len(want), missing[0])
		}
		t.Logf(`"burito": %d trucks; all %d burrito vendors among them`, got.Hits, len(want))
	})

	// Recall: every vendor whose food items name the word (what the
	// original app's exact match found) plus plurals and typos. The wanted
	// vendors come from the data itself; the log line is the relevance
	// table (query -> trucks found, vendors that must be among them).
	t.Run("plurals, typos and every exact match are found", func(t *testing.T) {
		timed(t)
		for _, tc := range []struct {
			query string
			words []string // a vendor naming any of these must be found
		}{
			{"tacos", []string{"taco", "tacos"}},
			{"taco", []string{"taco", "tacos"}},
			{"tacoz", []string{"taco", "tacos"}},
			{"burrito", []string{"burrito", "burritos"}},
			{"burritos", []string{"burrito", "burritos"}},
			{"burito", []string{"burrito", "burritos"}},
			{"coffee", []string{"coffee"}},
			{"sandwich", []string{"sandwich", "sandwiches"}},
			{"hot dogs", []string{"hot", "dog", "dogs"}},
		} {
			want := vendorsServing(rows, tc.words...)
			if len(want) == 0 {
				t.Errorf("the sample has no vendor of %v; the case tests nothing", tc.words)
				continue
			}
			got := mustSearch(t, c, search.Query{Text: tc.query})
			if missing := missingNames(want, got); len(missing) > 0 {
				t.Errorf("%q missed %d of the %d vendors naming %v, e.g. %q", tc.query, len(missing), len(want), tc.words, missing[0])
			}
			exact := vendorsServing(rows, strings.Fields(tc.query)...)
			t.Logf("relevance: %-10q -> %3d trucks; vendors naming the word exactly %3d, naming %v %3d", tc.query, got.Hits, len(exact), tc.words, len(want))
		}
	})

	// The original app's own query, on the rows indexed as it indexed them
	// (each row as it comes, dynamic mapping), run by the node: every vendor
	// it finds must be among ours.
	t.Run("every vendor the original app finds is found", func(t *testing.T) {
		timed(t)
		orig := "ft-orig-" + runID
		t.Cleanup(func() { esnode.DeleteIndices(t, es.url, orig) })
		raw, err := os.ReadFile(repo.SampleData(t, "sf-mobile-food-permits.json"))
		if err != nil {
			t.Fatal(err)
		}
		var docs []json.RawMessage
		if err := json.Unmarshal(raw, &docs); err != nil {
			t.Fatal(err)
		}
		var bulk bytes.Buffer
		for _, d := range docs {
			bulk.WriteString(`{"index":{}}` + "\n")
			bulk.Write(d)
			bulk.WriteString("\n")
		}
		if status, b := es.do(t, "POST", "/"+orig+"/_bulk?refresh=true", "application/x-ndjson", bulk.Bytes()); status != http.StatusOK || bytes.Contains(b, []byte(`"errors":true`)) {
			t.Fatalf("indexing the rows as the original did: HTTP %d %.300s", status, b)
		}
		for _, word := range []string{"tacos", "burrito", "coffee", "sandwich", "hot dogs", "pizza"} {
			q, _ := json.Marshal(map[string]any{"query": map[string]any{"match": map[string]any{"fooditems": word}}, "size": 750})
			status, b := es.do(t, "POST", "/"+orig+"/_search", "application/json", q)
			if status != http.StatusOK {
				t.Fatalf("the original's query for %q: HTTP %d %.300s", word, status, b)
			}
			var ans struct {
				Hits struct {
					Hits []struct {
						Source struct {
							Applicant string `json:"applicant"`
						} `json:"_source"`
					} `json:"hits"`
				} `json:"hits"`
			}
			if err := json.Unmarshal(b, &ans); err != nil {
				t.Fatal(err)
			}
			var theirs []string
			for _, h := range ans.Hits.Hits {
				if !slices.Contains(theirs, h.Source.Applicant) {
					theirs = append(theirs, h.Source.Applicant)
				}
			}
			ours := mustSearch(t, c, search.Query{Text: word})
			if missing := missingNames(theirs, ours); len(missing) > 0 {
				t.Errorf("%q: the original finds %d vendors, we miss %d of them, e.g. %q", word, len(theirs), len(missing), missing[0])
			}
			t.Logf("relevance: %-10q the original finds %3d vendors (%3d permits), we find %3d (%3d locations)", word, len(theirs), len(ans.Hits.Hits), ours.Hits, ours.Locations)
		}
	})

	t.Run("user text is never query syntax", func(t *testing.T) {
		timed(t)
		for _, q := range []string{`tacos AND (burritos OR "x`, `fooditems:coffee^10`, `/.*/`, `*`, `\`, `{"match_all":{}}`} {
			if _, err := c.Search(context.Background(), search.Query{Text: q}); err != nil {
				t.Errorf("search %q: %v (a parse error means the text reached a query parser)", q, err)
			}
		}
		all := mustSearch(t, c, search.Query{Near: &unionSquare, RadiusMeters: 50_000})
		star := mustSearch(t, c, search.Query{Text: "*"})
		if star.Hits >= all.Hits {
			t.Errorf(`"*" matched %d trucks, as many as the whole city (%d): it was read as a wildcard`, star.Hits, all.Hits)
		}
	})

	t.Run("geo search sorts by distance", func(t *testing.T) {
		timed(t)
		const radius = 1000.0
		got := mustSearch(t, c, search.Query{Near: &unionSquare, RadiusMeters: radius})
		want := 0
		nearEdge := 0
		for _, p := range rows {
			if p.Location == nil {
				continue
			}
			d := arcMeters(unionSquare, *p.Location)
			switch {
			case math.Abs(d-radius) < 1:
				nearEdge++ // rounding decides; counted on neither side
			case d < radius:
				want++
			}
		}
		if got.Locations < want || got.Locations > want+nearEdge {
			t.Errorf("%d branches within %gm, want %d (+%d on the edge)", got.Locations, radius, want, nearEdge)
		}
		checkDistanceOrder(t, got, radius)
		t.Logf("%d trucks, %d branches within %gm", got.Hits, got.Locations, radius)
	})

	t.Run("status and type filters", func(t *testing.T) {
		timed(t)
		cases := []struct {
			status, facilityType string
		}{
			{"APPROVED", ""},
			{"", "Push Cart"},
			{"REQUESTED", "Truck"},
			{"NO-SUCH-STATUS", ""},
		}
		for _, tc := range cases {
			want := 0
			for _, p := range rows {
				if p.Location != nil && (tc.status == "" || p.Status == tc.status) && (tc.facilityType == "" || p.FacilityType == tc.facilityType) {
					want++
				}
			}
			// A radius covering the whole city turns the filters into exact counts.
			got := mustSearch(t, c, search.Query{Near: &unionSquare, RadiusMeters: 50_000, Status: tc.status, FacilityType: tc.facilityType})
			if got.Locations != want {
				t.Errorf("status=%q type=%q: %d branches, want %d", tc.status, tc.facilityType, got.Locations, want)
			}
		}
		expired := map[string]bool{}
		for _, p := range rows {
			if p.Status == "EXPIRED" {
				expired[p.Applicant] = true
			}
		}
		got := mustSearch(t, c, search.Query{Text: "tacos", Status: "EXPIRED"})
		for _, tr := range got.Trucks {
			if !expired[tr.Name] {
				t.Errorf("text search filtered to EXPIRED returned %q, which holds no expired permit", tr.Name)
			}
		}
	})

	var second search.LoadResult
	t.Run("reload swaps the alias and deletes the old version", func(t *testing.T) {
		timed(t)
		second = mustLoad(t, c, rows)
		if !slices.Equal(second.Previous, []string{first.Index}) {
			t.Errorf("previous = %v, want [%s]", second.Previous, first.Index)
		}
		if got := es.aliasTargets(t, alias); !slices.Equal(got, []string{second.Index}) {
			t.Errorf("alias %s -> %v, want [%s]", alias, got, second.Index)
		}
		if es.indexExists(t, first.Index) {
			t.Errorf("old version %s still exists after the swap", first.Index)
		}
		mustSearch(t, c, search.Query{Text: "tacos"})
	})

	t.Run("a load that fails half way leaves the old alias serving", func(t *testing.T) {
		timed(t)
		serving := second.Index
		if serving == "" {
			t.Skip("needs the reload above")
		}
		before := mustSearch(t, c, search.Query{Text: "burito"})
		cases := []struct {
			name      string
			permits   []foodtrucks.Permit
			transport func(http.RoundTripper) http.RoundTripper
			wantErr   string
		}{
			{
				// The real node's geo_point parser refuses a latitude beyond
				// 90; it sits in the third batch, after 200 accepted documents.
				name:    "a document the mapping rejects",
				permits: withBadLatitude(rows, 250),
				wantErr: "of type [geo_point]",
			},
			{
				// Two bulk requests reach the node, then the network drops
				// every further one (the client's retry included).
				name:      "the connection drops during the bulk",
				permits:   rows,
				transport: func(next http.RoundTripper) http.RoundTripper { return &bulkCutter{next: next, allow: 2} },
				wantErr:   "connection reset",
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var tr http.RoundTripper
				if tc.transport != nil {
					tr = tc.transport(http.DefaultTransport.(*http.Transport).Clone())
				}
				failing := newNodeClient(t, node.URL, alias, 100, tr)
				res, err := failing.Load(context.Background(), nil, tc.permits)
				if err == nil {
					t.Fatalf("load succeeded (%d documents into %s); it should have failed", res.Documents, res.Index)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q does not name the cause %q", err, tc.wantErr)
				}
				if res.Documents == 0 || res.Documents >= len(tc.permits) {
					t.Errorf("%d of %d documents went in before the failure; the case must fail half way", res.Documents, len(tc.permits))
				}
				if got := es.aliasTargets(t, alias); !slices.Equal(got, []string{serving}) {
					t.Errorf("alias %s -> %v after the failed load, want [%s]", alias, got, serving)
				}
				if es.indexExists(t, res.Index) {
					t.Errorf("the half-loaded index %s was left behind", res.Index)
				}
				after := mustSearch(t, c, search.Query{Text: "burito"})
				if after.Hits != before.Hits || after.Locations != before.Locations {
					t.Errorf("search after the failed load: %d trucks/%d branches, before %d/%d", after.Hits, after.Locations, before.Hits, before.Locations)
				}
				t.Logf("failed after %d documents: %v", res.Documents, err)
			})
		}
	})
}

// --- helpers ---------------------------------------------------------------

func timed(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("took %s", time.Since(start).Round(time.Millisecond)) })
}

func newNodeClient(t *testing.T, url, alias string, batch int, tr http.RoundTripper) *search.Client {
	t.Helper()
	c, err := search.New(search.Options{URL: url, Alias: alias, BulkBatchDocs: batch, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustLoad(t *testing.T, c *search.Client, rows []foodtrucks.Permit) search.LoadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.Load(ctx, nil, rows)
	if err != nil {
		t.Fatalf("load %d permits: %v", len(rows), err)
	}
	return res
}

func mustSearch(t *testing.T, c *search.Client, q search.Query) foodtrucks.SearchResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.Search(ctx, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return r
}

// checkLoaded compares what the node holds with what was sent: every permit
// indexed, the alias pointing at the new version, and the mapping the node
// actually applied (not just the one requested).
func checkLoaded(t *testing.T, es *rawES, c *search.Client, res search.LoadResult, permits int) {
	t.Helper()
	if res.Documents != permits {
		t.Errorf("indexed %d documents, want %d", res.Documents, permits)
	}
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	if ix, ok := st.Serving(); !ok || ix.Name != res.Index || ix.Documents != int64(permits) {
		t.Errorf("state = %+v, want the alias serving %s with %d documents", st, res.Index, permits)
	}
	if err := c.Ready(context.Background()); err != nil {
		t.Errorf("Ready after load: %v", err)
	}
	var mapping map[string]struct {
		Mappings struct {
			Dynamic    string `json:"dynamic"`
			Properties map[string]struct {
				Type     string `json:"type"`
				Analyzer string `json:"analyzer"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	es.getJSON(t, "/"+res.Index+"/_mapping", &mapping)
	props := mapping[res.Index].Mappings.Properties
	for field, want := range map[string]string{"location": "geo_point", "fooditems": "text", "applicant": "text", "status": "keyword", "facilitytype": "keyword"} {
		if got := props[field].Type; got != want {
			t.Errorf("mapping of %s: type %q, want %q", field, got, want)
		}
	}
	if got := props["fooditems"].Analyzer; got != search.FoodAnalyzer {
		t.Errorf("fooditems analyzer %q, want %q", got, search.FoodAnalyzer)
	}
	if got := mapping[res.Index].Mappings.Dynamic; got != "strict" {
		t.Errorf("dynamic = %q, want strict", got)
	}
}

func readSample(t *testing.T, name string) []foodtrucks.Permit {
	t.Helper()
	path := repo.SampleData(t, name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _, err := permits.Read(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

// vendorsServing lists the applicants with a food item containing one of the
// words, found by plain string handling rather than by any search engine.
func vendorsServing(rows []foodtrucks.Permit, words ...string) []string {
	set := map[string]bool{}
	for _, p := range rows {
		for _, item := range p.FoodItems {
			for _, w := range strings.FieldsFunc(strings.ToLower(item), func(r rune) bool { return r < 'a' || r > 'z' }) {
				if slices.Contains(words, w) {
					set[p.Applicant] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func missingNames(want []string, got foodtrucks.SearchResult) []string {
	have := map[string]bool{}
	for _, tr := range got.Trucks {
		have[tr.Name] = true
	}
	var missing []string
	for _, name := range want {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	return missing
}

// arcMeters is the great-circle distance on Elasticsearch's mean Earth radius.
func arcMeters(a search.Point, b foodtrucks.Location) float64 {
	const earthMeanRadius = 6371008.7714
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLon := rad(b.Lat-a.Lat), rad(b.Lon-a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthMeanRadius * math.Asin(math.Sqrt(h))
}

// checkDistanceOrder: trucks come nearest first (by their nearest branch),
// each truck's branches nearest first, and every distance is the real one.
func checkDistanceOrder(t *testing.T, got foodtrucks.SearchResult, radius float64) {
	t.Helper()
	prevTruck := -1.0
	for _, tr := range got.Trucks {
		if len(tr.Branches) == 0 {
			t.Errorf("%s: a geo hit without a branch", tr.Name)
			continue
		}
		prev := -1.0
		for _, b := range tr.Branches {
			if b.DistanceMeters == nil {
				t.Errorf("%s at %s: no distance", tr.Name, b.Address)
				continue
			}
			d := *b.DistanceMeters
			if d < prev {
				t.Errorf("%s: branch at %.0fm listed after one at %.0fm", tr.Name, d, prev)
			}
			prev = d
			real := arcMeters(unionSquare, foodtrucks.Location{Lat: b.Location.Latitude, Lon: b.Location.Longitude})
			if math.Abs(real-d) > 1 || d > radius+1 {
				t.Errorf("%s at %s: distance %.1fm, computed %.1fm (radius %gm)", tr.Name, b.Address, d, real, radius)
			}
		}
		first := *tr.Branches[0].DistanceMeters
		if first < prevTruck {
			t.Errorf("truck %s (nearest branch %.0fm) listed after one at %.0fm", tr.Name, first, prevTruck)
		}
		prevTruck = first
	}
}

func withBadLatitude(rows []foodtrucks.Permit, at int) []foodtrucks.Permit {
	out := slices.Clone(rows)
	bad := out[at]
	bad.Location = &foodtrucks.Location{Lat: 95, Lon: -122.4}
	out[at] = bad
	return out
}

// bulkCutter passes everything through but fails bulk requests after the
// first allow of them, as a dropped connection would.
type bulkCutter struct {
	next  http.RoundTripper
	allow int32
	seen  atomic.Int32
}

func (b *bulkCutter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/_bulk") && b.seen.Add(1) > b.allow {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return b.next.RoundTrip(r)
}

// --- golden request replay -------------------------------------------------

// replayGoldenRequests sends the adapter's golden request bodies
// (testdata/, written by the adapter's own tests) to the real node, in the
// order the adapter sends them, and requires each to be accepted. A golden
// file missing from the plan fails the test, so none goes unchecked.
func replayGoldenRequests(t *testing.T, es *rawES) {
	const (
		v1 = "sfdata-20261104t120501.123z"
		v2 = "sfdata-20261105t120501.123z"
	)
	type step struct{ file, method, path string }
	plan := []step{
		{"create-index.json", "PUT", "/" + v1},
		{"bulk-1.ndjson", "POST", "/" + v1 + "/_bulk?refresh=true"},
		{"bulk-2.ndjson", "POST", "/" + v1 + "/_bulk?refresh=true"},
		{"alias-swap-first.json", "POST", "/_aliases"},
		{"create-index.json", "PUT", "/" + v2},
		{"bulk-1.ndjson", "POST", "/" + v2 + "/_bulk?refresh=true"},
		{"bulk-2.ndjson", "POST", "/" + v2 + "/_bulk?refresh=true"},
		{"alias-swap-second.json", "POST", "/_aliases"},
		{"query-text.json", "POST", "/sfdata/_search"},
		{"query-text-filters.json", "POST", "/sfdata/_search"},
		{"query-geo.json", "POST", "/sfdata/_search"},
		{"query-geo-text.json", "POST", "/sfdata/_search"},
		{"documents-read.json", "POST", "/" + v2 + "/_search"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.*json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(plan, func(s step) bool { return s.file == filepath.Base(f) }) {
			t.Errorf("golden file %s is not replayed against the real node; add it to the plan", f)
		}
	}
	cleanup := func() { es.delete(t, "/"+v1+","+v2+"?ignore_unavailable=true") }
	cleanup() // a previous run against a shared server may have left them
	t.Cleanup(cleanup)

	for _, s := range plan {
		raw, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			t.Fatalf("%v (the adapter's golden files are written by its own tests)", err)
		}
		body, contentType := compactJSON(t, raw), "application/json"
		if strings.HasSuffix(s.file, ".ndjson") {
			contentType = "application/x-ndjson"
		}
		status, resp := es.do(t, s.method, s.path, contentType, body)
		if status != http.StatusOK {
			t.Fatalf("%s %s with %s: HTTP %d %s", s.method, s.path, s.file, status, resp)
		}
		var ack struct {
			Errors        bool                                 `json:"errors"`
			Shards        struct{ Failed int }                 `json:"_shards"`
			Hits          *struct{ Total struct{ Value int } } `json:"hits"`
			TimeOut       bool                                 `json:"timed_out"`
			ActionResults []struct {
				Action struct{ Type string } `json:"action"`
				Status int                   `json:"status"`
			} `json:"action_results"`
		}
		if err := json.Unmarshal(resp, &ack); err != nil {
			t.Fatalf("%s: response %s: %v", s.file, resp, err)
		}
		if ack.Errors && bytes.Contains(body, []byte(`"index":"*"`)) {
			// A first swap also removes the alias from every index ("*"), so
			// a replica's concurrent first swap cannot leave two behind; where
			// the alias is on none, the node answers that remove with 404 and
			// applies the add. That 404, and only it, is what the adapter
			// accepts too.
			ack.Errors = false
			for _, r := range ack.ActionResults {
				if r.Status/100 != 2 && (r.Action.Type != "remove" || r.Status != http.StatusNotFound) {
					ack.Errors = true
				}
			}
		}
		if ack.Errors || ack.Shards.Failed > 0 || ack.TimeOut {
			t.Errorf("%s %s with %s: accepted with failures: %s", s.method, s.path, s.file, resp)
		}
		if ack.Hits != nil {
			t.Logf("%s: %d hits", s.file, ack.Hits.Total.Value)
		}
	}
	if got := es.aliasTargets(t, "sfdata"); !slices.Equal(got, []string{v2}) {
		t.Errorf("after the replayed swaps sfdata -> %v, want [%s]", got, v2)
	}
}

// compactJSON turns the indented golden files back into what goes on the
// wire: one JSON value per line (NDJSON), each compact.
func compactJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("golden file is not JSON: %v", err)
		}
		if err := json.Compact(&out, v); err != nil {
			t.Fatal(err)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// rawES speaks plain HTTP to the node, independent of the adapter under test.
type rawES struct{ url string }

func (e *rawES) do(t *testing.T, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func (e *rawES) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, b := e.do(t, "GET", path, "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (e *rawES) delete(t *testing.T, path string) {
	if status, b := e.do(t, "DELETE", path, "", nil); status != http.StatusOK && status != http.StatusNotFound {
		t.Errorf("DELETE %s: HTTP %d %s", path, status, b)
	}
}

func (e *rawES) indexExists(t *testing.T, name string) bool {
	status, _ := e.do(t, "HEAD", "/"+name, "", nil)
	return status == http.StatusOK
}

// versions lists the versioned indices <alias>-<UTC time>, sorted (not
// <alias>-coordination, the replicas' load lease).
func (e *rawES) versions(t *testing.T, alias string) []string {
	t.Helper()
	var indices []struct{ Index string }
	e.getJSON(t, "/_cat/indices/"+alias+"-*?format=json&h=index", &indices)
	out := make([]string, 0, len(indices))
	for _, idx := range indices {
		if v := strings.TrimPrefix(idx.Index, alias+"-"); v != "" && v[0] >= '0' && v[0] <= '9' {
			out = append(out, idx.Index)
		}
	}
	sort.Strings(out)
	return out
}

// aliasTargets lists the indices an alias points to, sorted.
func (e *rawES) aliasTargets(t *testing.T, alias string) []string {
	t.Helper()
	status, b := e.do(t, "GET", "/_alias/"+alias, "", nil)
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("GET /_alias/%s: HTTP %d %s", alias, status, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
