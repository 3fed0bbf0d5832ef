package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// A search asks Elasticsearch only which permits match, in which order
// (their ids, read from doc values, and the geo sort values), and completes
// each hit from the app's own copy of that index's documents, because
// fetching the documents is most of what a search costs the node (asking
// for their fields instead shows in make bench-search, uncached, as a
// several-fold rise in the node's CPU per search). An index is never written after
// the alias points at it (every load builds a new one), so the copy, read
// once per index, stays exact, and a hit is completed only from the copy of
// the index that answered it.

// maxDocumentCopies is how many indices' documents are held: the one the
// alias points to and the one before it, which searches already in flight
// during a swap may still name.
const maxDocumentCopies = 2

// errDocumentMissing means a hit named a permit its index's copy lacks,
// even read again: the index changes under the app (someone else writes to
// it). The search answers 503.
var errDocumentMissing = errors.New("a matching permit is missing from the documents read from its index")

// errIndexGone means the index that answered a search was deleted before
// its documents could be read (another replica swapped the alias and
// removed the old version in between): the search is asked again.
var errIndexGone = errors.New("the index that answered was deleted")

// heldDocuments are the copies held, each read at most once at a time.
type heldDocuments struct {
	mu   sync.Mutex
	held []*documentCopy // oldest first, at most maxDocumentCopies

	reads, failed atomic.Int64
}

// CopyStats describes the documents this process holds to complete search
// hits, in /api/stats.
type CopyStats struct {
	Held   []HeldCopy `json:"held"`   // oldest first
	Reads  int64      `json:"reads"`  // copies read (a read of every page of an index)
	Failed int64      `json:"failed"` // reads that failed (tried again by the next search)
}

// HeldCopy is one index's documents held.
type HeldCopy struct {
	Index   string `json:"index"`
	Permits int    `json:"permits"`
}

// DocumentCopies reports the copies held and read so far; a copy still
// being read is not listed.
func (c *Client) DocumentCopies() CopyStats {
	d := &c.documents
	d.mu.Lock()
	defer d.mu.Unlock()
	st := CopyStats{Held: []HeldCopy{}, Reads: d.reads.Load(), Failed: d.failed.Load()}
	for _, cp := range d.held {
		select {
		case <-cp.done:
			if cp.err == nil {
				st.Held = append(st.Held, HeldCopy{Index: cp.index, Permits: len(cp.byID)})
			}
		default:
		}
	}
	return st
}

type documentCopy struct {
	index string
	done  chan struct{} // closed when byID or err is set
	byID  map[string]HitSource
	err   error
}

// documentsOf returns the documents of index by permit id, reading them
// from Elasticsearch unless a copy is held or being read. The read is not
// bound to ctx (other searches may be waiting for it): each of its requests
// has the search bound; ctx only limits how long this caller waits.
func (c *Client) documentsOf(ctx context.Context, index string) (map[string]HitSource, error) {
	d := &c.documents
	d.mu.Lock()
	i := slices.IndexFunc(d.held, func(cp *documentCopy) bool { return cp.index == index })
	var cp *documentCopy
	if i >= 0 {
		cp = d.held[i]
	} else {
		cp = &documentCopy{index: index, done: make(chan struct{})}
		d.held = append(d.held, cp)
		if len(d.held) > maxDocumentCopies {
			d.held = slices.Delete(d.held, 0, len(d.held)-maxDocumentCopies)
		}
		go func() {
			cp.byID, cp.err = c.readDocuments(context.Background(), index)
			d.reads.Add(1)
			if cp.err != nil {
				d.failed.Add(1)
				c.dropDocuments(index, cp) // the next search tries again
			}
			close(cp.done)
		}()
	}
	d.mu.Unlock()
	select {
	case <-cp.done:
		return cp.byID, cp.err
	case <-ctx.Done():
		return nil, classify(ctx.Err())
	}
}

// dropDocuments forgets the copy of index, if it is still cp (nil: any).
func (c *Client) dropDocuments(index string, cp *documentCopy) {
	d := &c.documents
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = slices.DeleteFunc(d.held, func(h *documentCopy) bool { return h.index == index && (cp == nil || h == cp) })
}

// documentsRequest reads one page of an index's documents, in id order.
type documentsRequest struct {
	Size        int                 `json:"size"`
	Query       queryClause         `json:"query"`
	Source      sourceFilter        `json:"_source"`
	Sort        []map[string]string `json:"sort"`
	SearchAfter []any               `json:"search_after,omitempty"`
}

type documentsResponse struct {
	Hits struct {
		Hits []struct {
			Source struct {
				ID string `json:"id"`
				HitSource
			} `json:"_source"`
			Sort []any `json:"sort"`
		} `json:"hits"`
	} `json:"hits"`
}

// readDocuments reads every document of index, a page at a time.
func (c *Client) readDocuments(ctx context.Context, index string) (map[string]HitSource, error) {
	byID := make(map[string]HitSource)
	var after []any
	for {
		body, err := jsonBody(documentsRequest{
			Size:        c.documentsPage,
			Query:       queryClause{MatchAll: &struct{}{}},
			Source:      sourceFilter{Includes: append([]string{"id"}, sourceFields...)},
			Sort:        []map[string]string{{"id": "asc"}},
			SearchAfter: after,
		})
		if err != nil {
			return nil, err
		}
		var resp documentsResponse
		req := esapi.SearchRequest{Index: []string{index}, Body: body, FilterPath: []string{"hits.hits._source", "hits.hits.sort"}}
		if err := c.call(ctx, req, &resp); err != nil {
			if errors.Is(err, ErrNotLoaded) { // index_not_found_exception
				err = fmt.Errorf("%w: %w", errIndexGone, err)
			}
			return nil, fmt.Errorf("read the documents of %s: %w", index, err)
		}
		hits := resp.Hits.Hits
		for _, h := range hits {
			byID[h.Source.ID] = h.Source.HitSource
		}
		if len(hits) < c.documentsPage {
			return byID, nil
		}
		after = hits[len(hits)-1].Sort
	}
}
