package stacktest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

// EnvPluginsRequired set to 1 (CI does) turns missing Pulumi plugins into a
// failure of the real dev deploy instead of a skip.
const EnvPluginsRequired = "PULUMI_PLUGINS_REQUIRED"

// Plugins returns a folder holding the Go language host and the Docker
// provider, which the CLI then uses as ambient plugins: $PULUMI_PLUGINS_DIR
// when set, else the two binaries unpacked from ../shared/pulumi-plugins
// (beside the repository; built from their public sources, see its README)
// into <root>/.cache/pulumi-plugins and checked against its SHA256SUMS.
// Without them the test is skipped, loudly, or fails when
// PULUMI_PLUGINS_REQUIRED=1.
func Plugins(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv("PULUMI_PLUGINS_DIR"); dir != "" {
		return dir
	}
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	src := filepath.Join(filepath.Dir(root), "shared", "pulumi-plugins")
	dst := filepath.Join(root, ".cache", "pulumi-plugins")
	if err := unpackPlugins(src, dst); err != nil {
		msg := fmt.Sprintf("no Pulumi Go language host and Docker provider (%v); put them in %s or set PULUMI_PLUGINS_DIR", err, src)
		if os.Getenv(EnvPluginsRequired) == "1" {
			tb.Fatalf("the real dev deploy is required (%s=1): %s", EnvPluginsRequired, msg)
		}
		fmt.Fprintf(os.Stderr, "stacktest: SKIPPING the real dev deploy: %s\n", msg)
		tb.Skip("SKIPPING: " + msg)
	}
	return dst
}

// unpackPlugins gunzips every plugin listed in src/SHA256SUMS into dst
// unless an unpacked copy with the right checksum is there already.
func unpackPlugins(src, dst string) error {
	sums, err := os.Open(filepath.Join(src, "SHA256SUMS"))
	if err != nil {
		return err
	}
	defer sums.Close()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	scanner := bufio.NewScanner(sums)
	n := 0
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) != 2 {
			continue
		}
		want, name := fields[0], strings.TrimPrefix(fields[1], "*")
		n++
		target := filepath.Join(dst, name)
		if sum, err := fileSHA256(target); err == nil && sum == want {
			continue
		}
		if err := gunzip(filepath.Join(src, name+".gz"), target+".tmp"); err != nil {
			return err
		}
		if sum, err := fileSHA256(target + ".tmp"); err != nil || sum != want {
			return fmt.Errorf("%s: checksum %s, SHA256SUMS says %s (%v)", name, sum, want, err)
		}
		if err := os.Rename(target+".tmp", target); err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("%s lists no plugin", sums.Name())
	}
	return scanner.Err()
}

func gunzip(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	z, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, z); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StandinES is the repository and tag of the Elasticsearch stand-in. It is
// not the official name: a test stack sets esImage to it, so nothing
// outside the tests can mistake it for Elastic's image.
const StandinES = "foodtrucks-test/elasticsearch"

// standinGo is where the Go builder stand-in is kept between runs.
const standinGo = "foodtrucks-test/golang"

// Standins builds the test stand-ins (standins/build.sh: the real
// Elasticsearch node on a JRE, and this machine's Go toolchain as the
// builder image webapp/Dockerfile starts FROM), reusing what the engine
// already has, and returns the Elasticsearch stand-in's tag (esVersion).
// The builder is tagged under the name the Dockerfile asks for only for the
// test, and only when the engine holds no image of that name: a real one
// is used as it is, and the tag is removed when the test ends.
func Standins(tb testing.TB, esVersion string) {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	goImage, err := dockerfileGoImage(filepath.Join(root, "webapp", "Dockerfile"))
	if err != nil {
		tb.Fatal(err)
	}
	_, tag, _ := strings.Cut(goImage, ":")
	keep := standinGo + ":" + tag
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	started := time.Now()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "infra", "internal", "stacktest", "standins", "build.sh"),
		StandinES+":"+esVersion, keep)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("building the test stand-ins: %v\n%s", err, out)
	}
	tb.Logf("test stand-ins ready in %s:\n%s", time.Since(started).Round(time.Second), out)

	label, err := dockertest.Docker(ctx, "image", "inspect", "-f", `{{index .Config.Labels "foodtrucks.test"}}`, goImage)
	switch {
	case err == nil && strings.TrimSpace(label) != "1":
		tb.Logf("%s is on the engine and is no stand-in: the web image is built with it", goImage)
		return
	case err == nil:
		// A stand-in tag left by a killed run: ours to reuse.
	default:
		if _, err := dockertest.Docker(ctx, "tag", keep, goImage); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := dockertest.Docker(ctx, "image", "rm", goImage); err != nil {
			tb.Errorf("removing the stand-in's tag %s: %v", goImage, err)
		}
	})
}

// dockerfileGoImage is the default of the Dockerfile's GO_IMAGE argument.
func dockerfileGoImage(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^ARG GO_IMAGE=(\S+)$`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s has no ARG GO_IMAGE=<image>", path)
	}
	return string(m[1]), nil
}
