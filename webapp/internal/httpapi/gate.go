package httpapi

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// busyRetryAfter is the Retry-After of a search refused for want of a slot.
const busyRetryAfter = "1"

// SearchGate bounds the searches in flight to the engine. Past the bound a
// search waits for a slot at most Wait (the queue is the waiting requests,
// bounded by the connection cap), then fails with foodtrucks.ErrBusy (503
// with Retry-After) instead of queueing without end: a few searches at a
// time finish sooner each than many sharing the engine's cores.
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

// bound returns next behind the gate.
func (g *SearchGate) bound(next foodtrucks.Searcher) foodtrucks.Searcher { return gated{g, next} }

type gated struct {
	g    *SearchGate
	next foodtrucks.Searcher
}

func (s gated) Search(ctx context.Context, q foodtrucks.Query) (foodtrucks.SearchResult, error) {
	release, err := s.g.acquire(ctx)
	if err != nil {
		return foodtrucks.SearchResult{}, err
	}
	defer release()
	return s.next.Search(ctx, q)
}

// acquire takes a slot; the returned func gives it back.
func (g *SearchGate) acquire(ctx context.Context) (func(), error) {
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
		return nil, foodtrucks.ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
