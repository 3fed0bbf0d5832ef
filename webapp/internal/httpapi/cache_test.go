package httpapi

import (
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// A lookup with another version empties the cache; answers of any version
// but the current one are not kept.
func TestResultCacheKeepsOneVersion(t *testing.T) {
	c := NewResultCache(1 << 20)
	if _, ok := c.Get("v1", "tacos"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put("v1", "tacos", []byte("one"))
	if b, ok := c.Get("v1", "tacos"); !ok || string(b) != "one" {
		t.Fatalf("v1 tacos: %q %v, want the answer just kept", b, ok)
	}
	if _, ok := c.Get("v2", "tacos"); ok {
		t.Fatal("an answer of v1 served for v2")
	}
	c.Put("v1", "tacos", []byte("late answer of the old version"))
	if _, ok := c.Get("v2", "tacos"); ok {
		t.Fatal("an answer of v1 kept after the cache moved to v2")
	}
	c.Put("", "tacos", []byte("no version"))
	if _, ok := c.Get("v2", "tacos"); ok {
		t.Fatal("an answer without a version was kept")
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 4 || st.Purges != 1 || st.Index != "v2" || st.Entries != 0 {
		t.Errorf("stats %+v, want 1 hit, 4 misses, 1 purge, version v2, no entries", st)
	}
}

// The cache holds at most its bytes and drops the least recently used.
func TestResultCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewResultCache(800) // entries of up to 100 bytes
	c.Get("v", "")
	body := []byte(strings.Repeat("x", 100))
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		c.Put("v", k, body)
	}
	c.Get("v", "a") // a is now the most recent
	c.Put("v", "i", body)
	if _, ok := c.Get("v", "b"); ok {
		t.Error("b, the least recently used, was kept past the bound")
	}
	for _, k := range []string{"a", "c", "i"} {
		if _, ok := c.Get("v", k); !ok {
			t.Errorf("%s was dropped", k)
		}
	}
	if st := c.Stats(); st.Bytes > 800 || st.Entries != 8 {
		t.Errorf("stats %+v, want 8 entries within 800 bytes", st)
	}
	c.Put("v", "huge", []byte(strings.Repeat("x", 101)))
	if _, ok := c.Get("v", "huge"); ok {
		t.Error("an answer over an eighth of the cache was kept")
	}
}

// Queries that differ only in case and spaces share an entry (every
// analyser lower-cases); any other difference does not.
func TestCacheKeyIsCanonical(t *testing.T) {
	p := &search.Point{Lat: 37.78, Lon: -122.41}
	base := search.Query{Text: "tacos"}
	if cacheKey(search.Query{Text: "  Tacos "}) != cacheKey(base) {
		t.Error(`"  Tacos " and "tacos" have different keys`)
	}
	seen := map[string]string{cacheKey(base): "base"}
	for name, q := range map[string]search.Query{
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
