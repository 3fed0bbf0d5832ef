package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// IndexState is one index behind the alias.
type IndexState struct {
	Name      string
	Open      bool
	Documents int64
	// Created is the time in a versioned index's name (when its load
	// began); zero for an index this app did not make.
	Created time.Time
}

// Versioned reports whether the index is one of this app's versions.
func (s IndexState) Versioned() bool { return !s.Created.IsZero() }

// AliasState is what the alias points at right now.
type AliasState struct {
	Alias   string
	Indices []IndexState // behind the alias, by name
	// NamedLikeAlias is set when an index (not an alias) carries the alias's
	// name: no alias of that name can be created while it exists.
	NamedLikeAlias bool
}

// Serving is the one index searches read from, when the alias is healthy.
func (s AliasState) Serving() (IndexState, bool) {
	if len(s.Indices) == 1 && s.Problem() == nil {
		return s.Indices[0], true
	}
	return IndexState{}, false
}

// AliasProblem is a state of the alias that no load of this app repairs by
// itself; Advice tells an operator what to do.
type AliasProblem struct {
	Alias  string
	What   string
	Advice string
}

func (p *AliasProblem) Error() string { return p.What + "; " + p.Advice }

// Is makes an AliasProblem the domain's ErrNeedsOperator.
func (p *AliasProblem) Is(target error) bool { return target == foodtrucks.ErrNeedsOperator }

// Problem reports a state that needs an operator: an index named like the
// alias, a closed index behind it, an index this app did not make, or more
// than one index. A missing alias is not a problem (a load makes it).
func (s AliasState) Problem() error {
	switch {
	case s.NamedLikeAlias:
		return &AliasProblem{Alias: s.Alias,
			What:   fmt.Sprintf("an index named %q exists where the alias should be, so no load can create the alias", s.Alias),
			Advice: fmt.Sprintf("delete that index (DELETE /%s) or set INDEX to another name", s.Alias)}
	case len(s.Indices) > 1:
		names := make([]string, len(s.Indices))
		for i, ix := range s.Indices {
			names[i] = ix.Name
		}
		return &AliasProblem{Alias: s.Alias,
			What:   fmt.Sprintf("alias %q points at %d indices (%s), so answers would repeat permits", s.Alias, len(s.Indices), strings.Join(names, ", ")),
			Advice: "remove the alias from all but one of them (POST /_aliases), or restart one web task with `serve -reload`"}
	}
	for _, ix := range s.Indices {
		if !ix.Open {
			return &AliasProblem{Alias: s.Alias,
				What:   fmt.Sprintf("index %s behind alias %q is closed", ix.Name, s.Alias),
				Advice: fmt.Sprintf("open it (POST /%s/_open), or delete it to let the app load the data again", ix.Name)}
		}
		if !ix.Versioned() {
			return &AliasProblem{Alias: s.Alias,
				What:   fmt.Sprintf("alias %q points at index %s, which this app did not create", s.Alias, ix.Name),
				Advice: "remove the alias from it (POST /_aliases) or set INDEX to another name; the app then loads its own version"}
		}
	}
	return nil
}

// State reads what the alias points at: GET /_alias/<alias>, then one
// _cat/indices for their open/closed state and document counts, or, when
// there is no alias, HEAD /<alias> to find an index squatting its name.
func (c *Client) State(ctx context.Context) (AliasState, error) {
	st := AliasState{Alias: c.alias}
	var aliases map[string]json.RawMessage
	err := c.call(ctx, esapi.IndicesGetAliasRequest{Name: []string{c.alias}, ExpandWildcards: "all"}, &aliases)
	var esErr *esError
	switch {
	case errors.As(err, &esErr) && esErr.Status == http.StatusNotFound:
		aliases = nil
	case err != nil:
		return st, fmt.Errorf("read alias %s: %w", c.alias, err)
	}
	if len(aliases) == 0 {
		exists, err := c.indexExists(ctx, c.alias)
		if err != nil {
			return st, err
		}
		st.NamedLikeAlias = exists
		return st, nil
	}
	names := make([]string, 0, len(aliases))
	for name := range aliases {
		names = append(names, name)
	}
	sort.Strings(names)
	var rows []struct {
		Index  string `json:"index"`
		Status string `json:"status"`
		Docs   string `json:"docs.count"`
	}
	if err := c.call(ctx, esapi.CatIndicesRequest{Index: names, Format: "json", H: []string{"index", "status", "docs.count"}, ExpandWildcards: "all"}, &rows); err != nil {
		return st, fmt.Errorf("read indices behind %s: %w", c.alias, err)
	}
	byName := map[string]IndexState{}
	for _, r := range rows {
		n, _ := strconv.ParseInt(r.Docs, 10, 64)
		byName[r.Index] = IndexState{Name: r.Index, Open: r.Status == "open", Documents: n}
	}
	for _, name := range names {
		ix, ok := byName[name]
		if !ok { // deleted between the two reads
			continue
		}
		ix.Created, _ = c.versionTime(name)
		st.Indices = append(st.Indices, ix)
	}
	return st, nil
}

func (c *Client) indexExists(ctx context.Context, name string) (bool, error) {
	return c.exists(ctx, esapi.IndicesExistsRequest{Index: []string{name}, ExpandWildcards: "all"}, "/"+name)
}

// aliasSwapAnswer is the body of a successful POST /_aliases. Elasticsearch
// answers 200 even when an action failed: a remove of an alias that is not
// there gives "errors": true and a 404 in action_results, and the other
// actions are applied all the same.
type aliasSwapAnswer struct {
	Acknowledged  bool `json:"acknowledged"`
	Errors        bool `json:"errors"`
	ActionResults []struct {
		Action struct {
			Type    string   `json:"type"`
			Indices []string `json:"indices"`
		} `json:"action"`
		Status int         `json:"status"`
		Error  *errorCause `json:"error"`
	} `json:"action_results"`
}

// checkSwap turns an answer with a failed action, or one that was not
// acknowledged, into an error. A remove of the alias from every index
// (the guard of a first load, when none had it) may find nothing: that
// one is expected.
func checkSwap(ans aliasSwapAnswer, wildcardRemove bool) error {
	if !ans.Acknowledged {
		return errors.New("elasticsearch did not acknowledge the alias change (the cluster may apply it later; the next check looks again)")
	}
	if !ans.Errors {
		return nil
	}
	for _, r := range ans.ActionResults {
		if r.Status >= 200 && r.Status <= 299 {
			continue
		}
		if wildcardRemove && r.Action.Type == "remove" && r.Status == http.StatusNotFound {
			continue
		}
		msg := fmt.Sprintf("%s %v answered %d", r.Action.Type, r.Action.Indices, r.Status)
		if r.Error != nil {
			msg += " " + r.Error.Type + ": " + r.Error.Reason
		}
		return errors.New(msg)
	}
	if len(ans.ActionResults) == 0 {
		return errors.New(`elasticsearch answered "errors": true without saying which action failed`)
	}
	return nil
}
