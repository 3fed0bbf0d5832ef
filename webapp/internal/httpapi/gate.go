package httpapi

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// errBusy: every slot stayed taken for the whole wait.
var errBusy = errors.New("too many searches in flight")

// busyRetryAfter is the Retry-After of a search refused for want of a slot:
// a busy moment passes sooner than an outage.
const busyRetryAfter = "1"

// SearchGate bounds the searches in flight to the engine. Past the bound a
// search waits for a slot at most Wait (the queue is the waiting requests,
// bounded by the connection cap), then is answered 503 with Retry-After
// instead of queueing without end: a few searches at a time finish sooner
// each than many sharing the engine's cores (bench-search).
type SearchGate struct {
	slots chan struct{}
	wait  time.Duration

	busy     atomic.Int64
	waiting  atomic.Int64
	inFlight atomic.Int64
}

// NewSearchGate lets max searches run at once; others wait up to wait.
func NewSearchGate(max int, wait time.Duration) *SearchGate {
	return &SearchGate{slots: make(chan struct{}, max), wait: wait}
}

// GateStats are the gate's counters, in /api/stats.
type GateStats struct {
	MaxInFlight int   `json:"max_in_flight"`
	InFlight    int64 `json:"in_flight"`
	Waiting     int64 `json:"waiting"`
	RefusedBusy int64 `json:"refused_busy"` // answered 503 after waiting for a slot
}

// Stats reports the counters.
func (g *SearchGate) Stats() GateStats {
	return GateStats{MaxInFlight: cap(g.slots), InFlight: g.inFlight.Load(), Waiting: g.waiting.Load(), RefusedBusy: g.busy.Load()}
}

// acquire takes a slot; the returned func gives it back. A nil gate lets
// everything through.
func (g *SearchGate) acquire(ctx context.Context) (func(), error) {
	if g == nil {
		return func() {}, nil
	}
	release := func() { g.inFlight.Add(-1); <-g.slots }
	select {
	case g.slots <- struct{}{}:
		g.inFlight.Add(1)
		return release, nil
	default:
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		g.inFlight.Add(1)
		return release, nil
	case <-timer.C:
		g.busy.Add(1)
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
