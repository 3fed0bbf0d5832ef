package search_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// fixedClock hands out the same instant until advanced, so versioned index
// names in golden files are stable.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func TestMain(m *testing.M) { os.Exit(esnode.Main(m)) }

// engine is the test binary's real node (esnode.Shared) behind a fault
// proxy of the test's own, and one alias of the test's own on that node.
type engine struct {
	*esfault.Proxy
	node  *rawES // the node itself, bypassing the proxy
	alias string
}

// goldenAlias is the alias the golden request files were recorded with.
const goldenAlias = "sfdata"

// startEngine gives the test a proxy to the shared node and an alias no
// other test uses (the golden tests ask for goldenAlias, and so must not
// run in parallel with each other). The alias's indices are deleted before
// and after the test.
func startEngine(t *testing.T, alias string) *engine {
	t.Helper()
	node := esnode.Shared(t)
	if alias == "" {
		alias = uniqueAlias(t)
	}
	e := &engine{Proxy: esfault.Start(t, node.URL), node: &rawES{url: node.URL}, alias: alias}
	esnode.DeleteIndices(t, node.URL, alias+"-*")
	t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"-*") })
	return e
}

// uniqueAlias is a valid alias named after the test, unique per run.
func uniqueAlias(t *testing.T) string {
	name := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.TrimPrefix(t.Name(), "Test")))
	if len(name) > 40 {
		name = name[:40]
	}
	return "t-" + strings.Trim(name, "-") + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
}

func newClient(t *testing.T, es *engine, clock *fixedClock) *search.Client {
	t.Helper()
	c, err := search.New(search.Options{URL: es.URL, Alias: es.alias, Now: clock.now, BulkBatchDocs: 3})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loc(lat, lon float64) *foodtrucks.Location { return &foodtrucks.Location{Lat: lat, Lon: lon} }

// fixturePermits are a few real-looking permits: two branches of one taco
// vendor, a burrito vendor, a cold truck (drinks), a push cart and a permit
// without coordinates.
func fixturePermits() []foodtrucks.Permit {
	return []foodtrucks.Permit{
		{ID: "1", PermitNumber: "21MFF-00001", Applicant: "Tacos El Primo", FacilityType: "Truck", Status: "APPROVED",
			FoodItems: []string{"tacos", "burritos", "quesadillas"}, Address: "100 MISSION ST", Hours: "Mo-Fr:10AM-3PM",
			Schedule: "http://example.test/schedule/1.pdf", Location: loc(37.7925, -122.3960)},
		{ID: "2", PermitNumber: "21MFF-00002", Applicant: "Tacos El Primo", FacilityType: "Truck", Status: "APPROVED",
			FoodItems: []string{"tacos", "aguas frescas"}, Address: "2000 FOLSOM ST", Hours: "Sa-Su:11AM-6PM",
			Schedule: "http://example.test/schedule/2.pdf", Location: loc(37.7650, -122.4150)},
		{ID: "3", PermitNumber: "21MFF-00003", Applicant: "Burrito Republic", FacilityType: "Truck", Status: "REQUESTED",
			FoodItems: []string{"burritos", "bowls"}, Address: "500 HOWARD ST", Location: loc(37.7880, -122.3961)},
		{ID: "4", PermitNumber: "21MFF-00004", Applicant: "Coffee Cart Co", FacilityType: "Push Cart", Status: "APPROVED",
			FoodItems: []string{"coffee", "pastries"}, Address: "1 MARKET ST", Location: loc(37.7941, -122.3950)},
		{ID: "5", PermitNumber: "21MFF-00005", Applicant: "Cold Snacks", FacilityType: "Truck", Status: "EXPIRED",
			FoodItems: []string{"sandwiches", "beverages"}, Drinks: true, Address: "170 OTIS ST"},
		{ID: "6", PermitNumber: "21MFF-00006", Applicant: "Sunset Dogs", FacilityType: "Truck", Status: "APPROVED",
			FoodItems: []string{"hot dogs", "sodas"}, Address: "3000 NORIEGA ST", Location: loc(37.7530, -122.4930),
			Expiration: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)},
	}
}

// golden compares got, indented (one JSON value per line for NDJSON) so
// diffs are readable, with testdata/name.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	repo.Golden(t, filepath.Join("testdata", name), prettyBody(t, got))
}

func prettyBody(t *testing.T, body []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("request body is not JSON/NDJSON: %v\n%s", err, body)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// requestsTo returns the recorded requests whose method and path match.
func requestsTo(es *engine, method, pathSuffix string) []esfault.Request {
	var out []esfault.Request
	for _, r := range es.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			out = append(out, r)
		}
	}
	return out
}

func TestLoadSendsGoldenRequests(t *testing.T) {
	es := startEngine(t, goldenAlias)
	clock := &fixedClock{time.Date(2026, 11, 4, 12, 5, 1, 123e6, time.UTC)}
	c := newClient(t, es, clock)
	ctx := context.Background()

	first, err := c.Load(ctx, nil, fixturePermits())
	if err != nil {
		t.Fatal(err)
	}
	if first.Index != "sfdata-20261104t120501.123z" {
		t.Errorf("index name %q, want sfdata-20261104t120501.123z (alias, UTC time, sortable)", first.Index)
	}
	// 6 permits in batches of 3: create, 2 bulk, refresh, list the versions
	// and the alias's targets (what the swap compares against), swap.
	if first.Requests != 6 || first.Documents != 6 {
		t.Errorf("first load: %d requests, %d documents; want 6 and 6", first.Requests, first.Documents)
	}
	creates := requestsTo(es, "PUT", "/"+first.Index)
	if len(creates) != 1 {
		t.Fatalf("want one create-index request, got %d", len(creates))
	}
	golden(t, "create-index.json", creates[0].Body)
	bulks := requestsTo(es, "POST", "/_bulk")
	if len(bulks) != 2 {
		t.Fatalf("want 2 bulk requests for 6 permits in batches of 3, got %d", len(bulks))
	}
	golden(t, "bulk-1.ndjson", bulks[0].Body)
	golden(t, "bulk-2.ndjson", bulks[1].Body)
	swaps := requestsTo(es, "POST", "/_aliases")
	golden(t, "alias-swap-first.json", swaps[0].Body)

	es.ResetRequests()
	clock.t = clock.t.Add(24 * time.Hour)
	second, err := c.Load(ctx, nil, fixturePermits()[:2])
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "alias-swap-second.json", requestsTo(es, "POST", "/_aliases")[0].Body)
	if got := es.node.aliasTargets(t, es.alias); len(got) != 1 || got[0] != second.Index {
		t.Errorf("alias points to %v, want only %s", got, second.Index)
	}
	if len(second.Deleted) != 1 || second.Deleted[0] != first.Index {
		t.Errorf("deleted %v, want the previous version %s", second.Deleted, first.Index)
	}
	if got := es.node.versions(t, es.alias); len(got) != 1 {
		t.Errorf("indices after second load: %v, want only the new version", got)
	}
}

func TestQueryShapesAreGolden(t *testing.T) {
	cases := []struct {
		name string
		q    search.Query
	}{
		{"query-text.json", search.Query{Text: "burito"}},
		{"query-text-filters.json", search.Query{Text: "tacos", Status: "APPROVED", FacilityType: "Truck"}},
		{"query-geo.json", search.Query{Near: &search.Point{Lat: 37.7749, Lon: -122.4194}, RadiusMeters: 1500}},
		{"query-geo-text.json", search.Query{Text: "coffee", Near: &search.Point{Lat: 37.79, Lon: -122.39}, RadiusMeters: 500}},
	}
	es := startEngine(t, goldenAlias)
	clock := &fixedClock{time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)}
	c := newClient(t, es, clock)
	loaded, err := c.Load(context.Background(), nil, fixturePermits())
	if err != nil {
		t.Fatal(err)
	}
	// The first search reads the index's documents (one page: six permits).
	es.ResetRequests()
	if _, err := c.Search(context.Background(), search.Query{Text: "tacos"}); err != nil {
		t.Fatal(err)
	}
	reads := requestsTo(es, "POST", "/"+loaded.Index+"/_search")
	if len(reads) != 1 {
		t.Fatalf("want one read of the documents of %s, got %d", loaded.Index, len(reads))
	}
	golden(t, "documents-read.json", reads[0].Body)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es.ResetRequests()
			// Through the real node: a body it refuses fails here instead
			// of only in a golden diff.
			if _, err := c.Search(context.Background(), tc.q); err != nil {
				t.Fatalf("search %+v: %v", tc.q, err)
			}
			reqs := requestsTo(es, "POST", "/sfdata/_search")
			if len(reqs) != 1 {
				t.Fatalf("want one search request to the alias, got %d", len(reqs))
			}
			golden(t, tc.name, reqs[0].Body)
		})
	}
}

func TestSearchBehaviour(t *testing.T) {
	t.Parallel()
	es := startEngine(t, "")
	c := newClient(t, es, &fixedClock{time.Now()})
	ctx := context.Background()
	if _, err := c.Load(ctx, nil, fixturePermits()); err != nil {
		t.Fatal(err)
	}
	names := func(r foodtrucks.SearchResult) []string {
		var out []string
		for _, tr := range r.Trucks {
			out = append(out, tr.Name)
		}
		return out
	}

	t.Run("typo burito finds burritos", func(t *testing.T) {
		r, err := c.Search(ctx, search.Query{Text: "burito"})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(names(r), ",")
		if !strings.Contains(got, "Burrito Republic") || !strings.Contains(got, "Tacos El Primo") {
			t.Errorf("burito found %q; want both vendors selling burritos", got)
		}
	})

	t.Run("one truck per vendor with a branch per located permit", func(t *testing.T) {
		r, err := c.Search(ctx, search.Query{Text: "tacos"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "success" || r.Hits != 1 || r.Locations != 2 {
			t.Fatalf("tacos: status %q hits %d locations %d; want success, 1 truck, 2 branches", r.Status, r.Hits, r.Locations)
		}
		tr := r.Trucks[0]
		if tr.Name != "Tacos El Primo" || len(tr.Branches) != 2 {
			t.Fatalf("truck %+v", tr)
		}
		want := []string{"tacos", "burritos", "quesadillas", "aguas frescas"}
		if strings.Join(tr.FoodItems, "|") != strings.Join(want, "|") {
			t.Errorf("food items %v, want the union over permits %v", tr.FoodItems, want)
		}
		if tr.Branches[0].DistanceMeters != nil {
			t.Error("a text search must not report distances")
		}
	})

	t.Run("no coordinates means no branch, drinks kept", func(t *testing.T) {
		r, err := c.Search(ctx, search.Query{Text: "sandwiches"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Hits != 1 || r.Locations != 0 || !r.Trucks[0].Drinks || len(r.Trucks[0].Branches) != 0 {
			t.Errorf("cold truck without location: %+v", r)
		}
	})

	t.Run("geo: within radius, nearest first, distance per branch", func(t *testing.T) {
		// 1 Market St area; Coffee Cart (~100 m), Tacos #1 (~400 m) and
		// Burrito Republic (~690 m) are inside 1 km; Folsom St and the
		// Sunset are not.
		r, err := c.Search(ctx, search.Query{Near: &search.Point{Lat: 37.7935, Lon: -122.3960}, RadiusMeters: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(names(r), ",")
		if got != "Coffee Cart Co,Tacos El Primo,Burrito Republic" {
			t.Fatalf("geo order %q", got)
		}
		last := -1.0
		for _, tr := range r.Trucks {
			for _, b := range tr.Branches {
				if b.DistanceMeters == nil || *b.DistanceMeters > 1000 || *b.DistanceMeters < last {
					t.Fatalf("branch %+v: want a distance within 1000 m, ascending", b)
				}
				last = *b.DistanceMeters
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		r, err := c.Search(ctx, search.Query{Text: "burritos", Status: "APPROVED"})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(r), ","); got != "Tacos El Primo" {
			t.Errorf("status=APPROVED burritos: %q, want only the approved vendor", got)
		}
		r, err = c.Search(ctx, search.Query{Text: "coffee tacos", FacilityType: "Push Cart"})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(r), ","); got != "Coffee Cart Co" {
			t.Errorf("type=Push Cart: %q", got)
		}
	})

	t.Run("lucene syntax is plain text", func(t *testing.T) {
		// A query_string would read this as field:value with a wildcard
		// and match everything; plain matching finds no such words.
		r, err := c.Search(ctx, search.Query{Text: `applicant:* OR status:APPROVED~ AND /.*/`})
		if err != nil {
			t.Fatalf("hostile text must not be a search error: %v", err)
		}
		for _, tr := range r.Trucks {
			if tr.Name == "Sunset Dogs" || tr.Name == "Coffee Cart Co" {
				t.Errorf("syntax was interpreted: %q matched", tr.Name)
			}
		}
	})

	t.Run("limit", func(t *testing.T) {
		r, err := c.Search(ctx, search.Query{Text: "burritos", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Hits != 1 || len(r.Trucks) != 1 {
			t.Errorf("limit 1: %d trucks", r.Hits)
		}
	})
}

func TestFailedLoadKeepsServingTheOldAlias(t *testing.T) {
	t.Parallel()
	es := startEngine(t, "")
	clock := &fixedClock{time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)}
	c := newClient(t, es, clock)
	ctx := context.Background()
	first, err := c.Load(ctx, nil, fixturePermits())
	if err != nil {
		t.Fatal(err)
	}

	// The second load gets 4 documents in (one full batch of 3, one more),
	// then the node rejects the rest of the second batch.
	es.Inject(esfault.RejectBulkItemsAfter(4))
	clock.t = clock.t.Add(time.Hour)
	_, err = c.Load(ctx, nil, fixturePermits())
	if err == nil || !strings.Contains(err.Error(), "es_rejected_execution_exception") {
		t.Fatalf("load with rejected items: err %v, want a failure naming the rejection", err)
	}
	es.Clear()
	if got := es.node.aliasTargets(t, es.alias); len(got) != 1 || got[0] != first.Index {
		t.Errorf("alias now %v, want the old version %s still", got, first.Index)
	}
	if got := es.node.versions(t, es.alias); len(got) != 1 || got[0] != first.Index {
		t.Errorf("indices %v: the half-loaded version must be deleted", got)
	}
	r, err := c.Search(ctx, search.Query{Text: "hot dogs"})
	if err != nil || r.Hits != 1 {
		t.Errorf("old data must still answer: %v, %+v", err, r)
	}
}

func TestEngineFaults(t *testing.T) {
	t.Parallel()
	es := startEngine(t, "")
	c := newClient(t, es, &fixedClock{time.Now()})
	ctx := context.Background()

	if err := c.Ready(ctx); !errors.Is(err, search.ErrNotLoaded) {
		t.Errorf("Ready before any load: %v, want ErrNotLoaded", err)
	}
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); !errors.Is(err, search.ErrNotLoaded) {
		t.Errorf("Search before any load: %v, want ErrNotLoaded", err)
	}
	if _, err := c.Load(ctx, nil, fixturePermits()); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready after load: %v", err)
	}

	if err := es.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Ready while down: %v, want ErrUnavailable", err)
	}
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Search while down: %v, want ErrUnavailable", err)
	}
	if err := es.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); err != nil {
		t.Errorf("Search after the engine returned: %v", err)
	}

	// Two 503s outlast the client's single retry; one is absorbed.
	es.Inject(esfault.Fault{Times: 2, Answer: esfault.Unavailable("")})
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("Search on 503: %v, want ErrUnavailable", err)
	}
	es.Inject(esfault.Fault{Times: 1, Answer: esfault.Rejected("")})
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); err != nil {
		t.Errorf("a single 429 should be retried once and succeed: %v", err)
	}

	es.Inject(esfault.Fault{Delay: 300 * time.Millisecond})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := c.Search(short, search.Query{Text: "tacos"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow engine with a 50ms budget: %v, want a deadline error", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []search.Options{
		{URL: "", Alias: "sfdata"},
		{URL: "es:9200", Alias: "sfdata"},
		{URL: "ftp://es", Alias: "sfdata"},
		{URL: "http://es:9200", Alias: ""},
		{URL: "http://es:9200", Alias: "SFDATA"},
		{URL: "http://es:9200", Alias: "_hidden"},
		{URL: "http://es:9200", Alias: "a,b"},
		{URL: "http://es:9200", Alias: "with space"},
	} {
		if _, err := search.New(o); err == nil {
			t.Errorf("New(%+v) accepted a bad option", o)
		}
	}
}
