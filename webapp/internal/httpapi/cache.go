package httpapi

import (
	"container/list"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// IndexResolver names the concrete index the alias points to, read after
// the call began (*search.Client is one).
type IndexResolver interface {
	CurrentIndex(ctx context.Context) (string, error)
}

// IndexSearcher is a Searcher that also names the index that answered.
type IndexSearcher interface {
	IndexResolver
	SearchIndex(ctx context.Context, q search.Query) (res foodtrucks.SearchResult, index string, err error)
}

// ResultCache keeps encoded search answers of one index version: the index
// the alias pointed to when they were computed. Every lookup brings the
// version the alias points to now (read after the request arrived); a
// different one empties the cache, whichever replica swapped the alias. So
// an answer is served only while the alias still points at the data it came
// from. It is bounded by the bytes of the answers it holds and drops the
// least recently used first.
type ResultCache struct {
	maxBytes int

	mu      sync.Mutex
	index   string // the version every entry belongs to
	bytes   int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element

	flights map[string]*flight // searches running for a missed key, by version and key

	hits, misses, purges, shared atomic.Int64
}

// flight is one search whose answer the requests that missed the same key
// of the same version meanwhile wait for, instead of each asking the
// engine (after a swap empties the cache, the popular queries all miss at
// once).
type flight struct {
	done chan struct{}
	body []byte // nil when the search failed: each waiter then asks itself
}

type cacheEntry struct {
	key  string
	body []byte
}

// NewResultCache holds at most maxBytes of answers.
func NewResultCache(maxBytes int) *ResultCache {
	return &ResultCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// CacheStats are the cache's counters, in /api/stats.
type CacheStats struct {
	Hits     int64  `json:"hits"`
	Misses   int64  `json:"misses"`
	Purges   int64  `json:"purges"` // emptied because the alias moved to another version
	Shared   int64  `json:"shared"` // misses answered by the search another request was running for the same key
	Entries  int    `json:"entries"`
	Bytes    int    `json:"bytes"`
	MaxBytes int    `json:"max_bytes"`
	Index    string `json:"index"` // the version the entries belong to
}

// Stats reports the counters.
func (c *ResultCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Purges: c.purges.Load(), Shared: c.shared.Load(),
		Entries: len(c.entries), Bytes: c.bytes, MaxBytes: c.maxBytes, Index: c.index,
	}
}

// Get returns the answer for key computed on index, the version the alias
// points to now. A version other than the cache's empties it.
func (c *ResultCache) Get(index, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != c.index {
		c.resetLocked(index)
	}
	el, ok := c.entries[key]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).body, true
}

// Put keeps body for key if it was computed on the cache's version (an
// answer from another one, older or newer, is not kept).
func (c *ResultCache) Put(index, key string, body []byte) {
	if index == "" || len(body) > c.maxBytes/8 {
		return // no version to file it under, or too big to be worth the room
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != c.index {
		return
	}
	if el, ok := c.entries[key]; ok {
		c.bytes -= len(el.Value.(*cacheEntry).body)
		c.order.Remove(el)
		delete(c.entries, key)
	}
	for c.bytes+len(body) > c.maxBytes && c.order.Len() > 0 {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.bytes -= len(e.body)
		c.order.Remove(last)
		delete(c.entries, e.key)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.bytes += len(body)
}

// lookup answers key on index from the cache, or else with the answer of
// the search another request is running for them (waiting within ctx).
// Otherwise the body is nil: with leader set the caller runs the search
// for everyone who comes meanwhile and must call land; without, that other
// search failed and the caller asks on its own.
func (c *ResultCache) lookup(ctx context.Context, index, key string) (body []byte, leader bool, err error) {
	if body, ok := c.Get(index, key); ok {
		return body, false, nil
	}
	f := c.join(index, key)
	if f == nil {
		return nil, true, nil
	}
	select {
	case <-f.done:
		if f.body != nil {
			c.shared.Add(1)
		}
		return f.body, false, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// join is called after a miss of key on index: it returns the search
// already running for them to wait for, or nil when the caller is to run
// it, and must then call land.
func (c *ResultCache) join(index, key string) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := index + "\x00" + key
	if f, ok := c.flights[id]; ok {
		return f
	}
	c.flights[id] = &flight{done: make(chan struct{})}
	return nil
}

// land ends the search join handed to the caller, with its encoded answer
// or nil when it failed.
func (c *ResultCache) land(index, key string, body []byte) {
	c.mu.Lock()
	id := index + "\x00" + key
	f := c.flights[id]
	delete(c.flights, id)
	c.mu.Unlock()
	f.body = body
	close(f.done)
}

func (c *ResultCache) resetLocked(index string) {
	if c.index != "" || len(c.entries) > 0 {
		c.purges.Add(1)
	}
	c.index = index
	c.bytes = 0
	c.order.Init()
	clear(c.entries)
}

// cacheKey is q in a canonical form. Text is lower-cased and trimmed: every
// analyser of the mapping lower-cases and splits on spaces, so the answer
// does not change.
func cacheKey(q search.Query) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(strings.TrimSpace(q.Text)))
	b.WriteByte(0)
	if q.Near != nil {
		b.WriteString(strconv.FormatFloat(q.Near.Lat, 'g', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(q.Near.Lon, 'g', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(q.RadiusMeters, 'g', -1, 64))
	}
	b.WriteByte(0)
	b.WriteString(q.Status)
	b.WriteByte(0)
	b.WriteString(q.FacilityType)
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(q.Limit))
	return b.String()
}
