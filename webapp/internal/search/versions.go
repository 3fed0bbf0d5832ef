package search

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// Every load writes a new index, a version, named for the alias and the
// time the load began: sfdata-20261104t120501.123z. The names sort by
// time, are lower case as Elasticsearch wants, and carry the version's age,
// which every replica reads the same way to decide whether a refresh is
// due. This file is the one place that knows the naming.

// versionTimeLayout is the time part of a version's name.
const versionTimeLayout = "20060102t150405.000z"

// versionPattern matches the versions of alias and nothing else that
// shares its prefix.
func versionPattern(alias string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(alias) + `-\d{8}t\d{6}\.\d{3}z$`)
}

// nextVersionName names the version a load starting now writes; two loads
// of one process in the same millisecond get different names.
func (c *Client) nextVersionName() string {
	t := c.now().UTC()
	name := c.alias + "-" + strings.ToLower(t.Format(versionTimeLayout))
	for name <= c.lastVersionName {
		t = t.Add(time.Millisecond)
		name = c.alias + "-" + strings.ToLower(t.Format(versionTimeLayout))
	}
	c.lastVersionName = name
	return name
}

// versionTime is the time in a version's name; false for an index that is
// not one of this alias's versions.
func (c *Client) versionTime(name string) (time.Time, bool) {
	if !c.versionRE.MatchString(name) {
		return time.Time{}, false
	}
	t, err := time.Parse(versionTimeLayout, strings.TrimPrefix(name, c.alias+"-"))
	return t, err == nil
}

type version struct {
	name     string
	hasAlias bool
}

// versions lists this alias's versions, oldest first, and which of them the
// alias points to. One request: GET /<alias>-*/_alias.
func (c *Client) versions(ctx context.Context) ([]version, error) {
	versions, _, err := c.readVersions(ctx, false)
	return versions, err
}

// versionsAndTargets is versions, and every index the alias points at,
// versions or not (what a swap must move it from), sorted. Still one
// request: GET /<alias>-*,<alias>/_alias, where the alias's name stands for
// the indices behind it.
func (c *Client) versionsAndTargets(ctx context.Context) ([]version, []string, error) {
	return c.readVersions(ctx, true)
}

func (c *Client) readVersions(ctx context.Context, withTargets bool) ([]version, []string, error) {
	var resp map[string]struct {
		Aliases map[string]json.RawMessage `json:"aliases"`
	}
	req := esapi.IndicesGetAliasRequest{Index: []string{c.alias + "-*"}}
	if withTargets {
		yes := true
		req.Index = append(req.Index, c.alias)
		req.IgnoreUnavailable = &yes // no alias yet: its name matches nothing
	}
	if err := c.call(ctx, req, &resp); err != nil {
		return nil, nil, fmt.Errorf("list versions of %s: %w", c.alias, err)
	}
	var versions []version
	var targets []string
	for name, idx := range resp {
		_, has := idx.Aliases[c.alias]
		if has {
			targets = append(targets, name)
		}
		if c.versionRE.MatchString(name) { // not someone else's index that shares the prefix
			versions = append(versions, version{name: name, hasAlias: has})
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].name < versions[j].name })
	sort.Strings(targets)
	return versions, targets, nil
}
