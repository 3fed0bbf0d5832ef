// Package esfault is a reverse proxy for tests that sits in front of a real
// Elasticsearch node and misbehaves on cue. It never answers a search,
// mapping or alias question itself: everything passes through to the node
// unchanged unless a fault is staged. The faults are the ones a real node
// cannot be made to produce on demand, or the ones operators meet between
// the app and the node:
//
//   - down: connections refused, open ones cut (SetDown)
//   - hang: accepted, never answered (Fault.Hang)
//   - slow: every answer delayed (Fault.Delay)
//   - a canned answer instead of the node's: 429/503 with Retry-After and
//     Elasticsearch's error body, a proxy's HTML error page, an empty 504,
//     an answer without the product header, an `_aliases` error (Fault.Answer)
//   - the node's answer cut: the connection reset mid-body (Fault.Reset), or
//     a shorter body sent as if complete (Fault.Truncate)
//   - the node's answer rewritten: bulk items rejected after N documents
//     (RejectBulkItemsAfter), or any other edit (Fault.Rewrite)
//
// It records the requests it forwards, so tests can read what the client sent.
// Test support only; it is never part of the shipped app.
package esfault

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request as the proxy received it.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   []byte
}

// Fault is one staged misbehaviour. The match fields pick the requests it
// applies to; the rest say what happens to them. Delay combines with any of
// the others; of Hang, Answer, Reset and Truncate/Rewrite the first set wins.
type Fault struct {
	// Method and Path select requests: empty matches all; Path matches when
	// the request path ends with it ("/_bulk", "/_search", "/_aliases").
	Method, Path string
	// Times limits the fault to the next Times matching requests; 0 means
	// until it is cleared.
	Times int

	Delay  time.Duration // wait this long before anything else
	Hang   bool          // never answer; the client must give up by itself
	Answer *Answer       // answer this instead of asking the node
	// Reset forwards the request, sends the node's status line, headers and
	// half its body, then resets the connection (TCP RST).
	Reset bool
	// Truncate forwards the request and sends the first half of the node's
	// body as a complete answer (its Content-Length says so).
	Truncate bool
	// Rewrite forwards the request and replaces the node's answer body with
	// what it returns.
	Rewrite func(method, path string, status int, body []byte) []byte
}

// Answer is a canned answer.
type Answer struct {
	Status int
	Header http.Header // Content-Type defaults to application/json
	Body   string
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is http://127.0.0.1:port (or the listen address given to Listen).
	URL string

	target *url.URL
	rp     *httputil.ReverseProxy
	addr   string

	mu        sync.Mutex
	faults    []*staged
	requests  []Request
	recording bool
	down      bool
	srv       *http.Server
	ln        net.Listener
	conns     map[net.Conn]struct{}
	release   chan struct{} // closed by Clear to end hung requests
}

type staged struct {
	Fault
	left int // remaining applications when Times > 0
}

// TB is the part of testing.TB that Start needs (the command that runs the
// proxy in a container has no testing package).
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start runs a proxy to target (http://host:port of a node) on a free port of
// 127.0.0.1 until the test ends.
func Start(t TB, target string) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatalf("esfault: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Listen starts a proxy to target on addr (host:port; port 0 picks one).
func Listen(addr, target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http(s)://host:port URL", target)
	}
	p := &Proxy{target: u, recording: true, conns: map[net.Conn]struct{}{}, release: make(chan struct{})}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		// The node's own error reaches the client as the node sent it; a
		// node that cannot be reached is a gateway error, as from any proxy.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "esfault: node unreachable: "+err.Error(), http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.URL = "http://" + p.addr
	p.serve(ln)
	return p, nil
}

func (p *Proxy) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			p.mu.Lock()
			defer p.mu.Unlock()
			switch st {
			case http.StateNew:
				p.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(p.conns, c)
			}
		},
	}
	p.mu.Lock()
	p.srv, p.ln = srv, ln
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the proxy for good, ending hung requests.
func (p *Proxy) Close() error {
	p.Clear()
	p.mu.Lock()
	srv := p.srv
	p.srv, p.ln = nil, nil
	p.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Shutdown stops accepting and waits for the requests in flight (for the
// container command's SIGTERM).
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// SetDown(true) closes the listener, so new connections are refused, and
// cuts the open ones. SetDown(false) listens again on the same address.
func (p *Proxy) SetDown(down bool) error {
	p.mu.Lock()
	if p.down == down {
		p.mu.Unlock()
		return nil
	}
	p.down = down
	if down {
		srv, ln := p.srv, p.ln
		p.srv, p.ln = nil, nil
		p.mu.Unlock()
		// The listener first, here: Serve may not have taken it over yet,
		// and a connection queued on it would be reset, not refused.
		if srv != nil {
			_ = ln.Close()
			_ = srv.Close() // every tracked connection
		}
		return nil
	}
	p.mu.Unlock()
	var ln net.Listener
	var err error
	// The port was ours a moment ago; the kernel may take a moment to free it.
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("esfault: listen again on %s: %w", p.addr, err)
	}
	p.serve(ln)
	return nil
}

// Inject stages f; it applies until Clear (or Times runs out). Faults
// staged earlier are checked first.
func (p *Proxy) Inject(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &staged{Fault: f, left: f.Times})
}

// Clear removes every staged fault and lets hung requests end.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
	close(p.release)
	p.release = make(chan struct{})
}

// SetRecording turns the request log on (default) or off; a long-running
// proxy switches it off to keep memory flat.
func (p *Proxy) SetRecording(on bool) {
	p.mu.Lock()
	p.recording = on
	p.mu.Unlock()
}

// Requests returns the requests received so far, oldest first.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// ResetRequests forgets the recorded requests.
func (p *Proxy) ResetRequests() {
	p.mu.Lock()
	p.requests = nil
	p.mu.Unlock()
}

// take returns the first staged fault matching r, counting it as used.
func (p *Proxy) take(r *http.Request, body []byte) (*Fault, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recording {
		p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body})
	}
	for i, s := range p.faults {
		if (s.Method != "" && s.Method != r.Method) || !strings.HasSuffix(r.URL.Path, s.Path) {
			continue
		}
		f := s.Fault
		if s.Times > 0 {
			if s.left--; s.left == 0 {
				p.faults = append(p.faults[:i:i], p.faults[i+1:]...)
			}
		}
		return &f, p.release
	}
	return nil, p.release
}

// ServeHTTP applies the first matching fault, or passes the request through.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "esfault: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f, release := p.take(r, body)
	if f == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		case <-release:
		}
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-release:
		}
		// Never answered: the connection closes without a status line.
		panic(http.ErrAbortHandler)
	case f.Answer != nil:
		writeAnswer(w, r, f.Answer)
	case f.Reset, f.Truncate, f.Rewrite != nil:
		p.edit(w, r, f)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

func writeAnswer(w http.ResponseWriter, r *http.Request, a *Answer) {
	for k, vs := range a.Header {
		w.Header()[k] = vs
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
	w.WriteHeader(a.Status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, a.Body)
	}
}

// edit asks the node, then sends its answer cut or rewritten.
func (p *Proxy) edit(w http.ResponseWriter, r *http.Request, f *Fault) {
	// The client's Accept-Encoding would get a compressed body, which cannot
	// be cut or read; without it the transport asks for and undoes gzip.
	r.Header.Del("Accept-Encoding")
	rec := &recorder{header: http.Header{}}
	p.rp.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	if f.Rewrite != nil {
		body = f.Rewrite(r.Method, r.URL.Path, rec.status, body)
	}
	for k, vs := range rec.header {
		w.Header()[k] = vs
	}
	switch {
	case f.Reset:
		resetMidBody(w, rec.status, body)
		return
	case f.Truncate:
		body = body[:len(body)/2]
	}
	w.Header().Del("Content-Encoding")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

// resetMidBody promises the whole body, sends half of it and resets the
// connection, as a proxy or node that crashes mid-answer does.
func resetMidBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Del("Content-Encoding")
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST, not FIN
	}
	_ = conn.Close()
}

// recorder holds the node's answer for edit.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
