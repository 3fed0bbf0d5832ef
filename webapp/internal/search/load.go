package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// LoadResult describes a completed load.
type LoadResult struct {
	Index     string        `json:"index"`             // the new versioned index the alias now points to
	Previous  []string      `json:"previous"`          // indices the alias pointed to before
	Deleted   []string      `json:"deleted,omitempty"` // old versions removed after the swap
	Documents int           `json:"documents"`         // documents indexed
	Requests  int           `json:"requests"`          // HTTP requests sent to Elasticsearch
	Duration  time.Duration `json:"duration"`
	Finished  time.Time     `json:"finished"`
}

// Load indexes the permits into a new versioned index and, only when every
// document made it, points the alias at it in one atomic step. Searches
// never see a half-loaded index; a failed load deletes its own index and
// leaves the alias (and the data it serves) untouched.
//
// The holder of the load lease passes it (nil: no lease): it is renewed
// right before the alias swap, a lost lease abandons the load, and the load
// deletes every version but its own, since under the lease no other load
// can be in progress. Without the lease, only the versions it replaced go.
func (c *Client) Load(ctx context.Context, lease Renewer, permits []foodtrucks.Permit) (LoadResult, error) {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	start := time.Now()
	res := LoadResult{Index: c.nextVersionName()}
	if len(permits) == 0 {
		return res, errors.New("search: refusing to load zero permits (the current data stays)")
	}

	definition, err := jsonBody(newIndexDefinition())
	if err != nil {
		return res, err
	}
	res.Requests++
	if err := c.call(ctx, esapi.IndicesCreateRequest{Index: res.Index, Body: definition}, nil); err != nil {
		return res, fmt.Errorf("create index %s: %w", res.Index, err)
	}
	fail := func(err error) (LoadResult, error) {
		// The new index is useless; remove it so versions do not pile up.
		// A fresh context (the caller's may be the reason we failed), and
		// a short one: a hung engine must not hold up a shutdown.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		res.Requests++
		if derr := c.call(cleanup, esapi.IndicesDeleteRequest{Index: []string{res.Index}}, nil); derr != nil {
			err = fmt.Errorf("%w (and deleting the partial index %s failed: %v; the next load deletes it)", err, res.Index, derr)
		}
		return res, err
	}

	for from := 0; from < len(permits); from += c.batchDocs {
		to := min(from+c.batchDocs, len(permits))
		res.Requests++
		n, err := c.bulk(ctx, res.Index, permits[from:to])
		res.Documents += n
		if err != nil {
			return fail(fmt.Errorf("bulk load into %s after %d documents: %w", res.Index, res.Documents, err))
		}
	}

	res.Requests++
	if err := c.call(ctx, esapi.IndicesRefreshRequest{Index: []string{res.Index}}, nil); err != nil {
		return fail(fmt.Errorf("refresh %s: %w", res.Index, err))
	}

	res.Requests++
	versions, current, err := c.versionsAndTargets(ctx)
	if err != nil {
		return fail(err)
	}
	res.Previous = current

	if lease != nil {
		res.Requests++
		if err := lease.Renew(ctx); err != nil {
			return fail(fmt.Errorf("before swapping the alias: %w", err))
		}
	}
	res.Requests++
	if err := c.swapAlias(ctx, res.Index, res.Previous); err != nil {
		return fail(fmt.Errorf("swap alias %s to %s: %w", c.alias, res.Index, err))
	}

	var stale []string
	for _, v := range versions {
		if v.name == res.Index {
			continue
		}
		if lease != nil || v.hasAlias {
			stale = append(stale, v.name)
		}
	}
	if len(stale) > 0 {
		res.Requests++
		// The data is already served from the new index; a failed clean-up
		// is only untidy, and the next load tries again.
		if err := c.call(ctx, esapi.IndicesDeleteRequest{Index: stale}, nil); err == nil {
			res.Deleted = stale
		}
	}
	res.Finished = c.now().UTC()
	res.Duration = time.Since(start)
	return res, nil
}

// cleanupTimeout bounds deleting a failed load's index after its context
// ended; it stays well inside the server's drain on SIGTERM.
const cleanupTimeout = 3 * time.Second

// DeleteOrphans deletes the versions the alias does not point at: indices
// of loads that failed or were cut off (an engine crash mid-load, a task
// killed). Call it only while no load can be running: holding the lease, or
// having seen it free after listing (a load creates its index only after
// taking the lease). It returns the names it deleted.
func (c *Client) DeleteOrphans(ctx context.Context, leaseFree func(context.Context) (bool, error)) ([]string, error) {
	versions, err := c.versions(ctx)
	if err != nil {
		return nil, err
	}
	var orphans []string
	for _, v := range versions {
		if !v.hasAlias {
			orphans = append(orphans, v.name)
		}
	}
	if len(orphans) == 0 {
		return nil, nil
	}
	if leaseFree != nil {
		free, err := leaseFree(ctx)
		if err != nil || !free {
			return nil, err
		}
	}
	if err := c.call(ctx, esapi.IndicesDeleteRequest{Index: orphans}, nil); err != nil {
		return nil, fmt.Errorf("delete leftover versions %v: %w", orphans, err)
	}
	return orphans, nil
}

// bulkItem is one document's outcome in a bulk answer.
type bulkItem struct {
	Status int         `json:"status"`
	Error  *errorCause `json:"error"`
}

type bulkResponse struct {
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"` // one operation ("index") per item
}

func (c *Client) bulk(ctx context.Context, index string, permits []foodtrucks.Permit) (int, error) {
	type indexAction struct {
		ID string `json:"_id,omitempty"`
	}
	type actionLine struct {
		Index indexAction `json:"index"`
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body) // one value per line, as NDJSON wants
	for _, p := range permits {
		if err := enc.Encode(actionLine{Index: indexAction{ID: p.ID}}); err != nil {
			return 0, fmt.Errorf("encode permit %q: %w", p.ID, err)
		}
		if err := enc.Encode(documentOf(p)); err != nil {
			return 0, fmt.Errorf("encode permit %q: %w", p.ID, err)
		}
	}
	var resp bulkResponse
	if err := c.call(ctx, esapi.BulkRequest{Index: index, Body: bytes.NewReader(body.Bytes())}, &resp); err != nil {
		return 0, err
	}
	indexed := 0
	var firstErr string
	failed := 0
	for _, item := range resp.Items {
		for _, r := range item {
			if r.Error == nil && r.Status >= 200 && r.Status < 300 {
				indexed++
				continue
			}
			failed++
			if firstErr == "" && r.Error != nil {
				firstErr = fmt.Sprintf("%s: %s (status %d)", r.Error.Type, r.Error.Reason, r.Status)
			}
		}
	}
	if resp.Errors || failed > 0 {
		return indexed, fmt.Errorf("%d of %d documents rejected, first: %s", failed, len(permits), firstErr)
	}
	return indexed, nil
}

// aliasActions is the body of POST /_aliases; Elasticsearch applies all
// actions in one cluster-state update, so no search sees the alias missing.
type aliasActions struct {
	Actions []aliasAction `json:"actions"`
}

type aliasAction struct {
	Add    *aliasTarget `json:"add,omitempty"`
	Remove *aliasTarget `json:"remove,omitempty"`
}

type aliasTarget struct {
	Index     string `json:"index"`
	Alias     string `json:"alias"`
	MustExist *bool  `json:"must_exist,omitempty"`
}

// swapAlias moves the alias from previous (what it pointed at when read) to
// index in one cluster-state update, as a compare-and-swap: each remove
// must find the alias where it was read (must_exist), or nothing is
// applied. With no previous index, a remove from every index guards
// against another task having added the alias meanwhile, so the alias
// never ends on two indices. The answer is read, not just its status:
// Elasticsearch answers 200 with "errors": true when an action failed and
// still applies the others.
func (c *Client) swapAlias(ctx context.Context, index string, previous []string) error {
	actions := make([]aliasAction, 0, len(previous)+1)
	yes := true
	for _, p := range previous {
		actions = append(actions, aliasAction{Remove: &aliasTarget{Index: p, Alias: c.alias, MustExist: &yes}})
	}
	wildcard := len(previous) == 0
	if wildcard {
		actions = append(actions, aliasAction{Remove: &aliasTarget{Index: "*", Alias: c.alias}})
	}
	actions = append(actions, aliasAction{Add: &aliasTarget{Index: index, Alias: c.alias}})
	body, err := jsonBody(aliasActions{Actions: actions})
	if err != nil {
		return err
	}
	var ans aliasSwapAnswer
	err = c.call(ctx, esapi.IndicesUpdateAliasesRequest{Body: body}, &ans)
	var esErr *esError
	if errors.As(err, &esErr) && esErr.Status == http.StatusNotFound && esErr.Type == "aliases_not_found_exception" {
		return fmt.Errorf("the alias changed while this load ran (another task swapped it); nothing was applied: %w", err)
	}
	if err != nil {
		return err
	}
	return checkSwap(ans, wildcard)
}

// jsonBody encodes a request body. A bytes.Reader lets the transport send
// it again on a retry.
func jsonBody(v any) (*bytes.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return bytes.NewReader(b), nil
}
