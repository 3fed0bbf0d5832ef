package esnode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

func TestMain(m *testing.M) { os.Exit(esnode.Main(m)) }

// startOwn starts a node that this test alone uses, so it may restart it.
func startOwn(t *testing.T, dataDir string) *esnode.Node {
	t.Helper()
	n, err := esnode.Start(context.Background(), esnode.Options{DataDir: dataDir})
	if err != nil {
		esnode.Unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	t.Logf("node %s started in %s", n.URL, n.StartupTime.Round(time.Millisecond))
	return n
}

func do(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

func TestRootDocumentNamesTheServer(t *testing.T) {
	n := esnode.Shared(t)
	status, header, body := do(t, http.MethodGet, n.URL+"/", "")
	if status != http.StatusOK {
		t.Fatalf("GET / = %d %s", status, body)
	}
	// The Go client refuses servers without this header.
	if got := header.Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("X-Elastic-Product = %q, want Elasticsearch", got)
	}
	var root struct {
		ClusterUUID string `json:"cluster_uuid"`
		Version     struct {
			Number string `json:"number"`
		} `json:"version"`
		Tagline string `json:"tagline"`
	}
	if err := json.Unmarshal([]byte(body), &root); err != nil {
		t.Fatalf("GET / body %q: %v", body, err)
	}
	if os.Getenv(esnode.EnvURL) == "" && root.Version.Number != esnode.Version {
		t.Errorf("version.number = %q, want %q", root.Version.Number, esnode.Version)
	}
	if !strings.HasPrefix(root.Version.Number, "8.") {
		t.Errorf("version.number = %q, want an 8.x server", root.Version.Number)
	}
	if root.ClusterUUID == "" || root.ClusterUUID == "_na_" {
		t.Errorf("cluster_uuid = %q, want the elected cluster's id", root.ClusterUUID)
	}
	if root.Tagline != "You Know, for Search" {
		t.Errorf("tagline = %q", root.Tagline)
	}
	t.Logf("GET / -> %s", body)
}

func TestRestartOnSameDataKeepsDocumentsAndStopFreesThePort(t *testing.T) {
	data := t.TempDir()
	n := startOwn(t, data)
	port := n.Port

	doc := `{"applicant":"Senor Sisig","location":{"lat":37.7749,"lon":-122.4194}}`
	if status, _, body := do(t, http.MethodPut, n.URL+"/restart-probe", `{"settings":{"number_of_replicas":0},"mappings":{"properties":{"location":{"type":"geo_point"}}}}`); status != http.StatusOK {
		t.Fatalf("create index = %d %s", status, body)
	}
	if status, _, body := do(t, http.MethodPut, n.URL+"/restart-probe/_doc/1?refresh=true", doc); status != http.StatusCreated {
		t.Fatalf("index document = %d %s", status, body)
	}

	began := time.Now()
	if err := n.Restart(context.Background()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("restart took %s", time.Since(began).Round(time.Millisecond))
	if n.Port != port || n.DataDir != data {
		t.Errorf("after restart port=%d data=%s, want port=%d data=%s", n.Port, n.DataDir, port, data)
	}
	// Start returns at yellow cluster health, which a shard still recovering from
	// disk does not prevent; the index turns green once its only copy is back.
	if status, _, body := do(t, http.MethodGet, n.URL+"/_cluster/health/restart-probe?wait_for_status=green&timeout=60s", ""); status != http.StatusOK {
		t.Fatalf("health after restart = %d %s", status, body)
	}
	status, _, body := do(t, http.MethodGet, n.URL+"/restart-probe/_doc/1", "")
	if status != http.StatusOK {
		t.Fatalf("GET document after restart = %d %s", status, body)
	}
	var got struct {
		Source json.RawMessage `json:"_source"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if string(got.Source) != doc {
		t.Errorf("document after restart = %s, want %s", got.Source, doc)
	}

	if err := n.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if n.Running() {
		t.Fatal("node still running after Stop")
	}
	// A freed port can be bound again; a lingering node would hold it.
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(n.Port))
	if err != nil {
		t.Fatalf("port %d still taken after Stop: %v", n.Port, err)
	}
	l.Close()
	if err := n.Stop(); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestStartOnATakenPortFailsWithTheNodesReason(t *testing.T) {
	if _, err := os.Stat(filepath.Join(home(t), "esnode.jar")); err != nil {
		esnode.Unavailable(t, esnode.ErrUnavailable)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	n, err := esnode.Start(context.Background(), esnode.Options{DataDir: t.TempDir(), Port: port})
	if err == nil {
		n.Close()
		t.Fatalf("Start on taken port %d succeeded", port)
	}
	if errors.Is(err, esnode.ErrUnavailable) {
		t.Fatalf("a bind failure must not read as 'unavailable' (tests would skip): %v", err)
	}
	if !strings.Contains(err.Error(), "BindHttpException") && !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("error does not carry the node's reason: %v", err)
	}
	t.Logf("start on a taken port: %.300s", err)
}

func TestStartWithoutJarsIsUnavailable(t *testing.T) {
	tests := []struct {
		name string
		opts esnode.Options
	}{
		{"no jars in home", esnode.Options{DataDir: t.TempDir(), Home: t.TempDir()}},
		{"no java", esnode.Options{DataDir: t.TempDir(), Home: fakeHome(t), Java: filepath.Join(t.TempDir(), "no-such-java")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := esnode.Start(context.Background(), tc.opts)
			if err == nil {
				n.Close()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, esnode.ErrUnavailable) {
				t.Errorf("error %v does not wrap ErrUnavailable", err)
			}
		})
	}
}

func TestStartWithoutDataDirIsRejected(t *testing.T) {
	_, err := esnode.Start(context.Background(), esnode.Options{})
	if err == nil || errors.Is(err, esnode.ErrUnavailable) {
		t.Fatalf("Start without DataDir = %v, want a plain configuration error", err)
	}
}

func home(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("ESNODE_HOME"); h != "" {
		return h
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, ".cache", "esnode")
}

// fakeHome has an esnode.jar file, so only the missing java can fail Start.
func fakeHome(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "esnode.jar"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The english analyser (the test node's stand-in for the analysis-common
// module) stems plurals and possessives and drops English stop words, as a
// distribution's does; the standard analyser leaves words whole.
func TestEnglishAnalyzerStems(t *testing.T) {
	node := esnode.Shared(t)
	for _, tc := range []struct {
		analyzer, text string
		want           []string
	}{
		{"english", "Burritos, Tacos & the Vendor's Quesadillas", []string{"burrito", "taco", "vendor", "quesadilla"}},
		{"standard", "Burritos, Tacos", []string{"burritos", "tacos"}},
	} {
		body, _ := json.Marshal(map[string]string{"analyzer": tc.analyzer, "text": tc.text})
		res, err := http.Post(node.URL+"/_analyze", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Tokens []struct{ Token string } }
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("_analyze with %s: HTTP %d, %v", tc.analyzer, res.StatusCode, err)
		}
		var got []string
		for _, tok := range out.Tokens {
			got = append(got, tok.Token)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s analyser: %q -> %q, want %q", tc.analyzer, tc.text, got, tc.want)
		}
	}
}
