package search

import (
	"context"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// IndexStats describes what the alias serves right now.
type IndexStats struct {
	Alias     string `json:"alias"`
	Index     string `json:"index"`     // the versioned index behind the alias
	Documents int64  `json:"documents"` // permits in it
}

// Stats reports the index behind the alias and its document count.
func (c *Client) Stats(ctx context.Context) (IndexStats, error) {
	st := IndexStats{Alias: c.alias}
	versions, err := c.versions(ctx)
	if err != nil {
		return st, err
	}
	for _, v := range versions {
		if v.hasAlias {
			st.Index = v.name
		}
	}
	if st.Index == "" {
		return st, ErrNotLoaded
	}
	var resp struct {
		Count int64 `json:"count"`
	}
	if err := c.call(ctx, esapi.CountRequest{Index: []string{c.alias}}, &resp); err != nil {
		return st, fmt.Errorf("count %s: %w", c.alias, err)
	}
	st.Documents = resp.Count
	return st, nil
}
