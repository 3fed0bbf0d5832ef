package local_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// The development loop for Go code, on the real engine: the dev-mode web
// container as the stack registers it (localDevMode=true), from the image
// the stack builds for it (the Dockerfile's dev target, an empty context),
// runs the server `make dev-build` compiled on the host; `make dev-watch`
// watches a copy of the sources; an edit of the server's Go code is then
// served by the same container, without Pulumi. The copy, the build folder,
// the images and the container are the test's own (DEV_SRC, DEV_BIN_DIR,
// DEV_CONTAINERS), so a user's dev stack is never touched. The time from
// saving the edit to the new answer is logged, for the record.
func TestDevLoopServesAGoEditWithoutReplacingTheContainer(t *testing.T) {
	dockertest.Require(t)
	root := repo.MustRoot(t)
	dev := runDev(t, map[string]any{"localDevMode": true}, nil)
	web := dev.Must(t, typeContainer, "web-0")
	spec := specFromInputs(t, web.Inputs)
	spec.Image = buildDevImage(t, root, obj(t, dev.Must(t, typeImage, "web").Inputs["build"]))
	spec.Network = dockertest.CreateNetwork(t, "devloop")
	spec.Labels = nil // not the dev stack's labels: its own dev-reload must never find this container

	bin := t.TempDir()
	if err := os.Chmod(bin, 0o755); err != nil { // the container's user reads it
		t.Fatal(err)
	}
	mounted := false
	for i, m := range spec.Mounts {
		if m.Target == "/dev-bin" {
			spec.Mounts[i].Source = bin
			mounted = true
		}
	}
	if !mounted {
		t.Fatalf("the dev-mode web container mounts %+v, no /dev-bin", spec.Mounts)
	}
	port := freeLocalPort(t) // fixed: a restart may move an engine-chosen port
	for i := range spec.Ports {
		spec.Ports[i].HostIP, spec.Ports[i].HostPort = "127.0.0.1", port
	}
	src := copySources(t, root)
	build := exec.Command("make", "--no-print-directory", "-C", root, "dev-build", "DEV_SRC="+src, "DEV_BIN_DIR="+bin)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make dev-build: %v\n%s", err, out)
	}
	c := dockertest.Run(t, spec)
	id := c.ID
	healthz := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	if v := waitForVersion(t, healthz, "dev", 90*time.Second); v != "dev" {
		t.Fatalf("the container serves version %q before any edit, want the host build's \"dev\"", v)
	}

	watch := exec.Command("make", "--no-print-directory", "-C", root, "dev-watch",
		"DEV_SRC="+src, "DEV_BIN_DIR="+bin, "DEV_CONTAINERS="+c.Name)
	watch.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	watch.Stdout, watch.Stderr = &out, &out
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-watch.Process.Pid, syscall.SIGTERM)
		_ = watch.Wait()
		if t.Failed() {
			t.Logf("make dev-watch said:\n%s", out.String())
		}
	})
	time.Sleep(time.Second) // the watch takes its first timestamp

	mainGo := filepath.Join(src, "webapp", "main.go")
	for i, want := range []string{"edit-1", "edit-2"} {
		code, err := os.ReadFile(mainGo)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(code), `version  = "dev"`, `version  = "`+want+`"`, 1)
		if i > 0 {
			edited = strings.Replace(string(code), `version  = "edit-1"`, `version  = "`+want+`"`, 1)
		}
		if edited == string(code) {
			t.Fatalf("webapp/main.go no longer declares the version the test edits")
		}
		saved := time.Now()
		if err := os.WriteFile(mainGo, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := waitForVersion(t, healthz, want, 2*time.Minute); got != want {
			t.Fatalf("2 min after the edit the container serves version %q, want %q", got, want)
		}
		t.Logf("Go edit %d saved → served by the same container in %s", i+1, time.Since(saved).Round(10*time.Millisecond))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now, err := dockertest.Docker(ctx, "inspect", "--format", "{{.Id}}", c.Name)
	if err != nil || strings.TrimSpace(now) != id {
		t.Errorf("after the reloads the container is %q (%v), want the one started, %s", strings.TrimSpace(now), err, id)
	}
}

// buildDevImage builds the dev-mode web image as the stack's build inputs
// say (Dockerfile target, empty context), with a stand-in for the Go builder
// image that holds only the host's CA bundle, the one file the dev target
// takes from it (no image can be pulled here).
func buildDevImage(t *testing.T, root string, build map[string]any) string {
	t.Helper()
	if build["target"] != "dev" {
		t.Fatalf("the dev-mode image build is %v, want the Dockerfile's dev target", build)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	certs := t.TempDir()
	if err := repo.CopyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(certs, "ca-certificates.crt")); err != nil {
		t.Skipf("no CA bundle on this host for the builder's stand-in: %v", err)
	}
	dockerfile := "FROM scratch\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
	if err := os.WriteFile(filepath.Join(certs, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	builder, image := "foodtrucks-test/devloop-builder:"+suffix, "foodtrucks-test/devloop-web:"+suffix
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = dockertest.Docker(ctx, "image", "rm", "-f", image, builder)
	})
	if _, err := dockertest.Build(ctx, "-q", "--label", dockertest.TestLabel+"=1", "-t", builder, certs); err != nil {
		t.Fatal(err)
	}
	if _, err := dockertest.Build(ctx, "-q", "--label", dockertest.TestLabel+"=1", "-t", image,
		"-f", filepath.Join(root, "webapp", "Dockerfile"), "--target", "dev", "--build-arg", "GO_IMAGE="+builder,
		t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return image
}

// copySources copies what `go build ./webapp` reads into a folder of the
// test's own, so the edit never touches the checkout.
func copySources(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := repo.CopyFile(filepath.Join(root, f), filepath.Join(dst, f)); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "webapp"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if d.Name() == "testkit" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		return repo.CopyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Saved before the watch starts: the copy itself is not an edit.
	old := time.Now().Add(-time.Minute)
	_ = filepath.WalkDir(dst, func(p string, _ fs.DirEntry, _ error) error { return os.Chtimes(p, old, old) })
	return dst
}

// waitForVersion polls /healthz until it names want, or until the time is
// up; it returns the last version seen.
func waitForVersion(t *testing.T, url, want string, limit time.Duration) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		if res, err := client.Get(url); err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var h struct{ Version string }
			if res.StatusCode == http.StatusOK && json.Unmarshal(body, &h) == nil {
				last = h.Version
				if last == want {
					return last
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

func freeLocalPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
