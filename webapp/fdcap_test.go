package main

import (
	"bufio"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fdLimitWrap runs the server with its open-files limit (soft and hard)
// lowered to 512, as a small container's ulimit would.
var fdLimitWrap = []string{"sh", "-c", `ulimit -n 512 && exec "$0" "$@"`}

// holdIdleConnections opens n keep-alive connections to addr, asks /healthz
// once on each and leaves them open and idle. It returns the connections
// and how many got their answer.
func holdIdleConnections(t *testing.T, addr string, n int) ([]net.Conn, int) {
	t.Helper()
	conns := make([]net.Conn, n)
	var answered atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return
			}
			conns[i] = c
			_ = c.SetDeadline(time.Now().Add(time.Second))
			if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")); err != nil {
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	return conns, int(answered.Load())
}

// holdSilentConnections opens n connections to addr that never send a
// byte, as an attacker's flood does, and keeps them open until the test
// ends. It returns how many connected.
func holdSilentConnections(t *testing.T, addr string, n int) int {
	t.Helper()
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			continue
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return len(conns)
}

// probeHealth asks /healthz on fresh connections and reports how many
// answered 200 within 2 s, and the slowest answer.
func probeHealth(base string, probes int) (ok int, slowest time.Duration) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range probes {
		start := time.Now()
		resp, err := client.Get(base + "/healthz")
		took := time.Since(start)
		slowest = max(slowest, took)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ok++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ok, slowest
}

// With 512 open files and 1,000 idle keep-alive connections, the server
// must keep answering /healthz (the container check and the load balancer
// use it) and never run out of file descriptors. The same flood against
// the server with the cap lifted (MAX_CONNECTIONS far above the limit) is
// the control: there /healthz goes dark.
func TestConnectionCapKeepsHealthzAnswering(t *testing.T) {
	t.Parallel() // waits on timeouts mostly, on a node or process of its own
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const idle, probes = 1000, 10
	env := map[string]string{
		"ES_URL":   "http://127.0.0.1:9", // nothing there: liveness must not care
		"INDEX":    "ft-fdcap",
		"DATA_URL": "testdata/none.json",
	}
	flood := func(t *testing.T, extra map[string]string, probes int) (answered, ok int, slowest time.Duration, log string) {
		for k, v := range env {
			if _, set := extra[k]; !set {
				extra[k] = v
			}
		}
		srv := startServerProcess(t, extra, fdLimitWrap)
		app := srv.replica()
		app.waitStatus(t, "/healthz", http.StatusOK, 30*time.Second)
		if !strings.Contains(srv.log.String(), `"open_files_limit":512`) {
			t.Fatalf("the server does not run with 512 open files:\n%s", srv.log)
		}
		start := time.Now()
		_, answered = holdIdleConnections(t, strings.TrimPrefix(srv.base, "http://"), idle)
		t.Logf("flood of %d idle connections took %s", idle, time.Since(start).Round(time.Millisecond))
		ok, slowest = probeHealth(srv.base, probes)
		return answered, ok, slowest, srv.log.String()
	}

	answered, ok, slowest, log := flood(t, map[string]string{}, probes)
	t.Logf("with the cap: %d of %d idle connections answered; /healthz %d of %d within 2 s (slowest %s)",
		answered, idle, ok, probes, slowest.Round(time.Millisecond))
	if ok != probes {
		t.Errorf("/healthz answered %d of %d probes during the flood, want all", ok, probes)
	}
	if strings.Contains(log, "too many open files") {
		t.Error("the server ran out of file descriptors despite the cap")
	}
	if !strings.Contains(log, `"max_connections":224`) {
		t.Errorf("the cap is not derived from the 512 open files as documented ((512-64)/2 = 224)")
	}

	t.Run("connections that never send a byte", func(t *testing.T) {
		srv := startServerProcess(t, maps.Clone(env), fdLimitWrap)
		srv.replica().waitStatus(t, "/healthz", http.StatusOK, 30*time.Second)
		connected := holdSilentConnections(t, strings.TrimPrefix(srv.base, "http://"), idle)
		ok, slowest := probeHealth(srv.base, probes)
		t.Logf("%d of %d silent connections connected; /healthz %d of %d within 2 s (slowest %s)",
			connected, idle, ok, probes, slowest.Round(time.Millisecond))
		if ok != probes {
			t.Errorf("/healthz answered %d of %d probes while %d silent connections were held, want all", ok, probes, connected)
		}
		if strings.Contains(srv.log.String(), "too many open files") {
			t.Error("the server ran out of file descriptors despite the cap")
		}
	})

	t.Run("control: the cap lifted", func(t *testing.T) {
		const probes = 3 // each waits its full 2 s here
		answered, ok, slowest, log := flood(t, map[string]string{"MAX_CONNECTIONS": "100000"}, probes)
		t.Logf("without the cap: %d of %d idle connections answered; /healthz %d of %d within 2 s (slowest %s); log says too many open files: %v",
			answered, idle, ok, probes, slowest.Round(time.Millisecond), strings.Contains(log, "too many open files"))
		if ok == probes && !strings.Contains(log, "too many open files") {
			t.Log("the flood did not exhaust the server without the cap on this machine; the capped run above proves less")
		}
	})
}
