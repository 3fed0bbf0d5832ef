package search_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
)

// Searches ask the node only for permit ids and complete the hits from the
// app's copy of the answering index's documents. These tests check that the
// copy is always the one of the index that answered, read once, in pages,
// read again when the index changed under it, and that a failed or hung read
// answers 503 promptly and is tried again by the next search.

// documentReads counts the reads of index's documents (POST /<index>/_search,
// as opposed to searches, which go to the alias).
func documentReads(es *engine, index string) int {
	return len(requestsTo(es, "POST", "/"+index+"/_search"))
}

// branchAddresses lists every truck's name with its branches' addresses.
func branchAddresses(r foodtrucks.SearchResult) []string {
	var out []string
	for _, tr := range r.Trucks {
		for _, b := range tr.Branches {
			out = append(out, tr.Name+" @ "+b.Address)
		}
	}
	slices.Sort(out)
	return out
}

// startLoaded is an engine of the test's own with the fixture permits
// loaded, and a client of it whose versions are named by clock.
func startLoaded(t *testing.T, clock *fixedClock) (*engine, *search.Client, search.LoadResult) {
	t.Helper()
	es := startEngine(t, "")
	c := newClient(t, es, clock)
	loaded, err := c.Load(context.Background(), nil, fixturePermits())
	if err != nil {
		t.Fatal(err)
	}
	return es, c, loaded
}

// Tried: load a version, search; load a second version in which the same
// permit ids carry other names and addresses, search again. Keyed by permit
// id alone, the second answer would show the first version's names.
func TestHitsAreCompletedFromTheIndexThatAnswered(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)}
	es, c, first := startLoaded(t, clock)
	ctx := context.Background()
	for range 5 {
		res, err := c.Search(ctx, search.Query{Text: "tacos"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := branchAddresses(res), []string{"Tacos El Primo @ 100 MISSION ST", "Tacos El Primo @ 2000 FOLSOM ST"}; !slices.Equal(got, want) {
			t.Fatalf("first version: got %q, want %q", got, want)
		}
	}
	if n := documentReads(es, first.Index); n != 1 {
		t.Errorf("five searches read the documents of %s %d times, want once", first.Index, n)
	}

	renamed := fixturePermits()
	renamed[0].Applicant, renamed[0].Address = "Tacos La Segunda", "9 VALENCIA ST"
	renamed[1].Applicant = "Tacos La Segunda"
	clock.t = clock.t.Add(time.Minute)
	second, err := c.Load(ctx, nil, renamed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ctx, search.Query{Text: "tacos"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != second.Index {
		t.Errorf("answered by %q, want the new version %s", res.Version, second.Index)
	}
	if got, want := branchAddresses(res), []string{"Tacos La Segunda @ 2000 FOLSOM ST", "Tacos La Segunda @ 9 VALENCIA ST"}; !slices.Equal(got, want) {
		t.Errorf("after the swap: got %q, want %q", got, want)
	}
}

// Tried: documents read two at a time from an index of six permits, then a
// search whose answer needs every permit with a location.
func TestDocumentsAreReadInPages(t *testing.T) {
	t.Parallel()
	es := startEngine(t, "")
	c, err := search.New(search.Options{URL: es.URL, Alias: es.alias, DocumentsPageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	loaded, err := c.Load(ctx, nil, fixturePermits())
	if err != nil {
		t.Fatal(err)
	}
	// 20 km around the city: every permit with coordinates.
	res, err := c.Search(ctx, search.Query{Near: &search.Point{Lat: 37.7749, Lon: -122.4194}, RadiusMeters: 20000})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range fixturePermits() {
		if p.Location != nil {
			want = append(want, p.Applicant+" @ "+p.Address)
		}
	}
	slices.Sort(want)
	if got := branchAddresses(res); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Six permits two at a time: three full pages and an empty one.
	if n := documentReads(es, loaded.Index); n != 4 {
		t.Errorf("read the documents in %d requests, want 4 (pages of 2 of 6 permits)", n)
	}
}

// Tried: after the copy was read, a permit is written straight into the
// index the alias points to (as an operator might); a search that finds it
// must read the documents again instead of failing or dropping it.
func TestDocumentsWrittenAfterTheReadAreReadAgain(t *testing.T) {
	t.Parallel()
	es, c, loaded := startLoaded(t, &fixedClock{time.Now()})
	ctx := context.Background()
	if _, err := c.Search(ctx, search.Query{Text: "tacos"}); err != nil {
		t.Fatal(err)
	}
	doc := `{"id":"99","applicant":"Taco Latecomer","fooditems":["tacos"],"drinks":false,"address":"1 LATE ST","location":{"lat":37.77,"lon":-122.42}}`
	if status, body := es.node.do(t, "PUT", "/"+loaded.Index+"/_doc/99?refresh=true", "application/json", []byte(doc)); status != http.StatusCreated {
		t.Fatalf("writing a permit into %s: HTTP %d %s", loaded.Index, status, body)
	}
	res, err := c.Search(ctx, search.Query{Text: "tacos"})
	if err != nil {
		t.Fatal(err)
	}
	if got := branchAddresses(res); !slices.Contains(got, "Taco Latecomer @ 1 LATE ST") {
		t.Errorf("the permit written after the read is missing: %q", got)
	}
	if n := documentReads(es, loaded.Index); n != 2 {
		t.Errorf("read the documents %d times, want twice", n)
	}
}

// Tried: the read of the documents answered 503 (twice: the client retries
// once), then hung; each search must answer ErrUnavailable within its own
// deadline, and the next search without the fault must succeed (a failed
// read is not kept).
func TestDocumentReadFaultsAreNotKept(t *testing.T) {
	t.Parallel()
	es, c, loaded := startLoaded(t, &fixedClock{time.Now()})
	ctx := context.Background()
	readPath := "/" + loaded.Index + "/_search"

	es.Inject(esfault.Fault{Method: "POST", Path: readPath, Times: 2, Answer: esfault.Unavailable("1")})
	_, err := c.Search(ctx, search.Query{Text: "tacos"})
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "read the documents of "+loaded.Index) {
		t.Fatalf("with the read failing: %v, want ErrUnavailable naming the read", err)
	}

	es.Inject(esfault.Fault{Method: "POST", Path: readPath, Hang: true})
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	start := time.Now()
	_, err = c.Search(short, search.Query{Text: "tacos"})
	cancel()
	if took := time.Since(start); err == nil || took > 1500*time.Millisecond {
		t.Fatalf("with the read hung: %v after %v, want an error within the caller's 500 ms", err, took)
	}
	if !errors.Is(err, search.ErrUnavailable) {
		t.Errorf("with the read hung: %v, want ErrUnavailable (503)", err)
	}

	es.Clear()
	// The hung read ends at its own bound (search.SearchTimeout); the next
	// search may wait for it, then reads again.
	deadline := time.Now().Add(2*search.SearchTimeout + time.Second)
	for {
		res, err := c.Search(ctx, search.Query{Text: "tacos"})
		if err == nil {
			if len(res.Trucks) != 1 || res.Trucks[0].Name != "Tacos El Primo" {
				t.Errorf("after the faults: %+v", res.Trucks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("searches still fail %v after the faults were cleared: %v", 2*search.SearchTimeout+time.Second, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Tried: the index that answered is reported gone when its documents are
// read (what a search sees when another replica swaps the alias and deletes
// the old version in between): the search is asked again and answers.
func TestSearchIsAskedAgainWhenTheAnsweringIndexIsGone(t *testing.T) {
	t.Parallel()
	es, c, loaded := startLoaded(t, &fixedClock{time.Now()})
	ctx := context.Background()
	es.Inject(esfault.Fault{Method: "POST", Path: "/" + loaded.Index + "/_search", Times: 1,
		Answer: esfault.ErrorAnswer(404, "index_not_found_exception", "no such index ["+loaded.Index+"]")})
	res, err := c.Search(ctx, search.Query{Text: "tacos"})
	if err != nil {
		t.Fatalf("search after the answering index was reported gone: %v", err)
	}
	if len(res.Trucks) != 1 || res.Trucks[0].Name != "Tacos El Primo" {
		t.Errorf("got %+v", res.Trucks)
	}
	if n := len(requestsTo(es, "POST", "/"+es.alias+"/_search")); n != 2 {
		t.Errorf("the alias was searched %d times, want twice", n)
	}
}
