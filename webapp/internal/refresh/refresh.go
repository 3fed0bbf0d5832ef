// Package refresh keeps the food-truck data loaded: it waits for the search
// engine, serves an existing alias or loads one, reloads when the served
// version is older than the refresh interval, and reloads when the alias is
// lost (an engine restarted without its volume).
//
// Several web tasks run a Refresher each against one Elasticsearch. They
// agree through Elasticsearch itself: whether a load is due is decided from
// the alias's current version (missing, or older than the interval by the
// time in its name), so every task comes to the same answer; and a load
// runs only under the load lease, which exactly one task gets. Under the
// lease the task decides again, so the tasks that waited find the fresh
// version and do not load it again.
//
// The source is read before the lease is taken, so the lease covers only
// the writes to Elasticsearch (seconds) and can be short: a task killed in
// the middle of a load holds the others up for LeaseTTL at most.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// Engine is what the refresher needs of the search engine; Elasticsearch
// adapts *search.Client to it.
type Engine interface {
	Ping(ctx context.Context) error
	State(ctx context.Context) (search.AliasState, error)
	// AcquireLease returns an error wrapping search.ErrLeaseHeld when
	// another task holds the lease.
	AcquireLease(ctx context.Context, holder string, ttl time.Duration) (Lease, error)
	// LeaseFree reports whether no live lease is stored.
	LeaseFree(ctx context.Context) (bool, error)
	Load(ctx context.Context, lease Lease, p []foodtrucks.Permit) (search.LoadResult, error)
	// DeleteOrphans deletes the versions the alias does not point at,
	// asking leaseFree (when not nil) after listing them.
	DeleteOrphans(ctx context.Context, leaseFree func(context.Context) (bool, error)) ([]string, error)
}

// Lease is a held load lease.
type Lease interface {
	Renew(ctx context.Context) error
	Release(ctx context.Context) error
}

// Fetch reads the permits source.
type Fetch func(ctx context.Context) ([]foodtrucks.Permit, permits.Report, error)

// Waiting for Elasticsearch: exponential backoff from backoffMin, doubling
// up to backoffMax, each wait jittered so that many web tasks restarting
// together do not knock in step.
const (
	backoffMin = 250 * time.Millisecond
	backoffMax = 10 * time.Second
	// loadRetryMax caps the wait between attempts after a failed load, so
	// a broken data source is not hammered every few seconds.
	loadRetryMax = 10 * time.Minute
)

// LeaseTTL is how long the load lease holds without renewal: longer than
// the writes of one load (one bulk request of about 500 permits, a refresh
// and an alias swap; the lease is renewed before the swap), short enough
// that a task killed mid-load holds the others up for this long at most.
const LeaseTTL = 15 * time.Second

// releaseTimeout bounds giving the lease back after a load, also when the
// load ended because the server is stopping.
const releaseTimeout = 2 * time.Second

// Options configure a Refresher.
type Options struct {
	Engine Engine
	Fetch  Fetch
	Logger *slog.Logger
	// Scrub removes configured secrets from text that is logged or served.
	Scrub func(string) string

	Alias  string // for the logs
	ESURL  string // for the logs
	Holder string // names this process in the lease

	ESWait          time.Duration // start-up budget for Elasticsearch; retries go on after it
	CheckInterval   time.Duration // how often the alias is looked at
	RefreshInterval time.Duration // reload when the served version is this old; 0 = never
	AllowShrink     bool          // let a load replace the data with under half as many permits
}

// Refresher owns the data's life cycle in this process.
type Refresher struct {
	o Options

	mu     sync.Mutex
	status Status
}

// Status is what this process did, for /api/stats.
type Status struct {
	LastLoad  *LoadReport
	LastError string
	Loads     int // loads completed
	Refusals  int // loads the shrink guard refused
}

// LoadReport describes the last load this process completed.
type LoadReport struct {
	Finished     time.Time
	Source       string
	Index        string
	RowsRead     int
	Indexed      int
	Skipped      map[string]int
	SkippedTotal int
	Duration     time.Duration
	ESRequests   int
}

// New returns a Refresher; Run starts it.
func New(o Options) *Refresher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Scrub == nil {
		o.Scrub = func(s string) string { return s }
	}
	return &Refresher{o: o}
}

// Status reports what this process did so far.
func (r *Refresher) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// ShrinkError is a load refused by the shrink guard.
type ShrinkError struct{ Serving, Offered int64 }

func (e *ShrinkError) Error() string {
	return fmt.Sprintf("refused to replace the %d permits now served with only %d (under half): "+
		"the source looks broken; the current data stays. To load it anyway, run `serve -reload` or set LOAD_ALLOW_SHRINK=1",
		e.Serving, e.Offered)
}

// Run waits for the engine, then checks the alias every CheckInterval and
// loads when a load is due, until ctx ends. forceReload loads once even when
// the served version is fresh (serve -reload).
func (r *Refresher) Run(ctx context.Context, forceReload bool) {
	started := time.Now()
	if !r.waitForEngine(ctx) {
		return
	}
	r.deleteOrphans(ctx)
	c := check{force: forceReload, started: started}
	retryWait := r.o.CheckInterval
	var nextAttempt time.Time // after a failed load: not before this
	for first := true; ; first = false {
		if !first && !sleep(ctx, r.o.CheckInterval) {
			return
		}
		loaded, err := r.check(ctx, &c, first, nextAttempt)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			nextAttempt = time.Now().Add(jitter(retryWait))
			r.o.Logger.Error("load failed; the current data (if any) stays", slog.String("error", r.o.Scrub(err.Error())),
				slog.String("retry_in", time.Until(nextAttempt).Round(time.Second).String()))
			retryWait = min(retryWait*2, loadRetryMax)
		case loaded:
			retryWait, nextAttempt = r.o.CheckInterval, time.Time{}
		}
	}
}

// check is the state one look at the alias carries to the next.
type check struct {
	force      bool      // serve -reload, until a version newer than started is served
	started    time.Time // when the process started
	engineDown bool      // the last look could not reach the engine
	reported   string    // the alias problem last logged
}

// check looks at the alias once and loads when a load is due (and not
// before nextAttempt). It reports whether the data is now current: loaded
// by this process or, found under the lease, by another.
func (r *Refresher) check(ctx context.Context, c *check, first bool, nextAttempt time.Time) (bool, error) {
	st, err := r.o.Engine.State(ctx)
	if err != nil {
		if ctx.Err() == nil && !c.engineDown {
			r.o.Logger.Warn("Elasticsearch unreachable or not answering; searches answer 503 until it returns", slog.String("error", r.o.Scrub(err.Error())))
			c.engineDown = true
		}
		return false, nil
	}
	if c.engineDown {
		r.o.Logger.Info("Elasticsearch reachable again")
		c.engineDown = false
	}
	if p := st.Problem(); p != nil {
		if p.Error() != c.reported {
			r.o.Logger.Error("the alias needs an operator; no load until it is fixed", slog.String("alias", r.o.Alias), slog.String("problem", p.Error()))
			c.reported = p.Error()
		}
		return false, nil
	}
	if c.reported != "" {
		r.o.Logger.Info("the alias problem is gone", slog.String("alias", r.o.Alias))
		c.reported = ""
	}
	why := r.loadReason(st, c.force, c.started)
	if why == "" {
		c.force = false
		if first {
			ix, _ := st.Serving()
			r.o.Logger.Info("alias exists; serving it without reloading", slog.String("alias", r.o.Alias), slog.String("index", ix.Name))
		}
		return false, nil
	}
	if time.Now().Before(nextAttempt) {
		return false, nil
	}
	loaded, err := r.fetchAndLoad(ctx, why, c.force, c.started)
	if loaded {
		c.force = false
	}
	return loaded, err
}

// loadReason says why the data should be loaded now, or "" when the alias
// serves a version that is fresh enough. It reads only the cluster's state,
// so every task comes to the same answer.
func (r *Refresher) loadReason(st search.AliasState, force bool, started time.Time) string {
	ix, ok := st.Serving()
	switch {
	case !ok:
		return "no data behind the alias " + r.o.Alias
	case force && ix.Created.Before(started):
		return "serve -reload"
	case r.o.RefreshInterval > 0 && time.Since(ix.Created) >= r.o.RefreshInterval:
		return "refresh interval reached (the served version is " + time.Since(ix.Created).Round(time.Second).String() + " old)"
	}
	return ""
}

// fetchAndLoad reads the source, takes the load lease and, if the load is
// still due once it holds it, loads. Another task holding the lease is not
// a failure: this one looks again at the next check.
func (r *Refresher) fetchAndLoad(ctx context.Context, why string, force bool, started time.Time) (bool, error) {
	begun := time.Now()
	rows, report, err := r.o.Fetch(ctx)
	if err == nil && len(rows) == 0 {
		err = errors.New("the data source yielded no usable permits")
	}
	if err != nil {
		r.setErr(err)
		return false, err
	}
	lease, err := r.o.Engine.AcquireLease(ctx, r.o.Holder, LeaseTTL)
	if errors.Is(err, search.ErrLeaseHeld) {
		r.o.Logger.Debug("load due but another web task holds the load lease; waiting", slog.String("reason", why), slog.String("lease", err.Error()))
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take the load lease: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			r.o.Logger.Warn("could not release the load lease; it expires by itself", slog.String("error", r.o.Scrub(err.Error())),
				slog.String("ttl", LeaseTTL.String()))
		}
	}()
	// Decide again: the task that held the lease before may just have
	// loaded what we were about to.
	st, err := r.o.Engine.State(ctx)
	if err != nil {
		return false, err
	}
	if p := st.Problem(); p != nil {
		return false, p
	}
	if why = r.loadReason(st, force, started); why == "" {
		r.o.Logger.Info("another web task loaded the data meanwhile; not loading again", slog.String("alias", r.o.Alias))
		return true, nil
	}
	r.o.Logger.Info("data read", slog.String("source", r.o.Scrub(report.Source)), slog.String("format", report.Format),
		slog.Int("rows_read", report.RowsRead), slog.Int("usable", report.Usable), slog.Int("skipped", report.SkippedTotal()),
		slog.Any("skipped_by_reason", report.Skipped), slog.Int("no_location", report.NoLocation))
	if cur, ok := st.Serving(); ok && !force && !r.o.AllowShrink && int64(len(rows))*2 < cur.Documents {
		err := &ShrinkError{Serving: cur.Documents, Offered: int64(len(rows))}
		r.mu.Lock()
		r.status.Refusals++
		r.mu.Unlock()
		r.setErr(err)
		return false, err
	}
	r.o.Logger.Info("loading", slog.String("reason", why), slog.String("alias", r.o.Alias))
	res, err := r.o.Engine.Load(ctx, lease, rows)
	if err != nil {
		r.setErr(err)
		return false, err
	}
	r.mu.Lock()
	r.status.LastLoad = &LoadReport{
		Finished:     res.Finished,
		Source:       r.o.Scrub(report.Source),
		Index:        res.Index,
		RowsRead:     report.RowsRead,
		Indexed:      res.Documents,
		Skipped:      report.Skipped,
		SkippedTotal: report.SkippedTotal(),
		Duration:     time.Since(begun),
		ESRequests:   res.Requests,
	}
	r.status.LastError = ""
	r.status.Loads++
	r.mu.Unlock()
	r.o.Logger.Info("data loaded; alias swapped", slog.String("alias", r.o.Alias), slog.String("index", res.Index),
		slog.Any("previous", res.Previous), slog.Any("deleted", res.Deleted), slog.Int("documents", res.Documents),
		slog.Int("es_requests", res.Requests), slog.Int64("duration_ms", time.Since(begun).Milliseconds()))
	return true, nil
}

// deleteOrphans removes, at start, the versions of loads that failed or
// were cut off; only while no load runs (the lease is free after listing:
// a load creates its index only under the lease). Later, every load under
// the lease deletes them.
func (r *Refresher) deleteOrphans(ctx context.Context) {
	gone, err := r.o.Engine.DeleteOrphans(ctx, r.o.Engine.LeaseFree)
	switch {
	case err != nil && ctx.Err() == nil:
		r.o.Logger.Warn("could not look for leftover versions", slog.String("error", r.o.Scrub(err.Error())))
	case len(gone) > 0:
		r.o.Logger.Info("deleted leftover versions of failed loads", slog.Any("indices", gone))
	}
}

// waitForEngine pings until Elasticsearch answers. Within the ES_WAIT budget
// it backs off exponentially; after it, it keeps trying at the longest
// interval and says so as an error: the server never exits for want of
// Elasticsearch. It returns false only when ctx ends.
func (r *Refresher) waitForEngine(ctx context.Context) bool {
	start := time.Now()
	// A short budget asks for a quick start: never wait longer between
	// tries than a quarter of it (10s at most).
	maxWait := min(max(r.o.ESWait/4, backoffMin), backoffMax)
	wait := backoffMin
	attempts := 0
	overBudget := false
	for {
		attempts++
		pingCtx, cancel := context.WithTimeout(ctx, search.ProbeTimeout)
		err := r.o.Engine.Ping(pingCtx)
		cancel()
		if err == nil {
			if attempts > 1 {
				r.o.Logger.Info("Elasticsearch reachable", slog.Int("attempts", attempts),
					slog.Int64("waited_ms", time.Since(start).Milliseconds()))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempts == 1 {
			r.o.Logger.Info("waiting for Elasticsearch", slog.String("es_url", r.o.Scrub(r.o.ESURL)),
				slog.String("budget", r.o.ESWait.String()), slog.String("error", r.o.Scrub(err.Error())))
		}
		if !overBudget && time.Since(start) >= r.o.ESWait {
			overBudget = true
			r.o.Logger.Error("Elasticsearch still unreachable after the ES_WAIT budget; still retrying in the background",
				slog.String("budget", r.o.ESWait.String()), slog.Int("attempts", attempts),
				slog.String("retry_every", maxWait.String()), slog.String("error", r.o.Scrub(err.Error())))
		}
		if overBudget {
			wait = maxWait
		}
		if !sleep(ctx, jitter(wait)) {
			return false
		}
		wait = min(wait*2, maxWait)
	}
}

func (r *Refresher) setErr(err error) {
	r.mu.Lock()
	r.status.LastError = r.o.Scrub(err.Error())
	r.mu.Unlock()
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d) // uniform in [d/2, 3d/2)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
