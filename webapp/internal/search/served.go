package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// ErrNoSingleIndex means the alias does not point at exactly one index
// right now (missing, or mid-repair); the caller searches without a cache.
var ErrNoSingleIndex = errors.New("alias does not point at exactly one index")

// ServedIndex names the index the alias points to, read from Elasticsearch
// (GET /_alias/<alias>), so a swap by any replica is seen by the next
// search, and a search whose engine is down or hung fails instead of being
// answered from memory. Searches that ask while a read is in flight share
// it: under load, about one small request at a time. The read is bounded
// by ProbeTimeout, not by any one caller; ctx only limits the wait.
func (c *Client) ServedIndex(ctx context.Context) (string, error) {
	ch := c.aliasReads.DoChan("", func() (any, error) {
		var aliases map[string]json.RawMessage
		if err := c.call(context.Background(), esapi.IndicesGetAliasRequest{Name: []string{c.alias}, FilterPath: []string{"*.aliases"}}, &aliases); err != nil {
			return "", err
		}
		if len(aliases) != 1 {
			return "", fmt.Errorf("%w: %s points at %d indices", ErrNoSingleIndex, c.alias, len(aliases))
		}
		for name := range aliases {
			return name, nil
		}
		return "", ErrNoSingleIndex
	})
	select {
	case r := <-ch:
		index, _ := r.Val.(string)
		return index, r.Err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
