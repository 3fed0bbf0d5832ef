// Package esdouble is a stand-in for the Elasticsearch 8 HTTP API, used in
// tests only (and, built as a tiny binary from cmd/esdouble, as the "es"
// container of the image tests). It is never part of the shipped app.
//
// It implements exactly the part of the API the food-truck app uses, with
// Elasticsearch's semantics as documented: cluster info and health, index
// creation with a strict mapping, _bulk with per-item results, atomic
// _aliases actions, alias lookups, index deletion, _refresh, _count and
// _search (bool/term/match/multi_match with fuzziness AUTO over text
// analysed like the standard analyser, geo_distance filters, _geo_distance
// sort, _source filtering, size/from). Every answer carries
// X-Elastic-Product: Elasticsearch, and errors have Elasticsearch's shape:
//
//	{"error":{"root_cause":[{"type":...,"reason":...}],"type":...,"reason":...},"status":N}
//
// Unsupported request shapes are refused with a 400 parsing_exception, as a
// real node refuses unknown queries, so a test never passes on a request a
// real node would reject for that reason.
//
// Fault controls stage what a real node cannot easily do on cue: SetDown
// (connection refused), SetLatency, FailNext (429/503 for the next N
// requests), FailBulkAfter (reject bulk items after N documents) and Reset
// (a restart that lost its data).
package esdouble

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Version is the Elasticsearch version the double claims to be.
const Version = "8.19.7"

// Request is one request as the double received it.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   []byte
}

// Server is a running double.
type Server struct {
	// URL is http://host:port of the listener.
	URL  string
	addr string

	mu            sync.Mutex
	down          bool
	latency       time.Duration
	failStatus    int
	failLeft      int
	bulkFailAfter int // documents accepted before items fail; <0 = never
	bulkAccepted  int
	requests      []Request
	recording     bool
	state         *cluster

	srv   *http.Server
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// TB is the part of testing.TB that Start needs; taking it as an interface
// keeps the testing package out of the cmd/esdouble binary.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start runs a double on a free port of 127.0.0.1 until the test ends.
func Start(t TB) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("esdouble: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Listen starts a double on addr (host:port, port 0 picks a free one).
func Listen(addr string) (*Server, error) {
	s := &Server{
		bulkFailAfter: -1,
		recording:     true,
		state:         newCluster(),
		conns:         map[net.Conn]struct{}{},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			switch st {
			case http.StateNew:
				s.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(s.conns, c)
			}
		},
	}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the double for good.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Shutdown stops accepting requests and waits for those in flight, for the
// cmd/esdouble binary's SIGTERM handling.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// SetDown(true) makes the double unreachable: the listener closes (new
// connections are refused) and open connections are cut. SetDown(false)
// listens again on the same address, with the data kept, as a node
// restarted on the same data path would.
func (s *Server) SetDown(down bool) error {
	s.mu.Lock()
	if s.down == down {
		s.mu.Unlock()
		return nil
	}
	s.down = down
	if down {
		srv := s.srv
		conns := make([]net.Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.srv, s.ln = nil, nil
		s.mu.Unlock()
		if srv != nil {
			_ = srv.Close() // closes the listener and every tracked connection
		}
		for _, c := range conns {
			_ = c.Close()
		}
		return nil
	}
	s.mu.Unlock()
	var ln net.Listener
	var err error
	// The port was ours a moment ago; retry briefly in case the kernel has
	// not released it yet.
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("esdouble: listen again on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// SetLatency delays every answer by d (0 = none).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// FailNext answers the next n requests with status (429 or 5xx) and the
// error body Elasticsearch sends in that situation.
func (s *Server) FailNext(status, n int) {
	s.mu.Lock()
	s.failStatus, s.failLeft = status, n
	s.mu.Unlock()
}

// FailBulkAfter lets n more documents into bulk requests, then rejects every
// further bulk item with a 429 es_rejected_execution_exception, as a node
// with a full write queue does. n < 0 turns this off.
func (s *Server) FailBulkAfter(n int) {
	s.mu.Lock()
	s.bulkFailAfter, s.bulkAccepted = n, 0
	s.mu.Unlock()
}

// Reset forgets every index and alias: a node restarted without its volume.
func (s *Server) Reset() {
	s.mu.Lock()
	s.state = newCluster()
	s.mu.Unlock()
}

// SetRecording turns the request log behind Requests on (default) or off;
// load tests and the long-running binary switch it off to keep memory flat.
func (s *Server) SetRecording(on bool) {
	s.mu.Lock()
	s.recording = on
	s.mu.Unlock()
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Indices returns the names of the existing indices, sorted.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.indexNames()
}

// AliasTargets returns the indices an alias points to, sorted.
func (s *Server) AliasTargets(alias string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.aliasTargets(alias)
}

// ServeHTTP answers one request. Exported so the double can also sit behind
// an httptest.Server or a custom listener.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 100<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "parse_exception", "request body could not be read: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	if s.recording {
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: bytes.Clone(body)})
	}
	latency := s.latency
	failStatus := 0
	if s.failLeft > 0 {
		s.failLeft--
		failStatus = s.failStatus
	}
	s.mu.Unlock()

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if failStatus != 0 {
		writeFault(w, failStatus)
		return
	}
	s.route(w, r, body)
}

func writeFault(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		writeError(w, status, "es_rejected_execution_exception",
			"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]", nil)
	case http.StatusServiceUnavailable:
		writeError(w, status, "cluster_block_exception",
			"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];", nil)
	default:
		writeError(w, status, "exception", http.StatusText(status), nil)
	}
}
