package search

import (
	"context"
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
	as, err := c.State(ctx)
	if err != nil {
		return st, err
	}
	if p := as.Problem(); p != nil {
		return st, p
	}
	ix, ok := as.Serving()
	if !ok {
		return st, ErrNotLoaded
	}
	st.Index, st.Documents = ix.Name, ix.Documents
	return st, nil
}
