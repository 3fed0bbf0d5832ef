package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// These tests run the real Pulumi CLI in a temporary clone with its own
// HOME and PULUMI_HOME, no terminal and no PULUMI_* variables of the
// caller: what a user gets from a fresh clone. The Go language host and the
// provider plugins are not installed here, so preview, up and destroy stop
// at the language host; everything before it (backend, stack, passphrase,
// config and its schema) has run. Each command must get exactly that far.

// notExpected are the failures the state and secrets design rules out.
var notExpected = []string{
	"passphrase must be set", "incorrect passphrase", // passphrase
	"PULUMI_ACCESS_TOKEN", "pulumi login", "Logging in", "app.pulumi.com", // a login or the cloud backend
	"no stack named", "stack not found", // stack selection
	"must be of type", "is not a valid", // the CLI's config schema check
	"does not exist", "no such file", // a missing backend folder or stack file
}

func requireBoundary(t *testing.T, r stacktest.Result) {
	t.Helper()
	t.Logf("\n%s", r)
	for _, bad := range notExpected {
		if strings.Contains(r.Output, bad) {
			t.Errorf("`%s` says %q; the state and secrets design must prevent that", r.Command, bad)
		}
	}
	if !strings.Contains(r.Output, stacktest.LanguageHostBoundary) {
		t.Errorf("`%s` did not reach the Go language host (%q)", r.Command, stacktest.LanguageHostBoundary)
	}
	if r.Err == nil {
		t.Errorf("`%s` succeeded without a Go language host; the test no longer sees how far it gets", r.Command)
	}
}

func requireOK(t *testing.T, r stacktest.Result, want ...string) {
	t.Helper()
	t.Logf("\n%s", r)
	if r.Err != nil {
		t.Errorf("`%s` failed: %v", r.Command, r.Err)
	}
	for _, bad := range notExpected {
		if strings.Contains(r.Output, bad) {
			t.Errorf("`%s` says %q", r.Command, bad)
		}
	}
	for _, w := range want {
		if !strings.Contains(r.Output, w) {
			t.Errorf("`%s` output lacks %q", r.Command, w)
		}
	}
}

func requireClean(t *testing.T, c *stacktest.Clone, after string) {
	t.Helper()
	if st := c.Git(t, "status", "--porcelain", "--untracked-files=no"); st != "" {
		t.Errorf("after %s, tracked files are modified:\n%s%s", after, st, c.Git(t, "diff"))
	}
}

// The README's make targets, in a fresh clone, then again after
// `git clean -fdx` (which removes the state in .pulumi/).
func TestMakeTargetsReachTheLanguageHostInAFreshClone(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	for _, line := range []string{"make up", "make preview", "make destroy YES=1"} {
		requireBoundary(t, c.Run(t, line))
	}
	if _, err := os.Stat(filepath.Join(c.Dir, ".pulumi", "stacks", c.Project, "dev.json")); err != nil {
		t.Errorf("the dev stack's state is not in .pulumi/ of the clone (Pulumi.yaml backend.url): %v", err)
	}
	requireClean(t, c, "make up, preview and destroy")

	requireOK(t, c.Run(t, "git clean -fdx"), "Removing .pulumi/")
	requireBoundary(t, c.Run(t, "make up"))
	requireClean(t, c, "git clean -fdx and make up")

	// prod: the first run makes the user's passphrase file, and writes the
	// stack's salt and the generated esPassword into Pulumi.prod.yaml, which
	// the README says to commit.
	r := c.Run(t, "make up-prod YES=1")
	requireBoundary(t, r)
	if !strings.Contains(r.Output, "created a passphrase for the prod stack's secrets") || !strings.Contains(r.Output, "generated the Elasticsearch password") {
		t.Errorf("make up-prod did not make the passphrase and the password on first use")
	}
	requireBoundary(t, c.Run(t, "make destroy STACK=prod YES=1"))
	if st := c.Git(t, "status", "--porcelain", "--untracked-files=no"); strings.TrimSpace(st) != "M Pulumi.prod.yaml" {
		t.Errorf("after make up-prod: git status\n%s\nwant only Pulumi.prod.yaml", st)
	}
	diff := c.Git(t, "diff", "-U0", "Pulumi.prod.yaml")
	t.Logf("what make up-prod adds to Pulumi.prod.yaml (to commit):\n%s", diff)
	for _, want := range []string{"+encryptionsalt: v1:", "+  " + c.Key("esPassword") + ":", "+    secure: v1:"} {
		if !strings.Contains(diff, want) {
			t.Errorf("Pulumi.prod.yaml diff lacks %q", want)
		}
	}
	requireOK(t, c.Run(t, "bash infra/tools/pulumi/run.sh prod config get esPassword --stack prod"))
}

// The README's plain CLI commands for the dev stack, typed by hand in a
// fresh clone: the same backend, stack and secrets as make, no login, no
// terminal. A secret set this way changes only its own line of
// Pulumi.dev.yaml, and once committed, a second clone reads it.
func TestPlainCLICommandsShareTheStackWithMake(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	before, err := os.ReadFile(filepath.Join(c.Dir, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pass := "PULUMI_CONFIG_PASSPHRASE=" // as the README says: export PULUMI_CONFIG_PASSPHRASE=

	requireOK(t, c.Run(t, "pulumi stack select dev --create", pass))
	requireOK(t, c.Run(t, "pulumi config set --secret esPassword s3cret-cli-1 --stack dev", pass))
	requireOK(t, c.Run(t, "pulumi config set esSecurity true --stack dev", pass))
	requireOK(t, c.Run(t, "pulumi config get esPassword --stack dev", pass), "s3cret-cli-1")
	requireBoundary(t, c.Run(t, "pulumi preview -s dev --skip-plugin-pre-install", pass))
	requireBoundary(t, c.Run(t, "pulumi up -s dev --yes --skip-plugin-pre-install", pass))
	requireOK(t, c.Run(t, "pulumi stack output --stack dev", pass))
	requireBoundary(t, c.Run(t, "pulumi destroy -s dev --yes --run-program --skip-plugin-pre-install", pass))
	// make sees the stack the plain commands made, with its secret.
	requireBoundary(t, c.Run(t, "make preview"))

	after, err := os.ReadFile(filepath.Join(c.Dir, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Git(t, "status", "--porcelain", "--untracked-files=no"); strings.TrimSpace(st) != "M Pulumi.dev.yaml" {
		t.Errorf("git status after the plain commands:\n%s\nwant only Pulumi.dev.yaml (the two keys set)", st)
	}
	salt := regexp.MustCompile(`(?m)^encryptionsalt: .*$`)
	if salt.FindString(string(before)) == "" || salt.FindString(string(before)) != salt.FindString(string(after)) {
		t.Errorf("the committed encryptionsalt changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	t.Logf("Pulumi.dev.yaml after the plain commands:\n%s", after)

	c.Git(t, "commit", "-q", "-am", "dev: esSecurity on, with a password")
	second := stacktest.CloneOf(t, c)
	requireOK(t, second.Run(t, "pulumi stack select dev --create", pass))
	requireOK(t, second.Run(t, "pulumi config get esPassword --stack dev", pass), "s3cret-cli-1")
	requireBoundary(t, second.Run(t, "make up"))
	requireClean(t, second, "a second clone's make up")
}

// Without the variable and without a terminal, Pulumi cannot ask for the
// passphrase; make sets it itself, so only the plain command needs it.
func TestPlainCLIWithoutThePassphraseVariableSaysWhatToSet(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	r := c.Run(t, "pulumi stack select dev --create")
	t.Logf("\n%s", r)
	if r.Err == nil || !strings.Contains(r.Output, "PULUMI_CONFIG_PASSPHRASE") {
		t.Errorf("without PULUMI_CONFIG_PASSPHRASE and a terminal: err %v; want the CLI to name the variable", r.Err)
	}
	requireBoundary(t, c.Run(t, "make preview"))
}

// The CLI checks every stack value against the types in Pulumi.yaml before
// it starts the language host. Both real stack files pass; a copy with a
// value of the wrong type stops there, with the key named.
func TestTheCLIsSchemaCheckPassesBothStackFilesAndStopsABadCopy(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	prodPass := "PULUMI_CONFIG_PASSPHRASE=schema-test-prod"
	requireBoundary(t, c.Run(t, "make preview"))
	requireBoundary(t, c.Run(t, "pulumi stack select prod --create && pulumi preview -s prod", prodPass))

	for _, tc := range []struct {
		stack, line, pass, key string
	}{
		{"dev", "  " + c.Key("webPort") + ": eighty\n", "PULUMI_CONFIG_PASSPHRASE=", "'webPort' must be of type 'integer'"},
		{"prod", "  " + c.Key("retainData") + ": maybe\n", prodPass, "'retainData' must be of type 'boolean'"},
		{"prod", "  " + c.Key("searchCacheMb") + ": 64MB\n", prodPass, "'searchCacheMb' must be of type 'integer'"},
		{"prod", "  " + c.Key("awsPublicSubnetIds") + ": subnet-1\n", prodPass, "'awsPublicSubnetIds' must be of type 'array<string>'"},
	} {
		file := filepath.Join(c.Dir, "Pulumi."+tc.stack+".yaml")
		good, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// After the config: line: the CLI may have written encryptionsalt
		// below the config block when it created the stack.
		bad := strings.Replace(string(good), "\nconfig:\n", "\nconfig:\n"+tc.line, 1)
		if bad == string(good) {
			t.Fatalf("Pulumi.%s.yaml has no config: line:\n%s", tc.stack, good)
		}
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		r := c.Run(t, "pulumi preview -s "+tc.stack, tc.pass)
		t.Logf("with %q:\n%s", strings.TrimSpace(tc.line), r)
		if r.Err == nil || strings.Contains(r.Output, stacktest.LanguageHostBoundary) || !strings.Contains(r.Output, tc.key) {
			t.Errorf("Pulumi.%s.yaml with %q: the CLI did not stop before the language host naming %s", tc.stack, strings.TrimSpace(tc.line), tc.key)
		}
		if err := os.WriteFile(file, good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// When the passphrase cannot open a salt that is there, make says what
// happened and how to recover instead of Pulumi's bare "incorrect
// passphrase": dev with a salt an older checkout wrote for its own random
// passphrase; prod with a committed salt and no passphrase on this machine.
func TestMakeExplainsAMissingOrWrongPassphrase(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	foreign := c.Run(t, `d=$(mktemp -d) && cd "$d" && printf 'name: other\nruntime: go\n' >Pulumi.yaml && mkdir st &&
PULUMI_BACKEND_URL=file://$d/st PULUMI_CONFIG_PASSPHRASE=an-old-random-one pulumi stack init dev >/dev/null 2>&1 && grep encryptionsalt Pulumi.dev.yaml`)
	if foreign.Err != nil {
		t.Fatalf("making a salt for another passphrase: %v\n%s", foreign.Err, foreign.Output)
	}
	dev := filepath.Join(c.Dir, "Pulumi.dev.yaml")
	b, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	salt := regexp.MustCompile(`(?m)^encryptionsalt: .*$`)
	if err := os.WriteFile(dev, salt.ReplaceAll(b, []byte(strings.TrimSpace(foreign.Output))), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.Run(t, "make preview")
	t.Logf("\n%s", r)
	if r.Err == nil || !strings.Contains(r.Output, "incorrect passphrase") || !strings.Contains(r.Output, "git checkout Pulumi.dev.yaml") {
		t.Errorf("dev with a foreign salt: want Pulumi's error followed by the way back (git checkout Pulumi.dev.yaml)")
	}
	c.Git(t, "checkout", "Pulumi.dev.yaml")
	requireBoundary(t, c.Run(t, "make preview"))

	// prod: a salt committed by a teammate, no passphrase here.
	prod := filepath.Join(c.Dir, "Pulumi.prod.yaml")
	pb, err := os.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prod, append(pb, []byte(strings.TrimSpace(foreign.Output)+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.Run(t, "make preview STACK=prod")
	t.Logf("\n%s", r)
	if r.Err == nil || !strings.Contains(r.Output, "Pulumi.prod.yaml holds an encryptionsalt") || strings.Contains(r.Output, "created a passphrase") {
		t.Errorf("prod with a salt and no passphrase: want the explanation, and no new passphrase made up")
	}
	r = c.Run(t, "make preview STACK=prod", "PULUMI_CONFIG_PASSPHRASE=an-old-random-one")
	requireBoundary(t, r)
}

// State lost (git clean -fdx removed .pulumi/) while the dev containers
// still run: Pulumi would fail on the first name clash; make says what
// happened and prints the commands that clear them. The stand-in container
// carries the dev stack's labels and nothing else of it.
func TestMakeExplainsLostStateWhenDevContainersRemain(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	dockertest.Require(t)
	image := dockertest.BuildWebImage(t)
	name := c.Project + "-dev-test-leftover-" + dockertest.RunID()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The test image is labelled foodtrucks.test=1, which make rightly
	// skips; this container must look like the stack's own, so it clears it.
	if _, err := dockertest.Docker(ctx, "create", "--name", name, "--label", "project="+c.Project, "--label", "stack=dev",
		"--label", dockertest.TestLabel+"=", image); err != nil {
		t.Fatal(err)
	}
	dockertest.RemoveOnCleanup(t, name)
	r := c.Run(t, "make up")
	t.Logf("\n%s", r)
	if r.Err == nil || !strings.Contains(r.Output, `The backend has no stack "dev", but Docker still runs containers of one`) ||
		!strings.Contains(r.Output, "docker rm -f") || strings.Contains(r.Output, "Created stack") {
		t.Errorf("make up with dev containers and no state: want the explanation and no new stack")
	}
}

// retainData is a resource option: plain `pulumi destroy` uses the one the
// last `up` recorded. make destroy runs the program (--run-program), so the
// configuration of today decides, whatever was set since the last up. Seen
// here by how far each gets: only a destroy that runs the program needs the
// Go language host.
func TestMakeDestroyRunsTheProgramSoRetainDataSetSinceTheLastUpCounts(t *testing.T) {
	c := stacktest.NewClone(t, stacktest.CLI(t))
	pass := "PULUMI_CONFIG_PASSPHRASE="
	requireOK(t, c.Run(t, "pulumi stack select dev --create", pass))
	requireOK(t, c.Run(t, "pulumi config set retainData true --stack dev", pass))
	plain := c.Run(t, "pulumi destroy -s dev --yes --skip-plugin-pre-install", pass)
	t.Logf("\n%s", plain)
	if strings.Contains(plain.Output, stacktest.LanguageHostBoundary) {
		t.Errorf("plain destroy ran the program; the contrast this test relies on is gone")
	}
	requireBoundary(t, c.Run(t, "make destroy YES=1"))
}
