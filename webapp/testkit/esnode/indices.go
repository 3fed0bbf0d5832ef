package esnode

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Do sends one request to an Elasticsearch (a JSON body when body is not
// empty) and returns the status and body; a transport error fails the test.
func Do(tb testing.TB, method, url, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// DeleteIndices deletes the indices matching pattern (such as "alias-*") on
// the Elasticsearch at baseURL, closed ones included, so that tests sharing
// a node leave nothing behind. Elasticsearch refuses wildcard deletes by
// default, so the names are listed first. A failure is reported as a test
// error.
func DeleteIndices(tb testing.TB, baseURL, pattern string) {
	tb.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Get(baseURL + "/_cat/indices/" + url.PathEscape(pattern) + "?format=json&h=index&expand_wildcards=all")
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
