package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// serverProcess is the built server running as a child process.
type serverProcess struct {
	cmd    *exec.Cmd
	base   string
	log    *lockedLog
	exited chan struct{}
	err    error
}

// startServerProcess runs the server binary with env (nothing inherited but
// PATH and HOME). wrap, when set, prefixes the command (a shell that lowers
// a limit first).
func startServerProcess(t *testing.T, env map[string]string, wrap []string, args ...string) *serverProcess {
	t.Helper()
	bin := buildServer(t)
	port := freePort(t)
	full := map[string]string{
		"PORT":                 strconv.Itoa(port),
		"ES_WAIT":              "30s",
		"ALIAS_CHECK_INTERVAL": "200ms",
		"REFRESH_INTERVAL":     "0",
		"LOG_LEVEL":            "info",
		"PATH":                 os.Getenv("PATH"),
		"HOME":                 os.Getenv("HOME"),
	}
	for k, v := range env {
		full[k] = v
	}
	argv := append(append(append([]string{}, wrap...), bin, "serve"), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &serverProcess{cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), log: &lockedLog{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", p.log)
		}
	})
	return p
}

func (p *serverProcess) replica() *replica {
	return &replica{name: "server", inProcess: &inProcess{base: p.base, log: p.log}}
}

// timedGet is one GET with its status, Retry-After and duration.
func timedGet(url string) (status int, retryAfter string, took time.Duration, err error) {
	start := time.Now()
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Get(url)
	took = time.Since(start)
	if err != nil {
		return 0, "", took, err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), took, nil
}

// An Elasticsearch that hangs (process stopped, socket open: the kernel
// still accepts, nothing answers) must give prompt 503s with Retry-After,
// be noticed by the background check, and not keep SIGTERM from draining
// the requests in flight and exiting 0 within Docker's 10 s stop timeout.
func TestHungEngine(t *testing.T) {
	t.Parallel() // waits on timeouts mostly, on a node or process of its own
	if testing.Short() {
		t.Skip("starts a node of its own")
	}
	node, err := esnode.Start(context.Background(), esnode.Options{DataDir: t.TempDir()})
	if err != nil {
		esnode.Unavailable(t, err)
	}
	t.Cleanup(func() { _ = node.Close() })
	// Registered after Close, so it runs before it: a stopped node cannot
	// act on SIGTERM.
	t.Cleanup(func() { _ = node.Signal(syscall.SIGCONT) })

	srv := startServerProcess(t, map[string]string{
		"ES_URL":   node.URL,
		"INDEX":    "ft-hung",
		"DATA_URL": repo.SampleData(t, "sf-mobile-food-permits.json"),
	}, nil)
	app := srv.replica()
	app.waitStatus(t, "/readyz", http.StatusOK, 2*time.Minute)
	app.waitStatus(t, "/search?q=tacos", http.StatusOK, 30*time.Second)

	if err := node.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	// On a busy machine the node's threads stop a little after the
	// signal; the fault is staged once every one of them has.
	waitUntil(t, 5*time.Second, "every thread of the node stopped", func() bool { return allThreadsStopped(node.PID()) })

	for _, tc := range []struct {
		path   string
		within time.Duration
	}{
		{"/search?q=tacos", 3 * time.Second},
		{"/readyz", 3 * time.Second},
		{"/api/stats", 4 * time.Second},
	} {
		status, retry, took, err := timedGet(srv.base + tc.path)
		t.Logf("hung engine: GET %s → %d (Retry-After %q) in %s", tc.path, status, retry, took.Round(time.Millisecond))
		if err != nil || status != http.StatusServiceUnavailable || retry == "" || took > tc.within {
			t.Errorf("GET %s with the engine hung: %d Retry-After %q after %s (%v), want 503 with Retry-After within %s",
				tc.path, status, retry, took.Round(time.Millisecond), err, tc.within)
		}
	}
	if status, _, took, err := timedGet(srv.base + "/healthz"); err != nil || status != 200 || took > time.Second {
		t.Errorf("/healthz with the engine hung: %d in %s (%v), want 200 at once", status, took, err)
	}
	var noticedAt time.Time
	for deadline := stopped.Add(10 * time.Second); noticedAt.IsZero() && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, line := range strings.Split(srv.log.String(), "\n") {
			if strings.Contains(line, "Elasticsearch unreachable or not answering") {
				var entry struct{ Time time.Time }
				if err := json.Unmarshal([]byte(line), &entry); err == nil {
					noticedAt = entry.Time
				}
			}
		}
	}
	if noticedAt.IsZero() {
		t.Error("the background check did not notice the hung engine within 10s")
	} else {
		t.Logf("background check logged the hung engine %s after SIGSTOP", noticedAt.Sub(stopped).Round(time.Millisecond))
	}

	// Requests in flight when SIGTERM comes must get their answer.
	const inFlight = 5
	var wg sync.WaitGroup
	results := make([]string, inFlight)
	for i := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, took, err := timedGet(srv.base + "/search?q=burrito" + strconv.Itoa(i))
			if err != nil {
				results[i] = "error: " + err.Error()
				return
			}
			results[i] = fmt.Sprintf("%d after %s", status, took.Round(time.Millisecond))
		}()
	}
	time.Sleep(300 * time.Millisecond) // let them reach the engine
	term := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit within 10s of SIGTERM (Docker's stop timeout)")
	}
	took := time.Since(term)
	wg.Wait()
	code := srv.cmd.ProcessState.ExitCode()
	t.Logf("SIGTERM with the engine hung: exit %d after %s; in-flight searches: %v", code, took.Round(time.Millisecond), results)
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	for i, r := range results {
		if !strings.HasPrefix(r, "503 ") {
			t.Errorf("in-flight search %d: %s, want an answer (503)", i, r)
		}
	}
}

// allThreadsStopped reports whether every thread of pid is in the stopped
// state (T in /proc/<pid>/task/<tid>/stat); true where /proc is missing.
func allThreadsStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return true
	}
	for _, task := range tasks {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		s := string(raw)
		if fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(fields) > 0 && fields[0] != "T" && fields[0] != "t" {
			return false
		}
	}
	return true
}
