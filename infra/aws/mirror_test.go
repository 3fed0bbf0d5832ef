package aws_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// ecrPulls lists the repositories a role's policy may pull from.
func ecrPulls(t *testing.T, p *prod, role string) []string {
	t.Helper()
	var repos []string
	for _, s := range policy(t, str(p.Must(t, "aws:iam/rolePolicy:RolePolicy", name+role).Inputs, "policy")).Statement {
		if slices.Contains(s.Action, "ecr:BatchGetImage") {
			repos = append(repos, s.Resource...)
		}
	}
	return repos
}

// By default Elasticsearch comes from Elastic's registry by tag. With
// awsEsImageMirror the same image is built FROM it on up, pushed to a
// repository of the stack, and the task runs it by digest; only the
// Elasticsearch execution role may pull it.
func TestElasticsearchImageMirrorIsAnOptIn(t *testing.T) {
	plain := deployProd(t, nil)
	if r := plain.Find("aws:ecr/repository:Repository", name+"es"); r != nil {
		t.Errorf("an Elasticsearch repository without awsEsImageMirror")
	}
	if got, want := str(plain.container(t, "es", "es"), "image"), plain.cfg.ESImage+":"+plain.cfg.ESVersion; got != want {
		t.Errorf("ES image %q, want %q", got, want)
	}
	if repos := ecrPulls(t, plain, "es-execution"); len(repos) != 0 {
		t.Errorf("ES execution role pulls from %v without a mirror", repos)
	}

	p := deployProd(t, map[string]any{"awsEsImageMirror": true, "awsArchitecture": "ARM64"})
	repo := p.Must(t, "aws:ecr/repository:Repository", name+"es")
	if in(repo.Inputs, "imageScanningConfiguration", "scanOnPush") != true {
		t.Errorf("mirror repository does not scan on push")
	}
	p.Must(t, "aws:ecr/lifecyclePolicy:LifecyclePolicy", name+"es")
	img := p.Must(t, "docker:index/image:Image", name+"es")
	build := in(img.Inputs, "build")
	if str(build, "args", "ES_IMAGE") != p.cfg.ESImage+":"+p.cfg.ESVersion || str(build, "platform") != "linux/arm64" {
		t.Errorf("mirror build %v, want FROM %s:%s for linux/arm64", build, p.cfg.ESImage, p.cfg.ESVersion)
	}
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "infra", str(build, "dockerfile")))
	if err != nil {
		t.Fatalf("mirror Dockerfile from infra/: %v", err)
	}
	if !strings.Contains(string(dockerfile), "FROM ${ES_IMAGE}") {
		t.Errorf("mirror Dockerfile does not build FROM the configured image:\n%s", dockerfile)
	}
	if ctx := filepath.Join(root, "infra", str(build, "context")); filepath.Dir(filepath.Join(root, "infra", str(build, "dockerfile"))) != ctx {
		t.Errorf("mirror context %s is not the Dockerfile's own folder", ctx)
	}
	repoURL := computed(repo, "repositoryUrl")
	if got := str(p.container(t, "es", "es"), "image"); !strings.HasPrefix(got, repoURL+"@sha256:") {
		t.Errorf("ES task image %q, want %s@sha256:…", got, repoURL)
	}
	if got := ecrPulls(t, p, "es-execution"); !slices.Equal(got, []string{computed(repo, "arn")}) {
		t.Errorf("ES execution role pulls from %v, want only the mirror %s", got, computed(repo, "arn"))
	}
	if got := ecrPulls(t, p, "web-execution"); slices.Contains(got, computed(repo, "arn")) {
		t.Errorf("web execution role may pull the Elasticsearch image")
	}

	external := deployProd(t, map[string]any{"awsEsImageMirror": true, "searchMode": "external", "externalEsUrl": externalSearch["externalEsUrl"], "esSecurity": false})
	if r := external.Find("aws:ecr/repository:Repository", name+"es"); r != nil {
		t.Errorf("external search mirrors an Elasticsearch image nobody runs")
	}
}
