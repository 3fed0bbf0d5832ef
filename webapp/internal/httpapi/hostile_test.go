package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// A 60 KB path must be neither logged nor echoed in full: one flood of
// such requests grew the log by hundreds of MiB.
func TestLongPathsAreTruncatedInLogAndAnswer(t *testing.T) {
	var log bytes.Buffer
	h := httpapi.NewServer(httpapi.Deps{Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	path := "/api/" + strings.Repeat("a", 60<<10)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	if n := rec.Body.Len(); n > 2*httpapi.MaxEchoBytes {
		t.Errorf("the 404 body is %d bytes for a %d-byte path, want it cut near %d", n, len(path), httpapi.MaxEchoBytes)
	}
	var f struct{ Status, Msg string }
	if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil || !strings.Contains(f.Msg, fmt.Sprintf("(%d bytes)", len(path))) {
		t.Errorf("404 body %q (%v), want JSON naming the path's real length", rec.Body, err)
	}
	if n := log.Len(); n > 2*httpapi.MaxEchoBytes+512 {
		t.Errorf("one request wrote %d bytes of log for a %d-byte path", n, len(path))
	}
}

// A huge parameter quoted in a 400 is cut like a path.
func TestLongParametersAreNotEchoedInFull(t *testing.T) {
	h := httpapi.NewServer(httpapi.Deps{Search: &memorySearcher{}})
	rec, body := get(t, h, "/search?lat=1&lon=2&radius="+strings.Repeat("9", 60<<10)+"parsecs")
	if msg, _ := body["msg"].(string); rec.Code != http.StatusBadRequest || len(msg) > 2*httpapi.MaxEchoBytes {
		t.Errorf("status %d, message of %d bytes, want 400 with a message cut near %d", rec.Code, len(msg), httpapi.MaxEchoBytes)
	}
}

// A query string that does not decode is a client mistake with its own
// message, not "Please provide a query".
func TestMalformedQueryStringIsNamed(t *testing.T) {
	h := httpapi.NewServer(httpapi.Deps{Search: &memorySearcher{hits: sampleHits(3)}})
	rec, body := get(t, h, "/search?q=%ZZtacos")
	msg, _ := body["msg"].(string)
	if rec.Code != http.StatusBadRequest || !strings.Contains(msg, "malformed") || strings.Contains(msg, "Please provide") {
		t.Errorf("/search?q=%%ZZtacos: %d %q, want 400 saying the query string is malformed", rec.Code, msg)
	}
}

// The UI's file server answers unknown paths in plain text; the server
// turns that into the API's JSON error, and leaves found files alone.
func TestUnknownStaticPathIsJSON(t *testing.T) {
	ui := http.FileServerFS(fstest.MapFS{"app.js": {Data: []byte("console.log(1)")}})
	h := httpapi.NewServer(httpapi.Deps{UI: ui})
	rec, body := get(t, h, "/nope.js")
	if rec.Code != http.StatusNotFound || body["status"] != "failure" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("/nope.js: %d %q %q, want a JSON 404", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if rec, _ := get(t, h, "/app.js"); rec.Code != 200 || rec.Body.String() != "console.log(1)" {
		t.Errorf("/app.js: %d %q", rec.Code, rec.Body)
	}
}

// A state of the alias that needs an operator reaches /readyz with what to
// do; an engine that does not answer in time is a 503 with Retry-After.
func TestReadyzSaysWhatToDo(t *testing.T) {
	problem := &search.AliasProblem{Alias: "sfdata", What: "index sfdata-x behind alias \"sfdata\" is closed", Advice: "open it (POST /sfdata-x/_open)"}
	h := httpapi.NewServer(httpapi.Deps{Ready: readiness{problem}})
	rec, body := get(t, h, "/readyz")
	if msg, _ := body["msg"].(string); rec.Code != 503 || !strings.Contains(msg, "POST /sfdata-x/_open") || rec.Header().Get("Retry-After") == "" {
		t.Errorf("/readyz with a closed index: %d %v Retry-After %q", rec.Code, body, rec.Header().Get("Retry-After"))
	}
}

// limitedServer serves the API on a real listener capped at limit
// connections.
func limitedServer(t *testing.T, limit int) (*httpapi.ConnLimiter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := httpapi.NewConnLimiter(ln, limit)
	srv := httpapi.NewHTTPServer("", httpapi.NewServer(httpapi.Deps{}), slog.New(slog.DiscardHandler))
	srv.ConnState = lim.ConnState
	go func() { _ = srv.Serve(lim) }()
	t.Cleanup(func() { _ = srv.Close() })
	return lim, ln.Addr().String()
}

// freshHealthz asks /healthz on a new connection.
func freshHealthz(t *testing.T, addr, what string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz %s: %v", what, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz %s: %s", what, resp.Status)
	}
}

// The connection cap on a real listener: far more idle keep-alive
// connections than the cap, and a fresh /healthz still answers at once.
func TestConnLimiterEvictsIdleConnections(t *testing.T) {
	const limit = 16
	lim, addr := limitedServer(t, limit)
	for i := range 5 * limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		resp.Body.Close()
	}
	time.Sleep(50 * time.Millisecond) // the last ones turn idle
	if open := lim.Open(); open > limit {
		t.Errorf("%d connections held, cap %d", open, limit)
	}
	if lim.Evicted() < 4*limit-1 {
		t.Errorf("%d idle connections evicted, want about %d", lim.Evicted(), 4*limit)
	}
	freshHealthz(t, addr, fmt.Sprintf("with %d idle connections over a cap of %d", 5*limit, limit))
}

// Connections that connect and never send a byte hold no request the
// server could answer or time out early; at the cap they give way to a new
// connection, oldest first, so they cannot lock a fresh client out.
func TestConnLimiterEvictsSilentConnections(t *testing.T) {
	const limit = 16
	lim, addr := limitedServer(t, limit)
	var silent []net.Conn
	for range 5 * limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
		defer c.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for lim.Evicted() < 4*limit && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if lim.Evicted() < 4*limit {
		t.Errorf("%d silent connections evicted, want %d", lim.Evicted(), 4*limit)
	}
	if open := lim.Open(); open > limit {
		t.Errorf("%d connections held, cap %d", open, limit)
	}
	// Oldest first: the first connection was closed by the server, the
	// last one is still open.
	_ = silent[0].SetReadDeadline(time.Now().Add(time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the oldest silent connection is still open (read: %v)", err)
	}
	freshHealthz(t, addr, fmt.Sprintf("with %d silent connections over a cap of %d", 5*limit, limit))
}
