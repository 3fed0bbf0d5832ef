package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

const (
	secretPassword = "S3cretPassw0rd"
	secretToken    = "T0kenValue42xyz"
	secretESPass   = "EsPassw0rdSecret"
)

// Credentials in DATA_URL (user-info, $$app_token) and ES_PASSWORD must
// appear in no answer and no log line: not in /api/stats' source or
// last_error, not in the "listening" or "data read" lines, not in the
// errors net/http builds with the URL in them. Three sources: one that
// works, one that answers 500, one that drops every connection.
func TestSecretsNeverLeaveTheProcess(t *testing.T) {
	node := esnode.Shared(t)
	sample, err := os.ReadFile(repo.SampleData(t, "sf-mobile-food-permits.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(sample)
	}))
	defer good.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream trouble", http.StatusInternalServerError)
	}))
	defer broken.Close()
	// A port that takes connections and drops them at once: net/http's
	// error then carries the URL.
	dropper, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dropper.Close()
	go func() {
		for {
			c, err := dropper.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	nowhere := dropper.Addr().String()

	withSecrets := func(hostPort string) string {
		return "http://ftuser:" + secretPassword + "@" + hostPort + "/resource/rqzj-sfat.json?$$app_token=" + secretToken + "&$where=status%3D%27APPROVED%27"
	}
	sources := map[string]string{
		"works":   withSecrets(strings.TrimPrefix(good.URL, "http://")),
		"500":     withSecrets(strings.TrimPrefix(broken.URL, "http://")),
		"nowhere": withSecrets(nowhere),
	}
	for name, source := range sources {
		t.Run(name, func(t *testing.T) {
			alias := uniqueAlias("ft-secrets")
			t.Cleanup(func() { esnode.DeleteIndices(t, node.URL, alias+"*") })
			r := startReplica(t, name, map[string]string{"ES_URL": node.URL, "INDEX": alias, "DATA_URL": source,
				"ES_USERNAME": "elastic", "ES_PASSWORD": secretESPass, "LOG_LEVEL": "debug"})
			if name == "works" {
				r.waitStatus(t, "/readyz", http.StatusOK, time.Minute)
			} else {
				deadline := time.Now().Add(30 * time.Second)
				for !strings.Contains(r.log.String(), `"load failed`) {
					if time.Now().After(deadline) {
						t.Fatalf("no failed load within 30s:\n%s", r.log)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			var served strings.Builder
			for _, path := range []string{"/api/stats", "/readyz", "/healthz", "/search?q=tacos", "/", "/nope.js", "/api/nope"} {
				status, body, _ := r.get(path)
				served.WriteString(path + " " + strconv.Itoa(status) + " " + string(body) + "\n")
			}
			_, stats, _ := r.get("/api/stats")
			t.Logf("/api/stats: %s", stats)
			if name != "works" && !strings.Contains(string(stats), `"last_error":"`) {
				t.Errorf("/api/stats does not report the failed load: %s", stats)
			}
			if name == "works" && !strings.Contains(string(stats), `"source":"http://REDACTED@`) {
				t.Errorf("/api/stats does not show the redacted source: %s", stats)
			}
			for _, secret := range []string{secretPassword, secretToken, secretESPass} {
				if strings.Contains(served.String(), secret) {
					t.Errorf("an answer carries the secret %q:\n%s", secret, served.String())
				}
				if strings.Contains(r.log.String(), secret) {
					t.Errorf("the log carries the secret %q:\n%s", secret, r.log)
				}
			}
		})
	}

	t.Run("a rejected ES_URL is not echoed with its password", func(t *testing.T) {
		env := map[string]string{"ES_URL": "http://elastic:" + secretESPass + "@127.0.0.1:9200", "PORT": strconv.Itoa(freePort(t))}
		var log lockedLog
		err := run(context.Background(), []string{"foodtrucks"}, func(k string) string { return env[k] }, &log, &log)
		if err == nil {
			t.Fatal("an ES_URL with credentials was accepted")
		}
		if strings.Contains(err.Error()+log.String(), secretESPass) {
			t.Errorf("the configuration error shows the password: %v", err)
		}
	})
}
