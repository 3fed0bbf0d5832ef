package esnode

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// DeleteIndices deletes the indices matching pattern (such as "alias-*") on
// the Elasticsearch at baseURL, so that tests sharing a node leave nothing
// behind. Elasticsearch refuses wildcard deletes by default, so the names
// are listed first. A failure is reported as a test error.
func DeleteIndices(tb testing.TB, baseURL, pattern string) {
	tb.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Get(baseURL + "/_cat/indices/" + url.PathEscape(pattern) + "?format=json&h=index")
	if err != nil {
		tb.Errorf("listing %s for clean-up: %v", pattern, err)
		return
	}
	var indices []struct{ Index string }
	err = json.NewDecoder(res.Body).Decode(&indices)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || err != nil {
		tb.Errorf("listing %s for clean-up: HTTP %d, %v", pattern, res.StatusCode, err)
		return
	}
	for _, idx := range indices {
		req, _ := http.NewRequest(http.MethodDelete, baseURL+"/"+url.PathEscape(idx.Index), nil)
		res, err := client.Do(req)
		if err != nil {
			tb.Errorf("deleting %s: %v", idx.Index, err)
			continue
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound {
			tb.Errorf("deleting %s: HTTP %d", idx.Index, res.StatusCode)
		}
	}
}
