// Package esnode runs a real, single Elasticsearch node for the test suites.
//
// The node is Elasticsearch's own server, started in a separate JVM from the
// jars Elasticsearch publishes (see pom.xml and build.sh beside this file); it
// is the offline equivalent of the official container image, used only by
// tests and never shipped. `make esnode` builds it into <repo>/.cache/esnode.
package esnode

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// ErrUnavailable says the node cannot be started on this machine at all:
// no java, or the jars were never built. Any other start failure is a real
// error and is returned as such.
var ErrUnavailable = errors.New("real Elasticsearch node not available")

// Version is the Elasticsearch release the node runs; it matches the minor of
// the Go client in go.mod.
const Version = "8.19.21"

const (
	defaultHeapMB       = 512
	defaultStartTimeout = 3 * time.Minute
	stopTimeout         = 30 * time.Second
	logTailLines        = 40
)

// Options configures a node. The zero value is usable except for DataDir.
type Options struct {
	// DataDir holds the node's indices and cluster state. A node started
	// again on the same directory finds everything that was there.
	DataDir string
	// Port for HTTP on 127.0.0.1; 0 picks a free one (kept across Restart).
	Port int
	// HeapMB sets -Xms and -Xmx; 0 means 512.
	HeapMB int
	// Home is the folder with esnode.jar and lib/; empty means $ESNODE_HOME,
	// else <repo>/.cache/esnode.
	Home string
	// Java is the java binary; empty means $ESNODE_JAVA, $JAVA_HOME/bin/java,
	// or java on PATH.
	Java string
	// StartTimeout bounds one start including cluster health; 0 means 3 min.
	StartTimeout time.Duration
	// Log, when set, receives the node's log lines (warnings and errors).
	Log io.Writer
}

// Node is a running (or stopped) node. URL, DataDir and Port stay valid
// across Restart.
type Node struct {
	URL     string
	DataDir string
	Port    int
	// StartupTime is how long the last start took, up to yellow health.
	StartupTime time.Duration

	opts    Options
	java    string
	jar     string
	runDir  string // node home: config, logs, port file
	mu      sync.Mutex
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exited  chan struct{}
	exitErr error
	tail    *lineTail
}

// Start launches a node and waits until its cluster health is yellow or
// green. It returns an error wrapping ErrUnavailable when java or the built
// jars are missing.
func Start(ctx context.Context, o Options) (*Node, error) {
	if o.DataDir == "" {
		return nil, errors.New("esnode: Options.DataDir is required")
	}
	if o.HeapMB == 0 {
		o.HeapMB = defaultHeapMB
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = defaultStartTimeout
	}
	home, err := resolveHome(o.Home)
	if err != nil {
		return nil, err
	}
	jar := filepath.Join(home, "esnode.jar")
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("%w: %s is missing; run `make esnode` (needs a JDK 17+ and Maven)", ErrUnavailable, jar)
	}
	java, err := resolveJava(o.Java)
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("esnode: data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("esnode: data dir: %w", err)
	}
	runDir, err := os.MkdirTemp("", "esnode-home-")
	if err != nil {
		return nil, fmt.Errorf("esnode: %w", err)
	}
	n := &Node{DataDir: dataDir, Port: o.Port, opts: o, java: java, jar: jar, runDir: runDir}
	if err := n.start(ctx); err != nil {
		os.RemoveAll(runDir)
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, n.opts.StartTimeout)
	defer cancel()

	portFile := filepath.Join(n.runDir, "http.port")
	os.Remove(portFile)
	heap := strconv.Itoa(n.opts.HeapMB) + "m"
	cmd := exec.Command(n.java,
		"-Xms"+heap, "-Xmx"+heap,
		// A test node is short-lived and small: start fast rather than tune for hours.
		"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m",
		"-Djava.io.tmpdir="+filepath.Join(n.runDir, "tmp"),
		"-jar", n.jar,
		"--data", n.DataDir,
		"--home", n.runDir,
		"--port", strconv.Itoa(n.Port),
		"--port-file", portFile,
		"--exit-on-stdin-eof",
	)
	if err := os.MkdirAll(filepath.Join(n.runDir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("esnode: %w", err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("esnode: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("esnode: %w", err)
	}
	cmd.Stdout = io.Discard
	setParentDeathSignal(cmd)
	tail := newLineTail(logTailLines)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("esnode: starting %s: %w", n.java, err)
	}
	exited := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		scanner := bufio.NewScanner(stderr)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			line := scanner.Text()
			tail.add(line)
			if n.opts.Log != nil {
				fmt.Fprintln(n.opts.Log, line)
			}
		}
	}()
	n.mu.Lock()
	n.cmd, n.stdin, n.exited, n.tail, n.exitErr = cmd, stdin, exited, tail, nil
	n.mu.Unlock()
	go func() {
		<-copied // Wait closes the pipe; read it to the end first.
		err := cmd.Wait()
		n.mu.Lock()
		n.exitErr = err
		n.mu.Unlock()
		close(exited)
	}()

	port, err := waitForPortFile(ctx, portFile, exited)
	if err == nil {
		n.Port = port
		n.URL = "http://127.0.0.1:" + strconv.Itoa(port)
		err = waitForHealth(ctx, n.URL, exited)
	}
	if err != nil {
		select {
		case <-exited:
			n.mu.Lock()
			err = fmt.Errorf("%w (%v)", err, n.exitErr)
			n.mu.Unlock()
		default:
		}
		n.kill()
		return fmt.Errorf("esnode: node did not start: %w\n--- last node log lines ---\n%s", err, tail.String())
	}
	n.StartupTime = time.Since(began)
	return nil
}

// Stop sends SIGTERM, which makes the node flush and close its shards, and
// kills it if it has not exited after 30 s. Stopping a stopped node is a no-op.
func (n *Node) Stop() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return n.clearProcess(nil)
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return n.clearProcess(fmt.Errorf("esnode: SIGTERM: %w", err))
	}
	select {
	case <-exited:
		return n.clearProcess(nil)
	case <-time.After(stopTimeout):
		cmd.Process.Kill()
		<-exited
		return n.clearProcess(fmt.Errorf("esnode: node ignored SIGTERM for %s and was killed", stopTimeout))
	}
}

// Close stops the node and removes its home folder (not DataDir).
func (n *Node) Close() error {
	err := n.Stop()
	if n.runDir != "" {
		os.RemoveAll(n.runDir)
	}
	return err
}

// Restart stops the node and starts it again on the same DataDir and port.
func (n *Node) Restart(ctx context.Context) error {
	if n.runDir == "" {
		return errors.New("esnode: cannot restart a node this process did not start")
	}
	if err := n.Stop(); err != nil {
		return err
	}
	return n.start(ctx)
}

// Running reports whether the node process is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// PID is the node's Java process id, 0 when this process did not start
// it (ESNODE_URL) or it is not running. Benchmarks read its CPU time.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// LogTail returns the node's last log lines, for failure messages.
func (n *Node) LogTail() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.tail == nil {
		return ""
	}
	return n.tail.String()
}

func (n *Node) clearProcess(err error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stdin != nil {
		n.stdin.Close()
	}
	n.cmd, n.stdin = nil, nil
	return err
}

func (n *Node) kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		<-exited
	}
	n.clearProcess(nil)
}

func waitForPortFile(ctx context.Context, path string, exited <-chan struct{}) (int, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			port, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || port <= 0 {
				return 0, fmt.Errorf("bad port file content %q", b)
			}
			return port, nil
		}
		select {
		case <-exited:
			return 0, errors.New("the node process exited before binding HTTP")
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for HTTP to bind: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func waitForHealth(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 35 * time.Second}
	var last error
	for {
		status, err := clusterHealth(ctx, client, url)
		if err == nil && (status == "green" || status == "yellow") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("cluster health is %s", status)
		}
		last = err
		select {
		case <-exited:
			return errors.New("the node process exited while waiting for cluster health")
		case <-ctx.Done():
			return fmt.Errorf("waiting for cluster health: %w (last: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func clusterHealth(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		url+"/_cluster/health?wait_for_status=yellow&timeout=30s", nil)
	if err != nil {
		return "", err
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var health struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(res.Body).Decode(&health); err != nil {
		return "", fmt.Errorf("cluster health: HTTP %d: %w", res.StatusCode, err)
	}
	return health.Status, nil
}

func resolveHome(home string) (string, error) {
	if home == "" {
		home = os.Getenv("ESNODE_HOME")
	}
	if home != "" {
		return home, nil
	}
	root, err := repo.Root()
	if err != nil {
		return "", fmt.Errorf("%w: %v; set ESNODE_HOME to the folder with esnode.jar", ErrUnavailable, err)
	}
	return filepath.Join(root, ".cache", "esnode"), nil
}

func resolveJava(java string) (string, error) {
	if java == "" {
		java = os.Getenv("ESNODE_JAVA")
	}
	if java == "" {
		if jh := os.Getenv("JAVA_HOME"); jh != "" {
			java = filepath.Join(jh, "bin", "java")
		}
	}
	if java == "" {
		java = "java"
	}
	path, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("%w: no java runtime (%v); install a JDK 17+ or set ESNODE_JAVA", ErrUnavailable, err)
	}
	return path, nil
}

// lineTail keeps the last lines of the node's log for error messages.
type lineTail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newLineTail(max int) *lineTail { return &lineTail{max: max} }

func (t *lineTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(line) > 2000 {
		line = line[:2000] + "…"
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(no output)"
	}
	return strings.Join(t.lines, "\n")
}
