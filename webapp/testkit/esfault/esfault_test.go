package esfault_test

// The proxy against the real test node (package esnode): what passes
// through must be the node's answer, and each fault must be what the client
// sees. Without java or the node's jars these skip loudly; under
// ESNODE_REQUIRED=1 (CI) they fail.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
)

func TestMain(m *testing.M) { os.Exit(esnode.Main(m)) }

func start(t *testing.T) (*esfault.Proxy, string) {
	t.Helper()
	node := esnode.Shared(t)
	return esfault.Start(t, node.URL), node.URL
}

type answer struct {
	status  int
	header  http.Header
	body    []byte
	readErr error
}

func do(t *testing.T, method, url, body string) (answer, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, readErr := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b, readErr: readErr}, nil
}

func mustDo(t *testing.T, method, url, body string) answer {
	t.Helper()
	a, err := do(t, method, url, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if a.readErr != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, a.readErr)
	}
	return a
}

func TestUnstagedRequestsGetTheNodesAnswer(t *testing.T) {
	p, node := start(t)
	direct := mustDo(t, "GET", node+"/_cluster/health", "")
	proxied := mustDo(t, "GET", p.URL+"/_cluster/health", "")
	var d, q struct {
		ClusterName string `json:"cluster_name"`
	}
	_ = json.Unmarshal(direct.body, &d)
	_ = json.Unmarshal(proxied.body, &q)
	if proxied.status != direct.status || q.ClusterName == "" || q.ClusterName != d.ClusterName ||
		proxied.header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("through the proxy: %d %s %v; straight from the node: %d %s", proxied.status, proxied.body, proxied.header, direct.status, direct.body)
	}
	// A node error passes through as the node sent it.
	missing := mustDo(t, "GET", p.URL+"/esfault-no-such-index-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"/_search", "")
	if missing.status != http.StatusNotFound || !strings.Contains(string(missing.body), "index_not_found_exception") {
		t.Errorf("search of a missing index through the proxy: %d %s", missing.status, missing.body)
	}
	reqs := p.Requests()
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Path != "/_cluster/health" {
		t.Errorf("recorded %+v, want the two requests in order", reqs)
	}
}

func TestDownRefusesAndUpServesAgain(t *testing.T) {
	p, _ := start(t)
	if err := p.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if _, err := do(t, "GET", p.URL+"/", ""); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("GET / while down: %v, want connection refused", err)
	}
	if err := p.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if a := mustDo(t, "GET", p.URL+"/", ""); a.status != http.StatusOK {
		t.Errorf("GET / after coming back: %d %s", a.status, a.body)
	}
}

func TestHangNeverAnswersUntilCleared(t *testing.T) {
	p, _ := start(t)
	p.Inject(esfault.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL+"/", nil)
	began := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) < 300*time.Millisecond {
		t.Errorf("GET / against a hung proxy: %v after %s, want the client's own deadline", err, time.Since(began))
	}
	p.Clear()
	if a := mustDo(t, "GET", p.URL+"/", ""); a.status != http.StatusOK {
		t.Errorf("after Clear: %d %s", a.status, a.body)
	}
}

func TestDelayHoldsTheAnswer(t *testing.T) {
	const delay = time.Second
	p, _ := start(t)
	p.Inject(esfault.Fault{Path: "/_cluster/health", Delay: delay})
	began := time.Now()
	a := mustDo(t, "GET", p.URL+"/_cluster/health", "")
	if took := time.Since(began); took < delay || a.status != http.StatusOK {
		t.Errorf("delayed health: %d after %s, want 200 after at least %s", a.status, took, delay)
	}
	began = time.Now()
	mustDo(t, "GET", p.URL+"/", "")
	if took := time.Since(began); took >= delay {
		t.Errorf("GET / is not matched by the fault but took %s", took)
	}
}

func TestCannedAnswersForTheNextRequests(t *testing.T) {
	p, _ := start(t)
	p.Inject(esfault.Fault{Times: 2, Answer: esfault.Unavailable("7")})
	for i := range 2 {
		a := mustDo(t, "GET", p.URL+"/", "")
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "7" ||
			!strings.Contains(string(a.body), `"type":"cluster_block_exception"`) {
			t.Errorf("request %d: %d %v %s, want the 503 with Retry-After: 7", i+1, a.status, a.header, a.body)
		}
	}
	if a := mustDo(t, "GET", p.URL+"/", ""); a.status != http.StatusOK {
		t.Errorf("third request: %d, want the node's 200 (Times: 2)", a.status)
	}

	p.Inject(esfault.Fault{Times: 1, Answer: esfault.HTMLPage(http.StatusBadGateway)})
	a := mustDo(t, "GET", p.URL+"/", "")
	if a.status != http.StatusBadGateway || a.header.Get("X-Elastic-Product") != "" || !strings.Contains(string(a.body), "<title>502 Bad Gateway</title>") {
		t.Errorf("HTML page: %d %v %s", a.status, a.header, a.body)
	}
}

func TestCutAnswers(t *testing.T) {
	p, node := start(t)
	full := mustDo(t, "GET", node+"/", "")

	p.Inject(esfault.Fault{Times: 1, Truncate: true})
	a := mustDo(t, "GET", p.URL+"/", "")
	var v any
	if a.status != http.StatusOK || len(a.body) != len(full.body)/2 || json.Unmarshal(a.body, &v) == nil {
		t.Errorf("truncated: %d, %d of %d bytes, valid JSON %v", a.status, len(a.body), len(full.body), v != nil)
	}

	p.Inject(esfault.Fault{Times: 1, Reset: true})
	a, err := do(t, "GET", p.URL+"/", "")
	if err == nil && a.readErr == nil {
		t.Errorf("reset mid-body: the client read %d %q without an error", a.status, a.body)
	} else {
		t.Logf("reset mid-body: %v %v", err, a.readErr)
	}
	if a := mustDo(t, "GET", p.URL+"/", ""); a.status != http.StatusOK || len(a.body) != len(full.body) {
		t.Errorf("after the one-off faults: %d, %d bytes", a.status, len(a.body))
	}
}

func TestRejectBulkItemsAfter(t *testing.T) {
	p, node := start(t)
	index := "esfault-bulk-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { _, _ = do(t, "DELETE", node+"/"+index, "") })
	p.Inject(esfault.RejectBulkItemsAfter(3))
	doc := func(id string) string {
		return `{"index":{"_index":"` + index + `","_id":"` + id + `"}}` + "\n" + `{"n":` + id + "}\n"
	}
	type bulkAnswer struct {
		Errors bool
		Items  []map[string]struct {
			Status int
			Error  struct{ Type string }
		}
	}
	var first, second bulkAnswer
	a := mustDo(t, "POST", p.URL+"/_bulk?refresh=true", doc("1")+doc("2"))
	if err := json.Unmarshal(a.body, &first); err != nil || first.Errors || len(first.Items) != 2 {
		t.Fatalf("first bulk (2 of 3 allowed): %d %s", a.status, a.body)
	}
	a = mustDo(t, "POST", p.URL+"/_bulk?refresh=true", doc("3")+doc("4")+doc("5"))
	if err := json.Unmarshal(a.body, &second); err != nil || !second.Errors || len(second.Items) != 3 {
		t.Fatalf("second bulk: %d %s", a.status, a.body)
	}
	for i, want := range []int{201, 429, 429} {
		got := second.Items[i]["index"]
		if got.Status != want || (want == 429) != (got.Error.Type == "es_rejected_execution_exception") {
			t.Errorf("item %d: %+v, want status %d", i, got, want)
		}
	}
}

// An `_aliases` request that names a missing alias in a remove action is an
// error the real node produces by itself (the proxy need not fake it), and
// an `_aliases` error the node would not give on cue is a canned answer.
func TestAliasesErrors(t *testing.T) {
	p, node := start(t)
	index := "esfault-alias-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { _, _ = do(t, "DELETE", node+"/"+index, "") })
	if a := mustDo(t, "PUT", node+"/"+index, ""); a.status != http.StatusOK {
		t.Fatalf("create %s: %d %s", index, a.status, a.body)
	}
	swap := `{"actions":[{"remove":{"index":"` + index + `","alias":"` + index + `-gone"}},{"add":{"index":"` + index + `","alias":"` + index + `-a"}}]}`
	a := mustDo(t, "POST", p.URL+"/_aliases", swap)
	t.Logf("the node's answer to a remove of a missing alias: %d %s", a.status, a.body)
	// Elasticsearch 8.19: HTTP 200, "errors": true, and the add applied.
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `"errors":true`) || !strings.Contains(string(a.body), "aliases_not_found_exception") {
		t.Errorf("a remove of a missing alias: %d %s, want 200 with \"errors\":true naming aliases_not_found_exception", a.status, a.body)
	}
	if added := mustDo(t, "HEAD", node+"/_alias/"+index+"-a", ""); added.status != http.StatusOK {
		t.Errorf("the add beside the failed remove: alias HEAD %d, want it applied (200)", added.status)
	}

	p.Inject(esfault.Fault{Path: "/_aliases", Times: 1, Answer: esfault.ErrorAnswer(http.StatusNotFound, "aliases_not_found_exception", "aliases ["+index+"-gone] missing")})
	a = mustDo(t, "POST", p.URL+"/_aliases", swap)
	if a.status != http.StatusNotFound || !strings.Contains(string(a.body), `"type":"aliases_not_found_exception"`) || a.header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("canned _aliases error: %d %v %s", a.status, a.header, a.body)
	}
}
