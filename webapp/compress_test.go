package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestAnswersOnTheWire serves the city's sample data from the real node and
// asks for the benchmark's words and the map's first view, as a client that
// does not accept gzip (what every client got before) and as a browser does.
// It logs the bytes of each body for the record and asserts that the gzip
// body decodes to the plain one and is a fraction of it.
func TestAnswersOnTheWire(t *testing.T) {
	app := startUIApp(t)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	fetch := func(target, acceptEncoding string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, app.url+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", target, res.StatusCode, err)
		}
		if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %s for %d bytes", target, res.Header.Get("Content-Length"), len(body))
		}
		return res, body
	}
	for _, target := range []string{"/search?q=tacos", "/search?q=burrito", "/search?q=coffee", "/api/trucks"} {
		res, plain := fetch(target, "")
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", target, res.Header.Get("Content-Encoding"))
		}
		res, zipped := fetch(target, "gzip, deflate, br, zstd")
		if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("GET %s accepting gzip: Content-Encoding %q, Vary %q", target, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := io.ReadAll(zr)
		if err != nil || string(decoded) != string(plain) {
			t.Fatalf("GET %s: the gzip body does not decode to the plain one (%v)", target, err)
		}
		t.Logf("%-18s plain %7d bytes, gzip %6d bytes (%.0f%%)", target, len(plain), len(zipped), 100*float64(len(zipped))/float64(len(plain)))
		if len(zipped) > len(plain)/4 {
			t.Errorf("GET %s: gzip sends %d bytes of %d", target, len(zipped), len(plain))
		}
	}
}
