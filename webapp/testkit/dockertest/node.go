package dockertest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
)

// HostName is the name containers use for this machine; NodeForNetwork
// gives the line for their /etc/hosts.
const HostName = "host.docker.internal"

// NodeForNetwork makes the test binary's real Elasticsearch node
// (esnode.Shared, or the server named by ESNODE_URL) reachable from the
// containers on network, and from nowhere else: a TCP relay listens on the
// network's gateway address (the host's side of that bridge, not 0.0.0.0)
// and forwards each connection to the node on 127.0.0.1. It returns the node
// (for the test's own requests), the URL containers use and the ExtraHosts
// entry that makes HostName resolve inside them. The relay stops when the
// test ends.
func NodeForNetwork(tb testing.TB, network string) (node *esnode.Node, containerURL, extraHost string) {
	tb.Helper()
	node = esnode.Shared(tb)
	u, err := url.Parse(node.URL)
	if err != nil || u.Scheme != "http" {
		tb.Fatalf("node URL %q: want http://host:port", node.URL)
	}
	gateway := strings.TrimSpace(docker(tb, "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", network))
	gateway, _, _ = strings.Cut(gateway, " ") // the IPv4 one comes first
	if net.ParseIP(gateway) == nil {
		tb.Fatalf("network %s has no gateway address (%q)", network, gateway)
	}
	r, err := startRelay(net.JoinHostPort(gateway, "0"), u.Host)
	if err != nil {
		tb.Fatalf("relay to the node on the gateway of %s: %v", network, err)
	}
	tb.Cleanup(r.close)
	_, port, _ := net.SplitHostPort(r.ln.Addr().String())
	return node, "http://" + net.JoinHostPort(HostName, port), HostName + ":" + gateway
}

// relay copies bytes between each accepted connection and a new connection
// to target, nothing else.
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startRelay(listen, target string) (*relay, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		r.wg.Add(1)
		go r.pipe(c)
	}
}

func (r *relay) pipe(client net.Conn) {
	defer r.wg.Done()
	upstream, err := net.Dial("tcp", r.target)
	if err != nil {
		client.Close()
		return
	}
	if !r.track(client, upstream) {
		return
	}
	done := make(chan struct{}, 2)
	copyAndSignal := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go copyAndSignal(upstream, client)
	go copyAndSignal(client, upstream)
	<-done // either side finished: end both
	r.untrack(client, upstream)
	<-done
}

// track registers the pair, or closes it when the relay is closing.
func (r *relay) track(cs ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		r.conns[c] = struct{}{}
	}
	return true
}

func (r *relay) untrack(cs ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(r.conns, c)
	}
}

func (r *relay) close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.conns = nil
	r.mu.Unlock()
	r.wg.Wait()
}
