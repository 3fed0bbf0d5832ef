package main

// Helpers for the tests that run several real servers against one real
// Elasticsearch node (replicas_test.go, hung_test.go, fdcap_test.go,
// secrets_test.go, shrink_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// lockedLog collects a server's log lines across goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count is how many log lines carry msg as their message.
func (l *lockedLog) count(msg string) int {
	return strings.Count(l.String(), `"msg":"`+msg+`"`)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// replica is one run() of the server, in this process, on its own port.
// inProcess is the server run in the test process (run, as main calls it)
// on a port of its own.
type inProcess struct {
	base   string
	log    *lockedLog
	cancel context.CancelFunc
	done   chan error
}

// serveInProcess runs `foodtrucks serve args...` with env on top of
// defaults and a free PORT.
func serveInProcess(t *testing.T, defaults, env map[string]string, args ...string) *inProcess {
	t.Helper()
	port := freePort(t)
	full := maps.Clone(defaults)
	full["PORT"] = strconv.Itoa(port)
	maps.Copy(full, env)
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{base: "http://127.0.0.1:" + strconv.Itoa(port), log: &lockedLog{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		p.done <- run(ctx, append([]string{"foodtrucks", "serve"}, args...), func(k string) string { return full[k] }, p.log, p.log)
	}()
	return p
}

// stop cancels the server's context and returns what run returned; later
// calls return the same.
func (p *inProcess) stop() error {
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		return fmt.Errorf("did not stop within 20s")
	}
}

type replica struct {
	*inProcess
	name string
}

// startReplica runs the server with env (ES_URL, INDEX, DATA_URL at least)
// on top of quick test defaults; it is stopped at the end of the test.
func startReplica(t *testing.T, name string, env map[string]string, args ...string) *replica {
	t.Helper()
	r := &replica{name: name, inProcess: serveInProcess(t, map[string]string{
		"ES_WAIT":              "30s",
		"ALIAS_CHECK_INTERVAL": "200ms",
		"REFRESH_INTERVAL":     "0",
		"LOG_LEVEL":            "info",
	}, env, args...)}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("%s: run returned %v", name, err)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, r.log)
		}
	})
	return r
}

func (r *replica) get(path string) (int, []byte, http.Header) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(r.base + path)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header
}

func (r *replica) waitStatus(t *testing.T, path string, status int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, body, _ := r.get(path)
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: GET %s still %d (%s) after %s, want %d\nlog:\n%s", r.name, path, got, body, within, status, r.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// locations is the "locations" of a search answer, or -1 when it failed.
func (r *replica) locations(t *testing.T, query string) int {
	t.Helper()
	status, body, _ := r.get("/search?" + query)
	if status != http.StatusOK {
		return -1
	}
	var res struct{ Locations int }
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("%s: /search?%s: %v", r.name, query, err)
	}
	return res.Locations
}

// uniqueAlias gives each test its own alias on the shared node.
func uniqueAlias(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
}

// esAliasTargets lists the indices the alias points at (none when it is
// missing).
func esAliasTargets(t *testing.T, esURL, alias string) ([]string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(esURL + "/_alias/" + alias)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out, nil
}

// aliasWatch samples the alias every few milliseconds and remembers the
// most indices it ever pointed at.
type aliasWatch struct {
	mu      sync.Mutex
	max     int
	maxSeen []string
	samples int
	stop    chan struct{}
	done    chan struct{}
}

func watchAlias(t *testing.T, esURL, alias string) *aliasWatch {
	w := &aliasWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			targets, err := esAliasTargets(t, esURL, alias)
			if err != nil {
				continue
			}
			w.mu.Lock()
			w.samples++
			if len(targets) > w.max {
				w.max, w.maxSeen = len(targets), targets
			}
			w.mu.Unlock()
		}
	}()
	t.Cleanup(w.finish)
	return w
}

func (w *aliasWatch) finish() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *aliasWatch) result() (int, []string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max, w.maxSeen, w.samples
}

// buildServer compiles the server into the test's temporary folder, for
// tests that need a real process: a real SIGTERM and exit status, a lowered
// open-files limit. The build cache makes all but the first build a link.
func buildServer(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "foodtrucks")
	cmd := exec.Command("go", "build", "-o", bin, "./webapp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
