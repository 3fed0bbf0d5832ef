package httpapi

import (
	"container/list"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// ResultCache keeps encoded search answers (JSON and its gzip form) of one data version: the index
// the alias points to. Every search first asks which one that is now (a
// read of the alias that concurrent searches share): a different version
// empties the cache, whichever replica swapped the alias, and an engine
// that is down or hung fails the search instead of it being answered from
// memory. Searches that miss the same key at once share one search (after
// a swap empties the cache, the popular queries all miss together), and
// its failure. It is bounded by the bytes of the answers it holds and
// drops the least recently used first.
type ResultCache struct {
	maxBytes int
	version  func(ctx context.Context) (string, error) // the version the alias points to now
	flights  singleflight.Group

	mu      sync.Mutex
	index   string // the version every entry belongs to
	bytes   int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element

	hits, misses, purges, shared atomic.Int64
}

type cacheEntry struct {
	key  string
	body answer
}

// NewResultCache holds at most maxBytes of answers of the version that
// version names (*search.Client's ServedIndex).
func NewResultCache(maxBytes int, version func(ctx context.Context) (string, error)) *ResultCache {
	return &ResultCache{maxBytes: maxBytes, version: version, order: list.New(), entries: map[string]*list.Element{}}
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

// wrap returns next with the cache in front of it.
func (c *ResultCache) wrap(next answerer) answerer { return cached{c, next} }

type cached struct {
	c    *ResultCache
	next answerer
}

func (a cached) answer(ctx context.Context, q foodtrucks.Query) (answer, string, error) {
	version, err := a.c.version(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, "", err
		}
		return a.next.answer(ctx, q) // no one version to file it under: uncached
	}
	key := cacheKey(q)
	if body, ok := a.c.get(version, key); ok {
		return body, version, nil
	}
	// The shared search must not end with the request that started it:
	// others wait for it. Every Elasticsearch call has its own bound.
	leader := false
	ch := a.c.flights.DoChan(version+"\x00"+key, func() (any, error) {
		leader = true
		body, answered, err := a.next.answer(context.WithoutCancel(ctx), q)
		if answered == "" {
			answered = version // nothing matched: the answer does not say; the version read before it
		}
		if err == nil {
			a.c.put(answered, key, body)
		}
		return [2]any{body, answered}, err
	})
	select {
	case r := <-ch:
		if r.Shared && !leader {
			a.c.shared.Add(1)
		}
		if r.Err != nil {
			return answer{}, "", r.Err
		}
		v := r.Val.([2]any)
		return v[0].(answer), v[1].(string), nil
	case <-ctx.Done():
		return answer{}, "", ctx.Err()
	}
}

// get returns the answer for key of index, the version the alias serves
// now. A version other than the cache's empties it.
func (c *ResultCache) get(index, key string) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != c.index {
		c.resetLocked(index)
	}
	el, ok := c.entries[key]
	if !ok {
		c.misses.Add(1)
		return answer{}, false
	}
	c.hits.Add(1)
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).body, true
}

// put keeps body for key if it was computed on the cache's version (an
// answer from another one, older or newer, is not kept).
func (c *ResultCache) put(index, key string, body answer) {
	if index == "" || body.size() > c.maxBytes/8 {
		return // no version to file it under, or too big to be worth the room
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != c.index {
		return
	}
	if el, ok := c.entries[key]; ok {
		c.bytes -= el.Value.(*cacheEntry).body.size()
		c.order.Remove(el)
		delete(c.entries, key)
	}
	for c.bytes+body.size() > c.maxBytes && c.order.Len() > 0 {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.bytes -= e.body.size()
		c.order.Remove(last)
		delete(c.entries, e.key)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.bytes += body.size()
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
func cacheKey(q foodtrucks.Query) string {
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
