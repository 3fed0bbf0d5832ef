package stacktest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// EnvCLIRequired set to 1 (CI does) turns a missing Pulumi CLI into a test
// failure instead of a skip.
const EnvCLIRequired = "PULUMI_CLI_REQUIRED"

// LanguageHostBoundary is how far a `pulumi preview`, `up` or `destroy
// --run-program` of this Go project gets on a machine without the Go
// language host: everything before it (backend, stack, passphrase, config
// and its schema) has run for real.
const LanguageHostBoundary = "no language plugin 'pulumi-language-go' found"

var cliSkipOnce sync.Once

// CLI returns the path of a real Pulumi CLI: $PULUMI, else `pulumi` on PATH,
// else the one `make pulumi` builds into <root>/.cache/pulumi/bin. A CLI
// with the Go language host beside it is passed over: with it, a test's
// `make up` would deploy the stack for real on this machine's Docker engine.
// Without one the test is skipped with a message on stderr, or fails when
// PULUMI_CLI_REQUIRED=1.
func CLI(tb testing.TB) string {
	tb.Helper()
	candidates := []string{os.Getenv("PULUMI")}
	if p, err := exec.LookPath("pulumi"); err == nil {
		candidates = append(candidates, p)
	}
	if root, err := RepoRoot(); err == nil {
		candidates = append(candidates, filepath.Join(root, ".cache", "pulumi", "bin", "pulumi"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if hasLanguageHost(filepath.Dir(c)) {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			abs, err := filepath.Abs(c)
			if err != nil {
				tb.Fatal(err)
			}
			return abs
		}
	}
	msg := "no Pulumi CLI without the Go language host ($PULUMI, pulumi on PATH, or .cache/pulumi/bin/pulumi from `make pulumi`)"
	if os.Getenv(EnvCLIRequired) == "1" {
		tb.Fatalf("Pulumi CLI required (%s=1): %s", EnvCLIRequired, msg)
	}
	cliSkipOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "stacktest: SKIPPING the tests with the real Pulumi CLI: %s. Run `make pulumi`; set %s=1 to make this a failure.\n", msg, EnvCLIRequired)
	})
	tb.Skip("SKIPPING: " + msg)
	return ""
}

// hasLanguageHost says whether dir holds the Go language host, which the
// CLI would find and use.
func hasLanguageHost(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "pulumi-language-go"))
	return err == nil
}

// pathWithoutLanguageHost is PATH less the folders that hold the Go
// language host, so the CLI under test stops before running the program.
func pathWithoutLanguageHost() string {
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir != "" && !hasLanguageHost(dir) {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

// Clone is a temporary git repository holding the working tree's files
// (tracked and new, not ignored) as one commit, with its own HOME and
// PULUMI_HOME: commands run there as a user would run them in a fresh
// clone, with no terminal and none of the caller's Pulumi settings.
type Clone struct {
	Dir     string // the repository
	Home    string // HOME and, below it, PULUMI_HOME
	CLI     string
	Project string // the clone's own Pulumi project name, also its appName
	// Plugins, when set, is a folder with the Go language host and the
	// Docker provider, put first on PATH: the CLI then deploys for real.
	Plugins string
	// Timeout bounds each Run; 0 means 5 minutes.
	Timeout time.Duration
}

// NewClone makes the clone. The CLI's folder comes first on PATH, as for a
// user who installed it.
func NewClone(tb testing.TB, cli string) *Clone {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	base := tb.TempDir()
	c := &Clone{Dir: filepath.Join(base, "foodtrucks"), Home: filepath.Join(base, "home"), CLI: cli, Project: cloneProject()}
	for _, d := range []string{c.Dir, c.Home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		tb.Fatalf("listing the working tree: %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		if err := repo.CopyFile(filepath.Join(root, f), filepath.Join(c.Dir, f)); err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the working tree, not yet in the index
			}
			tb.Fatal(err)
		}
	}
	if err := c.renameProject(); err != nil {
		tb.Fatal(err)
	}
	c.Git(tb, "init", "-q")
	c.Git(tb, "add", "-A")
	c.Git(tb, "commit", "-q", "-m", "working tree")
	return c
}

// CloneOf clones the repository of c with git itself (a second user's fresh clone).
func CloneOf(tb testing.TB, c *Clone) *Clone {
	tb.Helper()
	base := tb.TempDir()
	d := &Clone{Dir: filepath.Join(base, "foodtrucks"), Home: filepath.Join(base, "home"), CLI: c.CLI, Project: c.Project}
	if err := os.MkdirAll(d.Home, 0o755); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("git", "clone", "-q", c.Dir, d.Dir).CombinedOutput(); err != nil {
		tb.Fatalf("git clone: %v\n%s", err, out)
	}
	return d
}

// cloneProject is a project name of the clone's own: a clone's stacks,
// labels (project=…), config keys and physical names (its appName) can then
// never be taken for, or touch, those of the user's own checkout on the
// same Docker engine, and neither can another test's clone.
func cloneProject() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("ftt-")
	for range 8 {
		b = append(b, letters[rand.IntN(len(letters))])
	}
	return string(b)
}

// renameProject gives the clone its own project: Pulumi.yaml's name, the
// namespace of the stack files' keys, and the dev stack's appName. It is the
// clone's first commit, so the tests' "tracked files unchanged" checks hold.
func (c *Clone) renameProject() error {
	project := filepath.Join(c.Dir, "Pulumi.yaml")
	b, err := os.ReadFile(project)
	if err != nil {
		return err
	}
	named := regexp.MustCompile(`(?m)^name: `+Project+`$`).ReplaceAllString(string(b), "name: "+c.Project)
	if named == string(b) {
		return fmt.Errorf("the clone's Pulumi.yaml names no project %q", Project)
	}
	if err := os.WriteFile(project, []byte(named), 0o644); err != nil {
		return err
	}
	stacks, err := filepath.Glob(filepath.Join(c.Dir, "Pulumi.*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range stacks {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(b), "  "+Project+":", "  "+c.Project+":")
		if filepath.Base(f) == "Pulumi.dev.yaml" {
			s = strings.Replace(s, "\nconfig:\n", "\nconfig:\n  "+c.Key("appName")+": "+c.Project+"\n", 1)
		}
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Key is a config key of the clone's project as a stack file writes it.
func (c *Clone) Key(key string) string { return c.Project + ":" + key }

// Env is the environment commands get: the caller's, less every PULUMI_*
// variable (backend, passphrase, token, home), with HOME and PULUMI_HOME in
// the clone's own folder, the CLI first on PATH and no Go language host on it. The Go caches stay
// where they are, so nothing is downloaded or compiled twice.
func (c *Clone) Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PULUMI_"), k == "HOME", k == "PATH", k == "GOFLAGS", k == "MAKEFLAGS", k == "MAKELEVEL":
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if v, err := exec.Command("go", "env", k).Output(); err == nil && os.Getenv(k) == "" {
			env = append(env, k+"="+strings.TrimSpace(string(v)))
		}
	}
	env = append(env,
		"HOME="+c.Home,
		"PULUMI_HOME="+filepath.Join(c.Home, ".pulumi"),
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PATH="+c.path(),
	)
	return append(env, extra...)
}

func (c *Clone) path() string {
	path := filepath.Dir(c.CLI) + string(os.PathListSeparator) + pathWithoutLanguageHost()
	if c.Plugins != "" {
		path = c.Plugins + string(os.PathListSeparator) + path
	}
	return path
}

// Result is one command's run.
type Result struct {
	Command string
	Output  string // standard output and error, interleaved
	Err     error
}

func (r Result) String() string {
	status := "ok"
	if r.Err != nil {
		status = r.Err.Error()
	}
	return fmt.Sprintf("$ %s   [%s]\n%s", r.Command, status, r.Output)
}

// Run runs a shell command line in the clone with Env(extra...), no
// standard input and no terminal, and returns its output.
func (c *Clone) Run(tb testing.TB, line string, extra ...string) Result {
	tb.Helper()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Dir = c.Dir
	cmd.Env = c.Env(extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return Result{Command: line, Output: out.String(), Err: err}
}

// Git runs git in the clone and fails the test on error.
func (c *Clone) Git(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=stacktest", "-c", "user.email=stacktest@localhost", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
