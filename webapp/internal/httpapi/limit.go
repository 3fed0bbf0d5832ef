package httpapi

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimiter caps the connections a server holds open, so that idle or
// slow clients cannot use up the process's file descriptors (past that,
// accept fails with "too many open files" and even /healthz goes dark).
//
// At the cap it does not stop accepting, which would hand the service to
// whoever opened connections first and starve the load balancer's and the
// container's health checks: it closes the quiet connection that has been
// quiet longest to make room. Quiet is a connection that has sent nothing
// yet or sits idle between requests; a flood of connections that never send
// a byte therefore keeps replacing itself while a fresh client, which asks
// at once, gets its answer. Only when every connection is busy does it let
// a small reserve in beyond the cap (a probe among them gets its answer),
// and past that it closes new connections at once.
//
// Wire it as the server's listener and its ConnState hook.
type ConnLimiter struct {
	net.Listener
	max, reserve int

	mu    sync.Mutex
	conns map[*limitedConn]struct{}
	quiet map[*limitedConn]time.Time // since when: new and silent, or idle between requests

	evicted, rejected atomic.Int64
}

// NewConnLimiter wraps l to hold at most max connections (plus a reserve of
// max/32, at least 4, while all are busy).
func NewConnLimiter(l net.Listener, limit int) *ConnLimiter {
	return &ConnLimiter{
		Listener: l,
		max:      limit,
		reserve:  max(4, limit/32),
		conns:    map[*limitedConn]struct{}{},
		quiet:    map[*limitedConn]time.Time{},
	}
}

// Accept waits for the next connection and makes room for it.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: c, l: l}
		l.mu.Lock()
		var victim *limitedConn
		if len(l.conns) >= l.max {
			var oldest time.Time
			for ic, since := range l.quiet {
				if victim == nil || since.Before(oldest) {
					victim, oldest = ic, since
				}
			}
			if victim != nil {
				l.forgetLocked(victim)
			}
		}
		admit := victim != nil || len(l.conns) < l.max+l.reserve
		if admit {
			l.conns[lc] = struct{}{}
		}
		l.mu.Unlock()
		if victim != nil {
			l.evicted.Add(1)
			_ = victim.Conn.Close()
		}
		if admit {
			return lc, nil
		}
		l.rejected.Add(1)
		_ = c.Close()
	}
}

// ConnState is the http.Server hook that tells the limiter which
// connections are quiet: the server reports a connection new before it has
// read a byte of it, active once a request begins, idle after an answer.
func (l *ConnLimiter) ConnState(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, open := l.conns[lc]; !open {
		return
	}
	switch s {
	case http.StateNew, http.StateIdle:
		l.quiet[lc] = time.Now()
	case http.StateClosed, http.StateHijacked:
		l.forgetLocked(lc)
	default:
		delete(l.quiet, lc)
	}
}

func (l *ConnLimiter) forgetLocked(lc *limitedConn) {
	delete(l.conns, lc)
	delete(l.quiet, lc)
}

// Open is the number of connections held now.
func (l *ConnLimiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Evicted and Rejected count the quiet connections closed to make room and
// the new ones closed because every slot was busy.
func (l *ConnLimiter) Evicted() int64  { return l.evicted.Load() }
func (l *ConnLimiter) Rejected() int64 { return l.rejected.Load() }

type limitedConn struct {
	net.Conn
	l    *ConnLimiter
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.forgetLocked(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
