package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// ErrNoSingleIndex means the alias does not point at exactly one index
// right now (missing, or mid-repair); the caller searches without a cache.
var ErrNoSingleIndex = errors.New("alias does not point at exactly one index")

// CurrentIndex returns the concrete index the alias points to, as read
// from Elasticsearch after this call began: never a name remembered from
// before, so a swap by any replica is seen by the next search that asks.
//
// Concurrent callers share reads: while one read is in flight, everyone who
// arrives waits for the next one, which starts when it ends (a read that
// began before a caller arrived could predate a swap that caller must see).
// Under load that is one small request (GET /_alias) in flight at a time,
// whatever the number of searches.
func (c *Client) CurrentIndex(ctx context.Context) (string, error) {
	c.current.mu.Lock()
	var call *indexRead
	if c.current.running == nil {
		call = &indexRead{done: make(chan struct{})}
		c.current.running = call
		go c.readIndex(call)
	} else {
		if c.current.next == nil {
			c.current.next = &indexRead{done: make(chan struct{})}
		}
		call = c.current.next
	}
	c.current.mu.Unlock()
	select {
	case <-call.done:
		return call.index, call.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// indexReads coalesces CurrentIndex calls: one read running, at most one
// waiting to start after it.
type indexReads struct {
	mu      sync.Mutex
	running *indexRead
	next    *indexRead
}

type indexRead struct {
	done  chan struct{}
	index string
	err   error
}

// readIndex runs call (bounded by ProbeTimeout, not by any one caller), then
// starts the next read if someone is waiting for one.
func (c *Client) readIndex(call *indexRead) {
	call.index, call.err = c.readAlias(context.Background())
	c.current.mu.Lock()
	next := c.current.next
	c.current.running, c.current.next = next, nil
	if next != nil {
		go c.readIndex(next)
	}
	c.current.mu.Unlock()
	close(call.done)
}

// readAlias is GET /_alias/<alias>: the one index it points to.
func (c *Client) readAlias(ctx context.Context) (string, error) {
	var aliases map[string]json.RawMessage
	if err := c.call(ctx, esapi.IndicesGetAliasRequest{Name: []string{c.alias}, FilterPath: []string{"*.aliases"}}, &aliases); err != nil {
		return "", err
	}
	if len(aliases) != 1 {
		return "", fmt.Errorf("%w: %s points at %d indices", ErrNoSingleIndex, c.alias, len(aliases))
	}
	for name := range aliases {
		return name, nil
	}
	return "", ErrNoSingleIndex
}
