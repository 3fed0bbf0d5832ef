package httpapi

import (
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/gzipped"
)

// A lookup with another version empties the cache; answers of any version
// but the current one are not kept.
func TestResultCacheKeepsOneVersion(t *testing.T) {
	c := NewResultCache(1<<20, nil)
	if _, ok := c.get("v1", "tacos"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.put("v1", "tacos", answer{json: []byte("one")})
	if b, ok := c.get("v1", "tacos"); !ok || string(b.json) != "one" {
		t.Fatalf("v1 tacos: %q %v, want the answer just kept", b, ok)
	}
	if _, ok := c.get("v2", "tacos"); ok {
		t.Fatal("an answer of v1 served for v2")
	}
	c.put("v1", "tacos", answer{json: []byte("late answer of the old version")})
	if _, ok := c.get("v2", "tacos"); ok {
		t.Fatal("an answer of v1 kept after the cache moved to v2")
	}
	c.put("", "tacos", answer{json: []byte("no version")})
	if _, ok := c.get("v2", "tacos"); ok {
		t.Fatal("an answer without a version was kept")
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 4 || st.Purges != 1 || st.Index != "v2" || st.Entries != 0 {
		t.Errorf("stats %+v, want 1 hit, 4 misses, 1 purge, version v2, no entries", st)
	}
}

// The cache holds at most its bytes and drops the least recently used.
func TestResultCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewResultCache(800, nil) // entries of up to 100 bytes
	c.get("v", "")
	body := answer{json: []byte(strings.Repeat("x", 60)), gzipped: []byte(strings.Repeat("z", 40))}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		c.put("v", k, body)
	}
	c.get("v", "a") // a is now the most recent
	c.put("v", "i", body)
	if _, ok := c.get("v", "b"); ok {
		t.Error("b, the least recently used, was kept past the bound")
	}
	for _, k := range []string{"a", "c", "i"} {
		if _, ok := c.get("v", k); !ok {
			t.Errorf("%s was dropped", k)
		}
	}
	if st := c.Stats(); st.Bytes > 800 || st.Entries != 8 {
		t.Errorf("stats %+v, want 8 entries within 800 bytes", st)
	}
	c.put("v", "huge", answer{json: []byte(strings.Repeat("x", 101))})
	if _, ok := c.get("v", "huge"); ok {
		t.Error("an answer over an eighth of the cache was kept")
	}
}

// Queries that differ only in case and spaces share an entry (every
// analyser lower-cases); any other difference does not.
func TestCacheKeyIsCanonical(t *testing.T) {
	p := &foodtrucks.Point{Lat: 37.78, Lon: -122.41}
	base := foodtrucks.Query{Text: "tacos"}
	if cacheKey(foodtrucks.Query{Text: "  Tacos "}) != cacheKey(base) {
		t.Error(`"  Tacos " and "tacos" have different keys`)
	}
	seen := map[string]string{cacheKey(base): "base"}
	for name, q := range map[string]foodtrucks.Query{
		"text":     {Text: "taco"},
		"near":     {Text: "tacos", Near: p, RadiusMeters: 1000},
		"radius":   {Text: "tacos", Near: p, RadiusMeters: 2000},
		"status":   {Text: "tacos", Status: "APPROVED"},
		"facility": {Text: "tacos", FacilityType: "Truck"},
		"limit":    {Text: "tacos", Limit: 3},
		"status=a": {Text: "tacos", Status: "a"},
		"type=a":   {Text: "tacos", FacilityType: "a"},
	} {
		k := cacheKey(q)
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		seen[k] = name
	}
}

// slowAnswers answers after a pause, from the version it is set to, and
// counts the searches that reach it.
type slowAnswers struct {
	version  atomic.Value // string
	searches atomic.Int64
	err      error
}

func (s *slowAnswers) answer(ctx context.Context, q foodtrucks.Query) (answer, string, error) {
	s.searches.Add(1)
	time.Sleep(50 * time.Millisecond)
	if s.err != nil {
		return answer{}, "", s.err
	}
	v := s.version.Load().(string)
	return answer{json: []byte(v + ":" + q.Text)}, v, nil
}

func askAll(a answerer, text string, n int) []string {
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body, _, err := a.answer(context.Background(), foodtrucks.Query{Text: text})
			if err != nil {
				got[i] = "error: " + err.Error()
				return
			}
			got[i] = string(body.json)
		})
	}
	wg.Wait()
	return got
}

// Misses of one key at once share one search and all get its answer (or
// its error); a hit asks nothing; a new version served empties the cache;
// without one version the cache stands aside.
func TestCachedSearchesShareMissesAndFollowTheServedVersion(t *testing.T) {
	next := &slowAnswers{}
	next.version.Store("v1")
	var serving atomic.Value
	serving.Store("v1")
	c := NewResultCache(1<<20, func(context.Context) (string, error) {
		if v := serving.Load().(string); v != "" {
			return v, nil
		}
		return "", errors.New("the alias points at two indices")
	})
	a := c.wrap(next)

	for i, got := range askAll(a, "tacos", 8) {
		if got != "v1:tacos" {
			t.Errorf("request %d: %q, want v1:tacos", i, got)
		}
	}
	if n := next.searches.Load(); n != 1 {
		t.Errorf("8 misses at once sent %d searches, want 1", n)
	}
	if got := askAll(a, "tacos", 1)[0]; got != "v1:tacos" || next.searches.Load() != 1 {
		t.Errorf("repeated search: %q after %d searches, want a hit", got, next.searches.Load())
	}

	next.version.Store("v2")
	serving.Store("v2")
	if got := askAll(a, "tacos", 1)[0]; got != "v2:tacos" {
		t.Errorf("after the served version changed: %q, want v2:tacos", got)
	}

	// An answer without hits does not name its version: it is filed under
	// the one read before the search.
	next.version.Store("")
	askAll(a, "nothing", 1)
	next.version.Store("v2")
	before := next.searches.Load()
	if got := askAll(a, "nothing", 1)[0]; got != ":nothing" || next.searches.Load() != before {
		t.Errorf("repeated search without hits: %q after %d more searches, want a hit", got, next.searches.Load()-before)
	}

	next.err = errors.New("engine down")
	for i, got := range askAll(a, "burrito", 4) {
		if got != "error: engine down" {
			t.Errorf("request %d with the shared search failing: %q", i, got)
		}
	}
	next.err = nil

	serving.Store("")
	before = next.searches.Load()
	askAll(a, "tacos", 2)
	if n := next.searches.Load() - before; n != 2 {
		t.Errorf("without one version: %d searches for 2 requests, want 2 (no cache)", n)
	}
	st := c.Stats()
	if st.Shared != 7+3 || st.Purges != 1 || st.Hits != 2 {
		t.Errorf("stats %+v, want 10 shared (7 and 3 waiters), 1 purge, 2 hits", st)
	}
}

// countingAnswers compresses like the real answerer and counts how often.
type countingAnswers struct{ compressions atomic.Int64 }

func (c *countingAnswers) answer(_ context.Context, q foodtrucks.Query) (answer, string, error) {
	c.compressions.Add(1)
	body := []byte(strings.Repeat(`{"name":"`+q.Text+`"},`, 100))
	return answer{json: body, gzipped: gzipped.Compress(body, gzip.DefaultCompression)}, "v1", nil
}

// A hit is sent from the bytes compressed on the miss: the same bytes, and
// no second compression.
func TestCacheHitsKeepTheCompressedAnswer(t *testing.T) {
	next := &countingAnswers{}
	c := NewResultCache(1<<20, func(context.Context) (string, error) { return "v1", nil })
	a := c.wrap(next)
	miss, _, err := a.answer(context.Background(), foodtrucks.Query{Text: "tacos"})
	if err != nil {
		t.Fatal(err)
	}
	hit, _, err := a.answer(context.Background(), foodtrucks.Query{Text: "tacos"})
	if err != nil {
		t.Fatal(err)
	}
	if miss.gzipped == nil || &hit.gzipped[0] != &miss.gzipped[0] || next.compressions.Load() != 1 {
		t.Errorf("%d compressions for a miss and a hit, the hit's gzip bytes the miss's: %v", next.compressions.Load(), miss.gzipped != nil && &hit.gzipped[0] == &miss.gzipped[0])
	}
}
