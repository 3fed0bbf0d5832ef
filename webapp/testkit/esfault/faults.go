package esfault

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// ErrorAnswer is an answer in Elasticsearch's error shape,
//
//	{"error":{"root_cause":[{"type":…,"reason":…}],"type":…,"reason":…},"status":N}
//
// with the product header a node sends.
func ErrorAnswer(status int, typ, reason string) *Answer {
	cause := map[string]string{"type": typ, "reason": reason}
	body, _ := json.Marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	})
	return &Answer{Status: status, Header: nodeHeader(), Body: string(body)}
}

// Rejected is the 429 a node with a full queue sends, with Retry-After
// (seconds; empty leaves the header out).
func Rejected(retryAfter string) *Answer {
	a := ErrorAnswer(http.StatusTooManyRequests, "es_rejected_execution_exception",
		"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]")
	return withRetryAfter(a, retryAfter)
}

// Unavailable is the 503 of a node whose cluster state is not recovered,
// with Retry-After (seconds; empty leaves the header out).
func Unavailable(retryAfter string) *Answer {
	a := ErrorAnswer(http.StatusServiceUnavailable, "cluster_block_exception",
		"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];")
	return withRetryAfter(a, retryAfter)
}

// HTMLPage is a load balancer's or proxy's own error page, as nginx sends
// for a node that is away: no product header, not JSON.
func HTMLPage(status int) *Answer {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return &Answer{
		Status: status,
		Header: http.Header{"Content-Type": {"text/html"}},
		Body:   "<html><head><title>" + text + "</title></head>\n<body><center><h1>" + text + "</h1></center><hr><center>nginx</center></body></html>\n",
	}
}

func nodeHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "X-Elastic-Product": {"Elasticsearch"}}
}

func withRetryAfter(a *Answer, retryAfter string) *Answer {
	if retryAfter != "" {
		a.Header.Set("Retry-After", retryAfter)
	}
	return a
}

// RejectBulkItemsAfter is a Fault for bulk requests: the node indexes every
// document, but in its answer the items after the first n documents (counted
// over all bulk requests the fault sees) become 429
// es_rejected_execution_exception failures, and "errors" becomes true, as a
// node with a full write queue answers. The client sees exactly a partial
// bulk failure.
func RejectBulkItemsAfter(n int) Fault {
	var mu sync.Mutex
	accepted := 0
	return Fault{Method: http.MethodPost, Path: "/_bulk", Rewrite: func(_, _ string, status int, body []byte) []byte {
		if status != http.StatusOK {
			return body
		}
		var answer map[string]json.RawMessage
		var items []map[string]map[string]any
		if json.Unmarshal(body, &answer) != nil || json.Unmarshal(answer["items"], &items) != nil {
			return body // not a bulk answer: leave it to the client to judge
		}
		mu.Lock()
		defer mu.Unlock()
		rejected := false
		for _, item := range items {
			for _, result := range item { // one key: index, create, update or delete
				if accepted < n {
					accepted++
					continue
				}
				rejected = true
				result["status"] = http.StatusTooManyRequests
				result["error"] = map[string]any{
					"type":   "es_rejected_execution_exception",
					"reason": "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=512, max_coordinating_and_primary_bytes=0]",
				}
				for _, k := range []string{"result", "_version", "_seq_no", "_primary_term", "_shards", "forced_refresh"} {
					delete(result, k)
				}
			}
		}
		if !rejected {
			return body
		}
		answer["errors"] = json.RawMessage("true")
		answer["items"], _ = json.Marshal(items)
		out, err := json.Marshal(answer)
		if err != nil {
			return body
		}
		return bytes.TrimSpace(out)
	}}
}
