package esdouble_test

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search/esdouble"
)

func do(t *testing.T, es *esdouble.Server, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, es.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %s", method, path, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// errorType checks the Elasticsearch 8 error shape and returns its type.
func errorType(t *testing.T, status int, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("error body without an error object: %v", body)
	}
	rc, ok := e["root_cause"].([]any)
	if !ok || len(rc) == 0 {
		t.Fatalf("error without root_cause: %v", body)
	}
	if int(body["status"].(float64)) != status {
		t.Errorf("status field %v differs from HTTP status %d", body["status"], status)
	}
	if e["reason"] == "" {
		t.Error("error without a reason")
	}
	return e["type"].(string)
}

const mapping = `{"settings":{"number_of_shards":"1"},"mappings":{"dynamic":"strict","properties":{
	"name":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
	"food":{"type":"text","analyzer":"standard"},
	"status":{"type":"keyword"},
	"location":{"type":"geo_point"}}}}`

func loadDocs(t *testing.T, es *esdouble.Server) {
	t.Helper()
	if st, _, b := do(t, es, "PUT", "/trucks-1", mapping); st != 200 || b["acknowledged"] != true {
		t.Fatalf("create: %d %v", st, b)
	}
	bulk := `{"index":{"_id":"a"}}
{"name":"Taco Town","food":["Tacos","Burritos"],"status":"APPROVED","location":{"lat":37.79,"lon":-122.40}}
{"index":{"_id":"b"}}
{"name":"Curry Corner","food":["Curry","Naan"],"status":"EXPIRED","location":[-122.41,37.78]}
{"index":{"_id":"c"}}
{"name":"Far Away Fries","food":["Fries"],"status":"APPROVED","location":"37.70,-122.50"}
`
	st, _, b := do(t, es, "POST", "/trucks-1/_bulk", bulk)
	if st != 200 || b["errors"] != false {
		t.Fatalf("bulk: %d %v", st, b)
	}
	if st, _, _ := do(t, es, "POST", "/trucks-1/_refresh", ""); st != 200 {
		t.Fatal("refresh failed")
	}
}

func TestInfoLooksLikeElasticsearch8(t *testing.T) {
	es := esdouble.Start(t)
	st, h, b := do(t, es, "GET", "/", "")
	if st != 200 || h.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("GET /: %d, product header %q", st, h.Get("X-Elastic-Product"))
	}
	v := b["version"].(map[string]any)
	if !strings.HasPrefix(v["number"].(string), "8.19.") || b["tagline"] != "You Know, for Search" {
		t.Errorf("info body %v", b)
	}
}

func TestErrorsHaveElasticsearchShape(t *testing.T) {
	es := esdouble.Start(t)
	loadDocs(t, es)
	cases := []struct {
		what, method, path, body string
		status                   int
		typ                      string
	}{
		{"search on a missing index", "POST", "/nope/_search", `{}`, 404, "index_not_found_exception"},
		{"create an existing index", "PUT", "/trucks-1", mapping, 400, "resource_already_exists_exception"},
		{"upper-case index name", "PUT", "/Trucks", `{}`, 400, "invalid_index_name_exception"},
		{"unknown query type", "POST", "/trucks-1/_search", `{"query":{"query_string":{"query":"a:b"}}}`, 400, "parsing_exception"},
		{"unknown top-level key", "POST", "/trucks-1/_search", `{"quer":{}}`, 400, "parsing_exception"},
		{"malformed JSON", "POST", "/trucks-1/_search", `{"query":`, 400, "x_content_parse_exception"},
		{"geo query on a text field", "POST", "/trucks-1/_search", `{"query":{"geo_distance":{"distance":"1km","name":{"lat":1,"lon":1}}}}`, 400, "query_shard_exception"},
		{"bad fuzziness", "POST", "/trucks-1/_search", `{"query":{"match":{"food":{"query":"x","fuzziness":"7"}}}}`, 400, "illegal_argument_exception"},
		{"result window too large", "POST", "/trucks-1/_search", `{"size":10001}`, 400, "illegal_argument_exception"},
		{"alias action on a missing index", "POST", "/_aliases", `{"actions":[{"add":{"index":"nope","alias":"x"}}]}`, 404, "index_not_found_exception"},
		{"delete with a wildcard", "DELETE", "/trucks-*", ``, 400, "illegal_argument_exception"},
		{"unsupported analyser", "PUT", "/other", `{"mappings":{"properties":{"f":{"type":"text","analyzer":"english"}}}}`, 400, "mapper_parsing_exception"},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			st, h, b := do(t, es, tc.method, tc.path, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %v", st, tc.status, b)
			}
			if h.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Error("errors must carry X-Elastic-Product too")
			}
			if got := errorType(t, st, b); got != tc.typ {
				t.Errorf("type %q, want %q", got, tc.typ)
			}
		})
	}
}

func TestBulkItemsAndStrictMapping(t *testing.T) {
	es := esdouble.Start(t)
	if st, _, _ := do(t, es, "PUT", "/trucks-1", mapping); st != 200 {
		t.Fatal("create failed")
	}
	bulk := `{"index":{"_id":"ok"}}
{"name":"Fine","status":"APPROVED"}
{"index":{"_id":"unmapped"}}
{"name":"Extra","colour":"red"}
{"index":{"_id":"badgeo"}}
{"name":"Nowhere","location":{"lat":123,"lon":0}}
`
	st, _, b := do(t, es, "POST", "/trucks-1/_bulk", bulk)
	if st != 200 || b["errors"] != true {
		t.Fatalf("bulk with bad items: %d errors=%v; want 200 and errors=true", st, b["errors"])
	}
	items := b["items"].([]any)
	wantStatus := []float64{201, 400, 400}
	wantType := []string{"", "strict_dynamic_mapping_exception", "document_parsing_exception"}
	for i, it := range items {
		r := it.(map[string]any)["index"].(map[string]any)
		if r["status"] != wantStatus[i] {
			t.Errorf("item %d status %v, want %v", i, r["status"], wantStatus[i])
		}
		if wantType[i] != "" {
			if e, _ := r["error"].(map[string]any); e == nil || e["type"] != wantType[i] {
				t.Errorf("item %d error %v, want %s", i, r["error"], wantType[i])
			}
		}
	}
	// Not refreshed yet: a search right away does not see the document.
	if _, _, c := do(t, es, "POST", "/trucks-1/_count", ""); c["count"] != 0.0 {
		t.Errorf("count before refresh %v, want 0", c["count"])
	}
	do(t, es, "POST", "/trucks-1/_refresh", "")
	if _, _, c := do(t, es, "POST", "/trucks-1/_count", ""); c["count"] != 1.0 {
		t.Errorf("count after refresh %v, want 1", c["count"])
	}
}

func hitIDs(b map[string]any) []string {
	var ids []string
	for _, h := range b["hits"].(map[string]any)["hits"].([]any) {
		ids = append(ids, h.(map[string]any)["_id"].(string))
	}
	return ids
}

func TestSearchSemantics(t *testing.T) {
	es := esdouble.Start(t)
	loadDocs(t, es)
	cases := []struct {
		what string
		body string
		want string
	}{
		{"fuzzy AUTO: one edit on a 5-letter word", `{"query":{"match":{"food":{"query":"tacoz","fuzziness":"AUTO"}}}}`, "a"},
		{"no fuzziness: exact terms only", `{"query":{"match":{"food":"tacoz"}}}`, ""},
		{"AUTO allows no edit on 2-letter words", `{"query":{"match":{"food":{"query":"ab","fuzziness":"AUTO"}}}}`, ""},
		{"transposition counts as one edit", `{"query":{"match":{"food":{"query":"nana","fuzziness":"AUTO"}}}}`, "b"},
		{"two edits are too many for a 5-letter word", `{"query":{"match":{"food":{"query":"cruyr","fuzziness":"AUTO"}}}}`, ""},
		{"analysed: case and punctuation ignored", `{"query":{"multi_match":{"query":"NAAN!","fields":["food","name"]}}}`, "b"},
		{"term on keyword is exact", `{"query":{"bool":{"filter":[{"term":{"status":"APPROVED"}}]}},"sort":["_doc"]}`, "a,c"},
		{"term on keyword is case sensitive", `{"query":{"term":{"status":"approved"}}}`, ""},
		{"multi-field keyword", `{"query":{"term":{"name.keyword":{"value":"Taco Town"}}}}`, "a"},
		{"geo_distance within 2km of downtown", `{"query":{"geo_distance":{"distance":"2km","location":{"lat":37.785,"lon":-122.405}}}}`, "a,b"},
		{"bool must + filter", `{"query":{"bool":{"must":[{"match":{"food":"fries curry"}}],"filter":[{"term":{"status":"APPROVED"}}]}}}`, "c"},
		{"size limits hits", `{"size":1,"query":{"match_all":{}},"sort":["_doc"]}`, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			st, _, b := do(t, es, "POST", "/trucks-1/_search", tc.body)
			if st != 200 {
				t.Fatalf("status %d: %v", st, b)
			}
			if got := strings.Join(hitIDs(b), ","); got != tc.want {
				t.Errorf("hits %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("geo sort reports distances in the unit", func(t *testing.T) {
		body := `{"query":{"match_all":{}},"sort":[{"_geo_distance":{"location":[{"lat":37.79,"lon":-122.40}],"order":"asc","unit":"km"}}]}`
		_, _, b := do(t, es, "POST", "/trucks-1/_search", body)
		hits := b["hits"].(map[string]any)["hits"].([]any)
		if got := strings.Join(hitIDs(b), ","); got != "a,b,c" {
			t.Fatalf("order %q", got)
		}
		// b is 0.01° south and west of the point: about 1.41 km.
		d := hits[1].(map[string]any)["sort"].([]any)[0].(float64)
		if math.Abs(d-1.41) > 0.02 {
			t.Errorf("distance to b %.3f km, want about 1.41", d)
		}
		if hits[0].(map[string]any)["_score"] != nil {
			t.Error("a geo-sorted hit has a null _score in Elasticsearch")
		}
	})
}

func TestAliasesSwapAtomically(t *testing.T) {
	es := esdouble.Start(t)
	loadDocs(t, es)
	do(t, es, "PUT", "/trucks-2", mapping)
	do(t, es, "POST", "/_aliases", `{"actions":[{"add":{"index":"trucks-1","alias":"trucks"}}]}`)

	// One bad action (missing index) must leave everything as it was.
	st, _, _ := do(t, es, "POST", "/_aliases", `{"actions":[{"remove":{"index":"trucks-1","alias":"trucks"}},{"add":{"index":"missing","alias":"trucks"}}]}`)
	if st != 404 {
		t.Fatalf("bad swap status %d, want 404", st)
	}
	if got := es.AliasTargets("trucks"); len(got) != 1 || got[0] != "trucks-1" {
		t.Fatalf("after a failed swap the alias points to %v, want trucks-1 untouched", got)
	}
	st, _, _ = do(t, es, "POST", "/_aliases", `{"actions":[{"remove":{"index":"trucks-1","alias":"trucks"}},{"add":{"index":"trucks-2","alias":"trucks"}}]}`)
	if st != 200 || strings.Join(es.AliasTargets("trucks"), ",") != "trucks-2" {
		t.Fatalf("swap: %d, alias %v", st, es.AliasTargets("trucks"))
	}
	if st, _, b := do(t, es, "GET", "/_alias/nope", ""); st != 404 || b["error"] != "alias [nope] missing" {
		t.Errorf("missing alias: %d %v", st, b)
	}
	if st, _, b := do(t, es, "GET", "/trucks-*/_alias", ""); st != 200 || len(b) != 2 {
		t.Errorf("GET trucks-*/_alias: %d %v", st, b)
	}
	if st, _, b := do(t, es, "GET", "/none-*/_alias", ""); st != 200 || len(b) != 0 {
		t.Errorf("a wildcard matching nothing is an empty answer: %d %v", st, b)
	}
}

func TestFaultControls(t *testing.T) {
	es := esdouble.Start(t)

	es.FailNext(429, 2)
	for i := range 2 {
		st, h, b := do(t, es, "GET", "/", "")
		if st != 429 || errorType(t, st, b) != "es_rejected_execution_exception" || h.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("failing request %d: %d %v", i, st, b)
		}
	}
	if st, _, _ := do(t, es, "GET", "/", ""); st != 200 {
		t.Errorf("after N failures the double answers again; got %d", st)
	}

	es.FailNext(503, 1)
	if st, _, b := do(t, es, "GET", "/_cluster/health", ""); st != 503 || errorType(t, st, b) != "cluster_block_exception" {
		t.Errorf("503: %d %v", st, b)
	}

	if err := es.SetDown(true); err != nil {
		t.Fatal(err)
	}
	_, err := http.Get(es.URL + "/")
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("down: err %v, want connection refused", err)
	}
	if err := es.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := do(t, es, "GET", "/", ""); st != 200 {
		t.Errorf("back up: %d", st)
	}

	es.SetLatency(150 * time.Millisecond)
	start := time.Now()
	do(t, es, "GET", "/", "")
	if time.Since(start) < 150*time.Millisecond {
		t.Error("latency was not applied")
	}
	es.SetLatency(0)

	loadDocs(t, es)
	es.Reset()
	if len(es.Indices()) != 0 {
		t.Error("Reset must forget every index")
	}
}
