package esdouble

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// cluster is the double's in-memory state. The Server's mutex guards it.
type cluster struct {
	indices map[string]*index
	uuid    string
}

type index struct {
	name     string
	uuid     string
	created  time.Time
	aliases  map[string]bool
	mapping  mapping
	docs     map[string]*doc // visible to search (refreshed)
	order    []string        // ids in insertion order, for stable ties
	pending  map[string]*doc // written, not yet refreshed
	lastSeq  int64
	lastPend time.Time
}

// refreshInterval is Elasticsearch's default index.refresh_interval: writes
// become searchable at the latest this long after they happened, or at once
// on _refresh.
const refreshInterval = time.Second

func newCluster() *cluster {
	return &cluster{indices: map[string]*index{}, uuid: randomID(22)}
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func (c *cluster) indexNames() []string {
	names := make([]string, 0, len(c.indices))
	for n := range c.indices {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *cluster) aliasTargets(alias string) []string {
	var out []string
	for n, idx := range c.indices {
		if idx.aliases[alias] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (c *cluster) aliasExists(alias string) bool {
	for _, idx := range c.indices {
		if idx.aliases[alias] {
			return true
		}
	}
	return false
}

// validIndexName applies Elasticsearch's rules for new index names.
var invalidIndexChars = regexp.MustCompile(`[\\/*?"<>| ,#:]`)

func validIndexName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("Invalid index name [%s], must not be '.' or '..'", name)
	case strings.ToLower(name) != name:
		return fmt.Errorf("Invalid index name [%s], must be lowercase", name)
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return fmt.Errorf("Invalid index name [%s], must not start with '_', '-', or '+'", name)
	case invalidIndexChars.MatchString(name):
		return fmt.Errorf(`Invalid index name [%s], must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]`, name)
	case len(name) > 255:
		return fmt.Errorf("Invalid index name [%s], index name is too long, (%d > 255)", name, len(name))
	}
	return nil
}

// resolve turns an index expression (names, aliases, wildcards, comma
// separated; "_all" or "*" for everything) into indices. A concrete name
// that matches nothing is index_not_found; a wildcard that matches nothing
// is not an error, as with allow_no_indices=true (the default).
func (c *cluster) resolve(expr string) ([]*index, *esError) {
	if expr == "" || expr == "_all" {
		expr = "*"
	}
	seen := map[string]bool{}
	var out []*index
	add := func(idx *index) {
		if !seen[idx.name] {
			seen[idx.name] = true
			out = append(out, idx)
		}
	}
	for _, part := range strings.Split(expr, ",") {
		if strings.ContainsAny(part, "*?") {
			for _, n := range c.indexNames() {
				if ok, _ := path.Match(part, n); ok {
					add(c.indices[n])
				}
			}
			continue
		}
		if idx, ok := c.indices[part]; ok {
			add(idx)
			continue
		}
		found := false
		for _, n := range c.indexNames() {
			if c.indices[n].aliases[part] {
				add(c.indices[n])
				found = true
			}
		}
		if !found {
			return nil, indexNotFound(part)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// refreshIfDue makes pending writes visible once the refresh interval has
// passed, as Elasticsearch's periodic refresh does.
func (idx *index) refreshIfDue(now time.Time) {
	if len(idx.pending) > 0 && now.Sub(idx.lastPend) >= refreshInterval {
		idx.refresh()
	}
}

func (idx *index) refresh() {
	for id, d := range idx.pending {
		if _, existed := idx.docs[id]; !existed {
			idx.order = append(idx.order, id)
		}
		idx.docs[id] = d
	}
	idx.pending = map[string]*doc{}
}

func (idx *index) visibleDocs() []*doc {
	out := make([]*doc, 0, len(idx.order))
	for _, id := range idx.order {
		if d, ok := idx.docs[id]; ok {
			out = append(out, d)
		}
	}
	return out
}
