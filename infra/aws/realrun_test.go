package aws_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

// Mocks show what the prod stack asks ECS to run, not that it works. This
// replays the web container definition exactly as registered — environment,
// secrets (with test values), user, read-only root, dropped capabilities,
// health check, task memory — on the local Docker engine with the locally
// built web image, and waits for the engine to call it healthy. Fargate
// has no network name for the task, so neither has the replay; ES_URL
// points at the Service Connect name that does not exist here, which the
// liveness probe must not care about.
func TestWebContainerDefinitionRunsHealthyOnARealEngine(t *testing.T) {
	dockertest.Require(t)
	p := deployProd(t, nil)
	c := p.container(t, "web", "web")

	var envs []string
	for _, e := range list(c, "environment") {
		envs = append(envs, str(e, "name")+"="+str(e, "value"))
	}
	for _, s := range list(c, "secrets") {
		// ECS would read these from Secrets Manager at start.
		envs = append(envs, str(s, "name")+"=replayed-"+str(s, "name"))
	}
	var capDrop []string
	for _, d := range list(c, "linuxParameters", "capabilities", "drop") {
		capDrop = append(capDrop, d.(string))
	}
	var test []string
	for _, part := range list(c, "healthCheck", "command") {
		test = append(test, part.(string))
	}
	seconds := func(key string) time.Duration { return time.Duration(num(c, "healthCheck", key)) * time.Second }
	port := num(c, "portMappings", 0, "containerPort")
	// The container's own limit (the task's less the Service Connect
	// proxy's share), or Fargate's task limit when it has none.
	memoryMB := num(c, "memory")
	if memoryMB <= 0 {
		memoryMB = p.cfg.AWS.WebMemoryMB
	}

	container := dockertest.Run(t, dockertest.ContainerSpec{
		Image:    dockertest.BuildWebImage(t),
		Name:     "prod-web",
		Env:      envs,
		User:     str(c, "user"),
		ReadOnly: in(c, "readonlyRootFilesystem") == true,
		CapDrop:  capDrop,
		Ports:    []dockertest.Port{{HostIP: "127.0.0.1", ContainerPort: port}},
		Health: &dockertest.Healthcheck{
			Test: test, Interval: seconds("interval"), Timeout: seconds("timeout"),
			StartPeriod: seconds("startPeriod"), Retries: num(c, "healthCheck", "retries"),
		},
		MemoryMB: memoryMB,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := container.WaitHealthy(ctx); err != nil {
		t.Fatalf("the prod web container definition does not reach healthy: %v", err)
	}

	// And what the load balancer's health check asks answers 200.
	tg := p.Must(t, "aws:lb/targetGroup:TargetGroup", name+"web")
	url := container.URL(port, str(tg.Inputs, "healthCheck", "path"))
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := str(tg.Inputs, "healthCheck", "matcher"); fmt.Sprint(resp.StatusCode) != want {
		t.Errorf("GET %s = %d %s, want %s as the target group expects", url, resp.StatusCode, body, want)
	}

	// And what the edge keeps in its cache is what this image serves as
	// immutable: every file its page loads.
	assets := checkEdgeCachesOnlyImmutable(t, p.distribution(t), func(t *testing.T, urlPath string) (string, http.Header) {
		t.Helper()
		resp, err := http.Get(container.URL(port, urlPath))
		if err != nil {
			t.Fatalf("GET %s: %v", urlPath, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", urlPath, resp.StatusCode)
		}
		return string(body), resp.Header
	})
	t.Logf("%d files of the image's page fall under the edge's static behaviour", len(assets))
}
