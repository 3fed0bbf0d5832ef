package search_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
)

// cannedAnswer is what the proxy gives every request instead of the node's
// answer, for the shapes a healthy node never sends: Elasticsearch's error
// bodies at any status, a proxy's HTML error page, a cut-off answer, a
// server that is not Elasticsearch.
type cannedAnswer struct {
	status        int
	body          string
	contentType   string
	productHeader bool // X-Elastic-Product: Elasticsearch, as every real node sends
}

// startCannedES puts the answer in front of the shared node for every
// request and returns a client through it and the proxy, which counts the
// requests.
func startCannedES(t *testing.T, a cannedAnswer) (*search.Client, *engine) {
	t.Helper()
	es := startEngine(t, "")
	header := http.Header{"Content-Type": {cmp.Or(a.contentType, "application/json")}}
	if a.productHeader {
		header.Set("X-Elastic-Product", "Elasticsearch")
	}
	es.Inject(esfault.Fault{Answer: &esfault.Answer{Status: a.status, Header: header, Body: a.body}})
	c, err := search.New(search.Options{URL: es.URL, Alias: es.alias})
	if err != nil {
		t.Fatal(err)
	}
	return c, es
}

// Elasticsearch's own error shape, as a node sends it.
func esErrorBody(status int, typ, reason, rootType, rootReason string) string {
	return `{"error":{"root_cause":[{"type":"` + rootType + `","reason":"` + rootReason + `"}],"type":"` + typ +
		`","reason":"` + reason + `"},"status":` + strconv.Itoa(status) + `}`
}

func TestErrorAnswersAreReadAndClassified(t *testing.T) {
	cases := []struct {
		name         string
		answer       cannedAnswer
		wantKind     error    // ErrUnavailable, ErrNotLoaded or nil: neither
		wantInErr    []string // what the message must name
		wantRequests int      // 2 when the client's one retry applies
	}{
		{
			name: "a query the node cannot parse is the search's fault, not the engine's",
			answer: cannedAnswer{status: 400, productHeader: true, body: esErrorBody(400, "search_phase_execution_exception", "all shards failed",
				"query_shard_exception", "failed to create query: For input string")},
			wantInErr:    []string{"400", "search_phase_execution_exception", "all shards failed", "query_shard_exception: failed to create query"},
			wantRequests: 1,
		},
		{
			name:         "a missing index means nothing is loaded yet",
			answer:       cannedAnswer{status: 404, productHeader: true, body: esErrorBody(404, "index_not_found_exception", "no such index [sfdata]", "index_not_found_exception", "no such index [sfdata]")},
			wantKind:     search.ErrNotLoaded,
			wantInErr:    []string{"404", "index_not_found_exception", "no such index [sfdata]"},
			wantRequests: 1,
		},
		{
			name:         "a blocked cluster is unavailable, after one retry",
			answer:       cannedAnswer{status: 503, productHeader: true, body: esErrorBody(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];", "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];")},
			wantKind:     search.ErrUnavailable,
			wantInErr:    []string{"503", "cluster_block_exception", "state not recovered"},
			wantRequests: 2,
		},
		{
			name:         "a rejected request (429) is unavailable, after one retry",
			answer:       cannedAnswer{status: 429, productHeader: true, body: esErrorBody(429, "es_rejected_execution_exception", "rejected execution of coordinating operation", "es_rejected_execution_exception", "rejected execution of coordinating operation")},
			wantKind:     search.ErrUnavailable,
			wantInErr:    []string{"429", "es_rejected_execution_exception"},
			wantRequests: 2,
		},
		{
			name:         "a proxy's HTML page for a node that is away (502)",
			answer:       cannedAnswer{status: 502, contentType: "text/html", body: "<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"},
			wantKind:     search.ErrUnavailable,
			wantInErr:    []string{"502", "<title>502 Bad Gateway</title>"},
			wantRequests: 2,
		},
		{
			name:         "a gateway timeout (504) with no body",
			answer:       cannedAnswer{status: 504},
			wantKind:     search.ErrUnavailable,
			wantInErr:    []string{"504"},
			wantRequests: 2,
		},
		{
			name:         "an error given as a bare string",
			answer:       cannedAnswer{status: 400, productHeader: true, body: `{"error":"no handler found for uri [/sfdata/_search] and method [POST]","status":400}`},
			wantInErr:    []string{"400", "no handler found for uri [/sfdata/_search]"},
			wantRequests: 1,
		},
		{
			name:         "wrong credentials are a configuration error, not an outage",
			answer:       cannedAnswer{status: 401, productHeader: true, body: esErrorBody(401, "security_exception", "unable to authenticate user [elastic] for REST request [/sfdata/_search]", "security_exception", "unable to authenticate user [elastic] for REST request [/sfdata/_search]")},
			wantInErr:    []string{"401", "security_exception", "unable to authenticate user [elastic]"},
			wantRequests: 1,
		},
		{
			name:         "an answer cut off mid-way",
			answer:       cannedAnswer{status: 200, productHeader: true, body: `{"hits":{"hits":[{"_index":"sfdata-20261104t120000.000z","fields":{"id":["13`},
			wantKind:     search.ErrUnavailable,
			wantInErr:    []string{"decode answer", "unexpected EOF"},
			wantRequests: 1,
		},
		{
			// An index made by something else than this package, whose
			// ids are numbers.
			name:         "a complete answer with a field of the wrong type is not an outage",
			answer:       cannedAnswer{status: 200, productHeader: true, body: `{"hits":{"hits":[{"_index":"sfdata-20261104t120000.000z","fields":{"id":[1337]}}]}}`},
			wantInErr:    []string{"decode answer", "hits.hits.fields.id"},
			wantRequests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, es := startCannedES(t, tc.answer)
			_, err := c.Search(context.Background(), search.Query{Text: "tacos"})
			if err == nil {
				t.Fatalf("search answered %d %q: no error", tc.answer.status, tc.answer.body)
			}
			for _, kind := range []error{search.ErrUnavailable, search.ErrNotLoaded} {
				if got, want := errors.Is(err, kind), kind == tc.wantKind; got != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, kind, got, want)
				}
			}
			for _, s := range tc.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			if got := len(es.Requests()); got != tc.wantRequests {
				t.Errorf("%d requests sent, want %d", got, tc.wantRequests)
			}
		})
	}
}

func TestProductCheck(t *testing.T) {
	t.Run("a server that does not say it is Elasticsearch is refused", func(t *testing.T) {
		c, _ := startCannedES(t, cannedAnswer{status: 200, body: `{"name":"look-alike","version":{"number":"8.19.7"},"tagline":"You Know, for Search"}`})
		err := c.Ping(context.Background())
		if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "not Elasticsearch") {
			t.Errorf("Ping against a server without the product header: %v, want ErrUnavailable saying it is not Elasticsearch", err)
		}
		if _, err := c.Search(context.Background(), search.Query{Text: "tacos"}); !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("Search against it: %v, want ErrUnavailable", err)
		}
	})
	t.Run("the header is not required on an error answer", func(t *testing.T) {
		// Proxies and security layers answer errors themselves; the
		// official client checks only successful answers too.
		c, _ := startCannedES(t, cannedAnswer{status: 401, body: `{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`})
		err := c.Ping(context.Background())
		if err == nil || strings.Contains(err.Error(), "not Elasticsearch") || !strings.Contains(err.Error(), "security_exception") {
			t.Errorf("Ping answered 401 without the header: %v, want the 401 itself", err)
		}
	})
	t.Run("Elasticsearch passes", func(t *testing.T) {
		es := startEngine(t, "")
		c := newClient(t, es, &fixedClock{time.Now()})
		if err := c.Ping(context.Background()); err != nil {
			t.Errorf("Ping against the real node: %v", err)
		}
	})
}

// bodyTracker counts response bodies handed out and not yet closed.
type bodyTracker struct {
	next http.RoundTripper
	mu   sync.Mutex
	open map[*trackedBody]string
}

type trackedBody struct {
	io.ReadCloser
	t    *bodyTracker
	once sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() {
		b.t.mu.Lock()
		delete(b.t.open, b)
		b.t.mu.Unlock()
	})
	return b.ReadCloser.Close()
}

func (t *bodyTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err != nil {
		return res, err
	}
	b := &trackedBody{ReadCloser: res.Body, t: t}
	t.mu.Lock()
	t.open[b] = r.Method + " " + r.URL.Path
	t.mu.Unlock()
	res.Body = b
	return res, nil
}

func TestEveryResponseBodyIsClosed(t *testing.T) {
	t.Parallel()
	es := startEngine(t, "")
	tracker := &bodyTracker{next: http.DefaultTransport.(*http.Transport).Clone(), open: map[*trackedBody]string{}}
	clock := &fixedClock{time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)}
	c, err := search.New(search.Options{URL: es.URL, Alias: es.alias, Now: clock.now, BulkBatchDocs: 3, Transport: tracker})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Every call the package makes, on success and on failure.
	_ = c.Ping(ctx)
	_ = c.Ready(ctx) // not loaded: a 404
	_, _ = c.Search(ctx, search.Query{Text: "tacos"})
	_ = c.Ready(ctx)
	if _, err := c.Load(ctx, nil, fixturePermits()); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Hour)
	if _, err := c.Load(ctx, nil, fixturePermits()); err != nil { // also deletes the old version
		t.Fatal(err)
	}
	es.Inject(esfault.RejectBulkItemsAfter(2))
	clock.t = clock.t.Add(time.Hour)
	if _, err := c.Load(ctx, nil, fixturePermits()); err == nil { // rejected items, partial index deleted
		t.Fatal("load with rejected items succeeded")
	}
	es.Clear()
	_, _ = c.Search(ctx, search.Query{Near: &search.Point{Lat: 37.79, Lon: -122.39}, RadiusMeters: 1000})
	_ = c.Ready(ctx)
	es.Inject(esfault.Fault{Times: 2, Answer: esfault.Unavailable("")}) // retried once, then given up
	_, _ = c.Search(ctx, search.Query{Text: "tacos"})
	es.Inject(esfault.Fault{Times: 1, Truncate: true}) // a body cut short
	_, _ = c.Search(ctx, search.Query{Text: "tacos"})
	es.Inject(esfault.Fault{Times: 2, Reset: true}) // the connection reset mid-body, twice
	_, _ = c.Search(ctx, search.Query{Text: "tacos"})

	tracker.mu.Lock()
	defer tracker.mu.Unlock()
	if len(tracker.open) > 0 {
		var left []string
		for _, what := range tracker.open {
			left = append(left, what)
		}
		t.Errorf("%d response bodies left open: %v", len(left), left)
	}
	if got := len(es.Requests()); got < 15 {
		t.Errorf("only %d requests reached the proxy; the test meant to exercise every call", got)
	}
}

// BenchmarkSearchRoundTrip measures one search through the adapter over
// loopback HTTP: request encoding, the transport, decoding a whole-city
// answer (500 hits with distances), completing the hits from the copy of
// the index's documents (read once, before the timer) and grouping them
// into trucks. The server side is a canned answer, so the numbers are the
// adapter's own.
func BenchmarkSearchRoundTrip(b *testing.B) {
	const index = "sfdata-20261104t120000.000z"
	var hits, docs strings.Builder
	hits.WriteString(`{"hits":{"hits":[`)
	docs.WriteString(`{"hits":{"hits":[`)
	for i := range 500 {
		if i > 0 {
			hits.WriteByte(',')
			docs.WriteByte(',')
		}
		n := strconv.Itoa(i)
		hits.WriteString(`{"_index":"` + index + `","fields":{"id":["` + n + `"]},"sort":[` + strconv.Itoa(10*i) + `.25]}`)
		docs.WriteString(`{"_source":{"id":"` + n + `","applicant":"Vendor ` + strconv.Itoa(i/3) + `","fooditems":["tacos","burritos","quesadillas","aguas frescas"],` +
			`"drinks":false,"dayshours":"Mo-Fr:10AM-3PM","schedule":"http://example.test/schedule/` + n + `.pdf",` +
			`"address":"` + n + ` MISSION ST","location":{"lat":37.79,"lon":-122.39}},"sort":["` + n + `"]}`)
	}
	hits.WriteString(`]}}`)
	docs.WriteString(`]}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/"+index+"/_search" {
			_, _ = io.WriteString(w, docs.String())
			return
		}
		_, _ = io.WriteString(w, hits.String())
	}))
	defer srv.Close()
	c, err := search.New(search.Options{URL: srv.URL, Alias: "sfdata"})
	if err != nil {
		b.Fatal(err)
	}
	q := search.Query{Near: &search.Point{Lat: 37.79, Lon: -122.39}, RadiusMeters: 50_000}
	ctx := context.Background()
	if _, err := c.Search(ctx, q); err != nil { // reads the documents
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(hits.Len()))
	for b.Loop() {
		r, err := c.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if r.Locations != 500 {
			b.Fatalf("%d branches, want 500", r.Locations)
		}
	}
}
