package esdouble

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// esError is an Elasticsearch error response.
type esError struct {
	status   int
	typ      string
	reason   string
	causedBy string
	extra    map[string]any
}

func (e *esError) body() map[string]any {
	cause := map[string]any{"type": e.typ, "reason": e.reason}
	for k, v := range e.extra {
		cause[k] = v
	}
	top := map[string]any{"root_cause": []any{cause}, "type": e.typ, "reason": e.reason}
	for k, v := range e.extra {
		top[k] = v
	}
	if e.causedBy != "" {
		top["caused_by"] = map[string]any{"type": "illegal_argument_exception", "reason": e.causedBy}
	}
	return map[string]any{"error": top, "status": e.status}
}

func indexNotFound(name string) *esError {
	return &esError{status: 404, typ: "index_not_found_exception", reason: "no such index [" + name + "]",
		extra: map[string]any{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name}}
}

func mapperParsing(reason string) *esError {
	return &esError{status: 400, typ: "mapper_parsing_exception", reason: reason}
}

func writeError(w http.ResponseWriter, status int, typ, reason string, extra map[string]any) {
	e := &esError{status: status, typ: typ, reason: reason, extra: extra}
	writeJSON(w, status, e.body())
}

func writeES(w http.ResponseWriter, e *esError) { writeJSON(w, e.status, e.body()) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeBody(body []byte) (map[string]any, *esError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, &esError{status: 400, typ: "x_content_parse_exception", reason: "[1:1] " + err.Error()}
	}
	return out, nil
}

// route dispatches on method and path the way Elasticsearch's REST layer
// does for the endpoints the app uses.
func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	m := r.Method
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.state
	switch {
	case len(parts) == 0 && (m == http.MethodGet || m == http.MethodHead):
		s.info(w, m)
	case len(parts) == 2 && parts[0] == "_cluster" && parts[1] == "health" && m == http.MethodGet:
		c.health(w)
	case len(parts) == 1 && parts[0] == "_aliases" && m == http.MethodPost:
		c.updateAliases(w, body)
	case len(parts) == 2 && parts[0] == "_alias" && (m == http.MethodGet || m == http.MethodHead):
		c.getAlias(w, m, parts[1])
	case len(parts) == 2 && parts[1] == "_alias" && m == http.MethodGet:
		c.getIndexAliases(w, parts[0])
	case len(parts) == 1 && parts[0] == "_bulk" && (m == http.MethodPost || m == http.MethodPut):
		s.bulk(w, "", body, r.URL.Query().Get("refresh"))
	case len(parts) == 2 && parts[1] == "_bulk" && (m == http.MethodPost || m == http.MethodPut):
		s.bulk(w, parts[0], body, r.URL.Query().Get("refresh"))
	case len(parts) == 1 && parts[0] == "_refresh" && (m == http.MethodPost || m == http.MethodGet):
		c.refresh(w, "*")
	case len(parts) == 2 && parts[1] == "_refresh" && (m == http.MethodPost || m == http.MethodGet):
		c.refresh(w, parts[0])
	case len(parts) == 2 && parts[1] == "_count" && (m == http.MethodPost || m == http.MethodGet):
		c.count(w, parts[0], body)
	case len(parts) == 2 && parts[1] == "_search" && (m == http.MethodPost || m == http.MethodGet):
		c.search(w, parts[0], body)
	case len(parts) == 1 && parts[0] == "_search" && (m == http.MethodPost || m == http.MethodGet):
		c.search(w, "*", body)
	case len(parts) == 2 && parts[1] == "_mapping" && m == http.MethodGet:
		c.getMapping(w, parts[0])
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_") && m == http.MethodPut:
		c.createIndex(w, parts[0], body)
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_") && m == http.MethodDelete:
		c.deleteIndex(w, parts[0])
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_") && m == http.MethodHead:
		if _, err := c.resolve(parts[0]); err != nil || strings.ContainsAny(parts[0], "*?") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":  fmt.Sprintf("no handler found for uri [%s] and method [%s]", r.URL.Path, m),
			"status": http.StatusBadRequest,
		})
	}
}

func (s *Server) info(w http.ResponseWriter, method string) {
	if method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         "esdouble",
		"cluster_name": "esdouble",
		"cluster_uuid": s.state.uuid,
		"version": map[string]any{
			"number":                              Version,
			"build_flavor":                        "default",
			"build_type":                          "esdouble",
			"build_hash":                          "0000000000000000000000000000000000000000",
			"build_date":                          "2025-01-01T00:00:00.000Z",
			"build_snapshot":                      false,
			"lucene_version":                      "9.12.2",
			"minimum_wire_compatibility_version":  "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func (c *cluster) health(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"cluster_name": "esdouble", "status": "green", "timed_out": false,
		"number_of_nodes": 1, "number_of_data_nodes": 1,
		"active_primary_shards": len(c.indices), "active_shards": len(c.indices),
		"relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0,
		"delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
		"task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0,
	})
}

func (c *cluster) createIndex(w http.ResponseWriter, name string, body []byte) {
	if err := validIndexName(name); err != nil {
		writeES(w, &esError{status: 400, typ: "invalid_index_name_exception", reason: err.Error(),
			extra: map[string]any{"index": name, "index_uuid": "_na_"}})
		return
	}
	if _, exists := c.indices[name]; exists {
		writeES(w, &esError{status: 400, typ: "resource_already_exists_exception",
			reason: fmt.Sprintf("index [%s/%s] already exists", name, c.indices[name].uuid),
			extra:  map[string]any{"index": name, "index_uuid": c.indices[name].uuid}})
		return
	}
	if c.aliasExists(name) {
		writeES(w, &esError{status: 400, typ: "invalid_index_name_exception",
			reason: "Invalid index name [" + name + "], already exists as alias", extra: map[string]any{"index": name, "index_uuid": "_na_"}})
		return
	}
	req, err := decodeBody(body)
	if err != nil {
		writeES(w, err)
		return
	}
	var rawMapping map[string]any
	aliases := map[string]bool{}
	for k, v := range req {
		switch k {
		case "mappings":
			rawMapping, _ = v.(map[string]any)
		case "settings":
			if _, ok := v.(map[string]any); !ok {
				writeES(w, &esError{status: 400, typ: "settings_exception", reason: "Failed to load settings"})
				return
			}
		case "aliases":
			obj, _ := v.(map[string]any)
			for a := range obj {
				aliases[a] = true
			}
		default:
			writeES(w, parsingError("unknown key [%s] for create index", k))
			return
		}
	}
	mp, merr := parseMapping(rawMapping)
	if merr != nil {
		writeES(w, merr)
		return
	}
	idx := c.newIndex(name, mp)
	idx.aliases = aliases
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

func (c *cluster) newIndex(name string, mp mapping) *index {
	idx := &index{name: name, uuid: randomID(22), created: time.Now(), aliases: map[string]bool{},
		mapping: mp, docs: map[string]*doc{}, pending: map[string]*doc{}}
	c.indices[name] = idx
	return idx
}

func (c *cluster) deleteIndex(w http.ResponseWriter, expr string) {
	var targets []*index
	for _, part := range strings.Split(expr, ",") {
		if strings.ContainsAny(part, "*?") {
			// action.destructive_requires_name defaults to true in 8.x
			writeES(w, &esError{status: 400, typ: "illegal_argument_exception",
				reason: "Wildcard expressions or all indices are not allowed"})
			return
		}
		idx, ok := c.indices[part]
		if !ok {
			if c.aliasExists(part) {
				writeES(w, &esError{status: 400, typ: "illegal_argument_exception",
					reason: fmt.Sprintf("The provided expression [%s] matches an alias, specify the corresponding concrete indices instead.", part)})
				return
			}
			writeES(w, indexNotFound(part))
			return
		}
		targets = append(targets, idx)
	}
	for _, idx := range targets {
		delete(c.indices, idx.name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
}

func (c *cluster) getAlias(w http.ResponseWriter, method, alias string) {
	out := map[string]any{}
	for _, n := range c.aliasTargets(alias) {
		out[n] = map[string]any{"aliases": map[string]any{alias: map[string]any{}}}
	}
	if len(out) == 0 {
		if method == http.MethodHead {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		// Elasticsearch's own (odd) shape for a missing alias.
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "alias [" + alias + "] missing", "status": 404})
		return
	}
	if method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *cluster) getIndexAliases(w http.ResponseWriter, expr string) {
	idxs, err := c.resolve(expr)
	if err != nil {
		writeES(w, err)
		return
	}
	out := map[string]any{}
	for _, idx := range idxs {
		al := map[string]any{}
		for a := range idx.aliases {
			al[a] = map[string]any{}
		}
		out[idx.name] = map[string]any{"aliases": al}
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *cluster) getMapping(w http.ResponseWriter, expr string) {
	idxs, err := c.resolve(expr)
	if err != nil {
		writeES(w, err)
		return
	}
	out := map[string]any{}
	for _, idx := range idxs {
		out[idx.name] = map[string]any{"mappings": idx.mapping.toJSON()}
	}
	writeJSON(w, http.StatusOK, out)
}

// updateAliases applies all actions or none: every action is checked
// before any takes effect, as Elasticsearch's cluster-state update does.
func (c *cluster) updateAliases(w http.ResponseWriter, body []byte) {
	req, err := decodeBody(body)
	if err != nil {
		writeES(w, err)
		return
	}
	actions, ok := req["actions"].([]any)
	if !ok || len(actions) == 0 {
		writeES(w, &esError{status: 400, typ: "action_request_validation_exception", reason: "Validation Failed: 1: no actions specified;"})
		return
	}
	type op struct {
		kind  string
		index string
		alias string
	}
	var ops []op
	for _, a := range actions {
		obj, ok := a.(map[string]any)
		if !ok || len(obj) != 1 {
			writeES(w, parsingError("[aliases] each action must be an object with one key"))
			return
		}
		for kind, v := range obj {
			spec, _ := v.(map[string]any)
			index, _ := spec["index"].(string)
			alias, _ := spec["alias"].(string)
			switch kind {
			case "add", "remove":
				if index == "" || alias == "" {
					writeES(w, &esError{status: 400, typ: "action_request_validation_exception", reason: "Validation Failed: 1: [" + kind + "] requires an [index] and an [alias];"})
					return
				}
			case "remove_index":
				if index == "" {
					writeES(w, &esError{status: 400, typ: "action_request_validation_exception", reason: "Validation Failed: 1: [remove_index] requires an [index];"})
					return
				}
			default:
				writeES(w, parsingError("Unknown action [%s]", kind))
				return
			}
			if _, exists := c.indices[index]; !exists {
				writeES(w, indexNotFound(index))
				return
			}
			if kind == "add" {
				if _, clash := c.indices[alias]; clash {
					writeES(w, &esError{status: 400, typ: "invalid_alias_name_exception",
						reason: fmt.Sprintf("Invalid alias name [%s]: an index or data stream exists with the same name as the alias", alias)})
					return
				}
			}
			if kind == "remove" && !c.indices[index].aliases[alias] {
				writeES(w, &esError{status: 404, typ: "aliases_not_found_exception", reason: "aliases [" + alias + "] missing",
					extra: map[string]any{"resource.type": "aliases", "resource.id": alias}})
				return
			}
			ops = append(ops, op{kind, index, alias})
		}
	}
	for _, o := range ops {
		switch o.kind {
		case "add":
			c.indices[o.index].aliases[o.alias] = true
		case "remove":
			delete(c.indices[o.index].aliases, o.alias)
		case "remove_index":
			delete(c.indices, o.index)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true, "errors": false})
}

// bulk handles NDJSON index/create actions with per-item results.
func (s *Server) bulk(w http.ResponseWriter, defaultIndex string, body []byte, refresh string) {
	start := time.Now()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 100<<20)
	var items []any
	hasErrors := false
	touched := map[*index]bool{}
	line := 0
	for sc.Scan() {
		line++
		header := bytes.TrimSpace(sc.Bytes())
		if len(header) == 0 {
			continue
		}
		var action map[string]map[string]any
		if err := json.Unmarshal(header, &action); err != nil || len(action) != 1 {
			writeES(w, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]", line)})
			return
		}
		var kind string
		var meta map[string]any
		for k, v := range action {
			kind, meta = k, v
		}
		if kind != "index" && kind != "create" {
			writeES(w, &esError{status: 400, typ: "illegal_argument_exception",
				reason: fmt.Sprintf("Malformed action/metadata line [%d], expected one of [create, delete, index, update] but found [%s]; the double implements index and create", line, kind)})
			return
		}
		if !sc.Scan() {
			writeES(w, &esError{status: 400, typ: "illegal_argument_exception", reason: "The bulk request must be terminated by a newline [\\n]"})
			return
		}
		line++
		source := bytes.Clone(bytes.TrimSpace(sc.Bytes()))
		indexName, _ := meta["_index"].(string)
		if indexName == "" {
			indexName = defaultIndex
		}
		id, _ := meta["_id"].(string)
		item := s.bulkItem(kind, indexName, id, source, touched)
		if _, failed := item["error"]; failed {
			hasErrors = true
		}
		items = append(items, map[string]any{kind: item})
	}
	if err := sc.Err(); err != nil {
		writeES(w, &esError{status: 400, typ: "illegal_argument_exception", reason: err.Error()})
		return
	}
	if refresh == "true" || refresh == "wait_for" {
		for idx := range touched {
			idx.refresh()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors": hasErrors, "took": time.Since(start).Milliseconds(), "items": items})
}

func (s *Server) bulkItem(kind, indexName, id string, source []byte, touched map[*index]bool) map[string]any {
	c := s.state
	fail := func(status int, e *esError) map[string]any {
		cause := map[string]any{"type": e.typ, "reason": e.reason}
		if e.causedBy != "" {
			cause["caused_by"] = map[string]any{"type": "illegal_argument_exception", "reason": e.causedBy}
		}
		for k, v := range e.extra {
			cause[k] = v
		}
		return map[string]any{"_index": indexName, "_id": id, "status": status, "error": cause}
	}
	if indexName == "" {
		return fail(400, &esError{typ: "action_request_validation_exception", reason: "Validation Failed: 1: index is missing;"})
	}
	if s.bulkFailAfter >= 0 && s.bulkAccepted >= s.bulkFailAfter {
		return fail(429, &esError{typ: "es_rejected_execution_exception",
			reason: "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=512, max_coordinating_and_primary_bytes=0]"})
	}
	idx, ok := c.indices[indexName]
	if !ok {
		targets := c.aliasTargets(indexName)
		switch {
		case len(targets) == 1:
			idx = c.indices[targets[0]]
		case len(targets) > 1:
			return fail(400, &esError{typ: "illegal_argument_exception", reason: "no write index is defined for alias [" + indexName + "]"})
		default:
			// Elasticsearch creates a missing index on first write, with
			// dynamic mapping.
			if err := validIndexName(indexName); err != nil {
				return fail(400, &esError{typ: "invalid_index_name_exception", reason: err.Error()})
			}
			idx = c.newIndex(indexName, mapping{dynamic: "true", fields: map[string]fieldDef{}})
		}
	}
	if id == "" {
		id = randomID(20)
	}
	if len(id) > 512 {
		return fail(400, &esError{typ: "action_request_validation_exception", reason: "Validation Failed: 1: id [" + id[:32] + "...] is too long, must be no longer than 512 bytes but was: " + strconv.Itoa(len(id)) + ";"})
	}
	_, inDocs := idx.docs[id]
	_, inPending := idx.pending[id]
	exists := inDocs || inPending
	if kind == "create" && exists {
		return fail(409, &esError{typ: "version_conflict_engine_exception",
			reason: fmt.Sprintf("[%s]: version conflict, document already exists (current version [1])", id),
			extra:  map[string]any{"index_uuid": idx.uuid, "shard": "0", "index": idx.name}})
	}
	d, err := idx.indexDoc(id, source)
	if err != nil {
		return fail(err.status, err)
	}
	idx.lastSeq++
	d.seq = idx.lastSeq
	idx.pending[id] = d
	idx.lastPend = time.Now()
	touched[idx] = true
	s.bulkAccepted++
	result, status := "created", 201
	if exists {
		result, status = "updated", 200
	}
	return map[string]any{
		"_index": idx.name, "_id": id, "_version": 1, "result": result,
		"_shards": map[string]any{"total": 1, "successful": 1, "failed": 0},
		"_seq_no": idx.lastSeq - 1, "_primary_term": 1, "status": status,
	}
}

func (c *cluster) refresh(w http.ResponseWriter, expr string) {
	idxs, err := c.resolve(expr)
	if err != nil {
		writeES(w, err)
		return
	}
	for _, idx := range idxs {
		idx.refresh()
	}
	n := len(idxs)
	writeJSON(w, http.StatusOK, map[string]any{"_shards": map[string]any{"total": n, "successful": n, "failed": 0}})
}

type scoredDoc struct {
	idx   *index
	d     *doc
	score float64
}

// run evaluates a query over the visible documents of the target indices.
func (c *cluster) run(expr string, rawQuery any) ([]scoredDoc, []*index, *esError) {
	idxs, err := c.resolve(expr)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	var out []scoredDoc
	for _, idx := range idxs {
		idx.refreshIfDue(now)
		mt := matcher(matchAll)
		if rawQuery != nil {
			if mt, err = compileQuery(rawQuery, idx.mapping); err != nil {
				return nil, nil, err
			}
		}
		for _, d := range idx.visibleDocs() {
			if ok, score := mt(d); ok {
				out = append(out, scoredDoc{idx, d, score})
			}
		}
	}
	return out, idxs, nil
}

func (c *cluster) count(w http.ResponseWriter, expr string, body []byte) {
	req, err := decodeBody(body)
	if err != nil {
		writeES(w, err)
		return
	}
	for k := range req {
		if k != "query" {
			writeES(w, parsingError("request does not support [%s]", k))
			return
		}
	}
	hits, idxs, err := c.run(expr, req["query"])
	if err != nil {
		writeES(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(hits),
		"_shards": map[string]any{"total": len(idxs), "successful": len(idxs), "skipped": 0, "failed": 0}})
}

func (c *cluster) search(w http.ResponseWriter, expr string, body []byte) {
	start := time.Now()
	req, err := decodeBody(body)
	if err != nil {
		writeES(w, err)
		return
	}
	size, from := 10, 0
	var includes, excludes []string
	sourceOff := false
	for k, v := range req {
		switch k {
		case "query", "sort", "track_total_hits", "track_scores":
		case "size", "from":
			n, ok := v.(float64)
			if !ok || n < 0 || n != math.Trunc(n) {
				writeES(w, &esError{status: 400, typ: "x_content_parse_exception", reason: fmt.Sprintf("[1:1] [search] failed to parse field [%s]", k)})
				return
			}
			if k == "size" {
				size = int(n)
			} else {
				from = int(n)
			}
		case "_source":
			switch x := v.(type) {
			case bool:
				sourceOff = !x
			case string:
				includes = []string{x}
			case []any:
				for _, f := range x {
					includes = append(includes, fmt.Sprint(f))
				}
			case map[string]any:
				for _, f := range clauses(x["includes"]) {
					includes = append(includes, fmt.Sprint(f))
				}
				for _, f := range clauses(x["excludes"]) {
					excludes = append(excludes, fmt.Sprint(f))
				}
			}
		default:
			writeES(w, parsingError("Unknown key for a START_OBJECT in [%s].", k))
			return
		}
	}
	if from+size > 10000 {
		writeES(w, &esError{status: 400, typ: "illegal_argument_exception",
			reason: fmt.Sprintf("Result window is too large, from + size must be less than or equal to: [10000] but was [%d]. See the scroll api for a more efficient way to request large data sets.", from+size)})
		return
	}
	hits, idxs, err := c.run(expr, req["query"])
	if err != nil {
		writeES(w, err)
		return
	}
	var specs []sortSpec
	byScore := true
	if rawSort, ok := req["sort"]; ok && len(idxs) > 0 {
		specs, byScore, err = compileSort(rawSort, idxs[0].mapping)
		if err != nil {
			writeES(w, err)
			return
		}
	}
	if len(specs) == 0 {
		specs = []sortSpec{{key: func(_ *doc, s float64) float64 { return s }, desc: true}}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		for _, sp := range specs {
			if sp.str != nil {
				a, _ := sp.str(hits[i].d)
				b, _ := sp.str(hits[j].d)
				if a != b {
					return (a < b) != sp.desc
				}
				continue
			}
			a, b := sp.key(hits[i].d, hits[i].score), sp.key(hits[j].d, hits[j].score)
			if a != b {
				return (a < b) != sp.desc
			}
		}
		return hits[i].d.seq < hits[j].d.seq
	})
	total := len(hits)
	if from > len(hits) {
		hits = nil
	} else {
		hits = hits[from:]
	}
	if len(hits) > size {
		hits = hits[:size]
	}
	_, explicitSort := req["sort"]
	var maxScore any
	out := make([]any, 0, len(hits))
	for _, h := range hits {
		hit := map[string]any{"_index": h.idx.name, "_id": h.d.id}
		if byScore {
			hit["_score"] = h.score
			if ms, ok := maxScore.(float64); !ok || h.score > ms {
				maxScore = h.score
			}
		} else {
			hit["_score"] = nil
		}
		if !sourceOff {
			hit["_source"] = filterSource(h.d.source, h.d.parsed, includes, excludes)
		}
		if explicitSort {
			vals := make([]any, 0, len(specs))
			for _, sp := range specs {
				vals = append(vals, sp.value(h.d, h.score))
			}
			hit["sort"] = vals
		}
		out = append(out, hit)
	}
	n := len(idxs)
	writeJSON(w, http.StatusOK, map[string]any{
		"took":      time.Since(start).Milliseconds(),
		"timed_out": false,
		"_shards":   map[string]any{"total": n, "successful": n, "skipped": 0, "failed": 0},
		"hits": map[string]any{
			"total":     map[string]any{"value": total, "relation": "eq"},
			"max_score": maxScore,
			"hits":      out,
		},
	})
}
