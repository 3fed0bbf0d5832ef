package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

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

// leaseTTL is how long the load lease holds without renewal: longer than a
// fetch (2 min at most) and a bulk load together, so a live holder never
// loses it; a holder that died blocks others for at most this long.
const leaseTTL = 4 * time.Minute

// releaseTimeout bounds giving the lease back after a load, also when the
// load ended because the server is stopping.
const releaseTimeout = 2 * time.Second

// keeper owns the data's life cycle in this process: wait for the engine,
// serve an existing alias or load one, reload on the refresh interval, and
// reload when the alias is lost (an engine restarted without its volume).
//
// Several web tasks run a keeper each against one Elasticsearch. They agree
// through Elasticsearch itself: whether a load is due is decided from the
// alias's current version (missing, or older than REFRESH_INTERVAL by the
// time in its name), and a load runs only under the load lease, a document
// created with op_type=create that exactly one task gets. Under the lease
// the task decides again, so the tasks that waited find the fresh version
// and do not load it again.
type keeper struct {
	cfg    appconfig.Config
	es     keeperEngine
	logger *slog.Logger
	fetch  func(ctx context.Context) ([]foodtrucks.Permit, permits.Report, error)
	// holder names this process in the lease document.
	holder string
	// scrub removes configured secrets from text that is served or logged.
	scrub func(string) string

	mu       sync.Mutex
	lastLoad *httpapi.LoadStats
	lastErr  string
	loads    int
	refusals int
}

// keeperEngine is the part of *search.Client the keeper uses.
type keeperEngine interface {
	Ping(ctx context.Context) error
	State(ctx context.Context) (search.AliasState, error)
	AcquireLease(ctx context.Context, holder string, ttl time.Duration) (*search.Lease, error)
	Lease(ctx context.Context) (search.LeaseInfo, bool, error)
	Load(ctx context.Context, lease *search.Lease, p []foodtrucks.Permit) (search.LoadResult, error)
	DeleteOrphans(ctx context.Context, leaseFree func(context.Context) (bool, error)) ([]string, error)
	DocumentCopies() search.CopyStats
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

// shrinkError is a load refused by the shrink guard.
type shrinkError struct{ serving, offered int64 }

func (e *shrinkError) Error() string {
	return fmt.Sprintf("refused to replace the %d permits now served with only %d (under half): "+
		"the source looks broken; the current data stays. To load it anyway, run `serve -reload` or set %s=1",
		e.serving, e.offered, appconfig.EnvAllowShrink)
}

func (k *keeper) run(ctx context.Context, forceReload bool) {
	started := time.Now()
	if !k.waitForEngine(ctx) {
		return
	}
	k.deleteOrphans(ctx)
	force := forceReload
	retryWait := k.cfg.AliasCheck
	var nextAttempt time.Time // after a failed load: not before this
	engineDown := false
	reported := "" // the alias problem last logged
	for first := true; ; first = false {
		if !first && !sleep(ctx, k.cfg.AliasCheck) {
			return
		}
		st, err := k.es.State(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !engineDown {
				k.logger.Warn("Elasticsearch unreachable or not answering; searches answer 503 until it returns", slog.String("error", k.scrub(err.Error())))
				engineDown = true
			}
			continue
		}
		if engineDown {
			k.logger.Info("Elasticsearch reachable again")
			engineDown = false
		}
		if p := st.Problem(); p != nil {
			if p.Error() != reported {
				k.logger.Error("the alias needs an operator; no load until it is fixed", slog.String("alias", k.cfg.Index), slog.String("problem", p.Error()))
				reported = p.Error()
			}
			continue
		}
		if reported != "" {
			k.logger.Info("the alias problem is gone", slog.String("alias", k.cfg.Index))
			reported = ""
		}
		why := k.loadReason(st, force, started)
		if why == "" {
			force = false
			if first {
				ix, _ := st.Serving()
				k.logger.Info("alias exists; serving it without reloading", slog.String("alias", k.cfg.Index), slog.String("index", ix.Name))
			}
			continue
		}
		if time.Now().Before(nextAttempt) {
			continue
		}
		loaded, err := k.loadUnderLease(ctx, why, force, started)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			nextAttempt = time.Now().Add(jitter(retryWait))
			k.logger.Error("load failed; the current data (if any) stays", slog.String("error", k.scrub(err.Error())),
				slog.String("retry_in", time.Until(nextAttempt).Round(time.Second).String()))
			retryWait = min(retryWait*2, loadRetryMax)
		case loaded:
			force, retryWait, nextAttempt = false, k.cfg.AliasCheck, time.Time{}
		}
	}
}

// loadReason says why the data should be loaded now, or "" when the alias
// serves a version that is fresh enough. It reads only the cluster's state,
// so every task comes to the same answer.
func (k *keeper) loadReason(st search.AliasState, force bool, started time.Time) string {
	ix, ok := st.Serving()
	switch {
	case !ok:
		return "no data behind the alias " + k.cfg.Index
	case force && ix.Created.Before(started):
		return "serve -reload"
	case k.cfg.RefreshInterval > 0 && time.Since(ix.Created) >= k.cfg.RefreshInterval:
		return "refresh interval reached (the served version is " + time.Since(ix.Created).Round(time.Second).String() + " old)"
	}
	return ""
}

// loadUnderLease takes the load lease and, if the load is still due once it
// holds it, loads. Another task holding the lease is not a failure: this
// one waits and looks again.
func (k *keeper) loadUnderLease(ctx context.Context, why string, force bool, started time.Time) (bool, error) {
	lease, err := k.es.AcquireLease(ctx, k.holder, leaseTTL)
	if errors.Is(err, search.ErrLeaseHeld) {
		k.logger.Debug("load due but another web task holds the load lease; waiting", slog.String("reason", why), slog.String("lease", err.Error()))
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take the load lease: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			k.logger.Warn("could not release the load lease; it expires by itself", slog.String("error", k.scrub(err.Error())),
				slog.String("ttl", leaseTTL.String()))
		}
	}()
	// Decide again: the task that held the lease before may just have
	// loaded what we were about to.
	st, err := k.es.State(ctx)
	if err != nil {
		return false, err
	}
	if p := st.Problem(); p != nil {
		return false, p
	}
	if why = k.loadReason(st, force, started); why == "" {
		k.logger.Info("another web task loaded the data meanwhile; not loading again", slog.String("alias", k.cfg.Index))
		return true, nil
	}
	// No load but ours can run now: whatever version the alias does not
	// point at is left over from a load that failed or was cut off.
	if gone, err := k.es.DeleteOrphans(ctx, nil); err != nil {
		k.logger.Warn("could not delete leftover versions", slog.String("error", k.scrub(err.Error())))
	} else if len(gone) > 0 {
		k.logger.Info("deleted leftover versions of failed loads", slog.Any("indices", gone))
	}
	k.logger.Info("loading", slog.String("reason", why), slog.String("alias", k.cfg.Index))
	return true, k.load(ctx, lease, st, force)
}

// deleteOrphans removes leftover versions at start, when no load runs.
func (k *keeper) deleteOrphans(ctx context.Context) {
	gone, err := k.es.DeleteOrphans(ctx, func(ctx context.Context) (bool, error) {
		info, held, err := k.es.Lease(ctx)
		if err != nil {
			return false, err
		}
		return !held || time.Now().After(info.Expires), nil
	})
	switch {
	case err != nil && ctx.Err() == nil:
		k.logger.Warn("could not look for leftover versions", slog.String("error", k.scrub(err.Error())))
	case len(gone) > 0:
		k.logger.Info("deleted leftover versions of failed loads", slog.Any("indices", gone))
	}
}

// waitForEngine pings until Elasticsearch answers. Within the ES_WAIT budget
// it backs off exponentially; after it, it keeps trying at the longest
// interval and says so as an error: the server never exits for want of
// Elasticsearch. It returns false only when ctx ends.
func (k *keeper) waitForEngine(ctx context.Context) bool {
	start := time.Now()
	// A short budget asks for a quick start: never wait longer between
	// tries than a quarter of it (10s at most).
	maxWait := min(max(k.cfg.ESWait/4, backoffMin), backoffMax)
	wait := backoffMin
	attempts := 0
	overBudget := false
	for {
		attempts++
		pingCtx, cancel := context.WithTimeout(ctx, search.ProbeTimeout)
		err := k.es.Ping(pingCtx)
		cancel()
		if err == nil {
			if attempts > 1 {
				k.logger.Info("Elasticsearch reachable", slog.Int("attempts", attempts),
					slog.Int64("waited_ms", time.Since(start).Milliseconds()))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempts == 1 {
			k.logger.Info("waiting for Elasticsearch", slog.String("es_url", k.scrub(k.cfg.ESURL)),
				slog.String("budget", k.cfg.ESWait.String()), slog.String("error", k.scrub(err.Error())))
		}
		if !overBudget && time.Since(start) >= k.cfg.ESWait {
			overBudget = true
			k.logger.Error("Elasticsearch still unreachable after the ES_WAIT budget; still retrying in the background",
				slog.String("budget", k.cfg.ESWait.String()), slog.Int("attempts", attempts),
				slog.String("retry_every", maxWait.String()), slog.String("error", k.scrub(err.Error())))
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

func (k *keeper) load(ctx context.Context, lease *search.Lease, st search.AliasState, force bool) error {
	start := time.Now()
	rows, report, err := k.fetch(ctx)
	if err != nil {
		k.setErr(err)
		return err
	}
	if len(rows) == 0 {
		err := errors.New("the data source yielded no usable permits")
		k.setErr(err)
		return err
	}
	k.logger.Info("data read", slog.String("source", k.scrub(report.Source)), slog.String("format", report.Format),
		slog.Int("rows_read", report.RowsRead), slog.Int("usable", report.Usable), slog.Int("skipped", report.SkippedTotal()),
		slog.Any("skipped_by_reason", report.Skipped), slog.Int("no_location", report.NoLocation))
	if cur, ok := st.Serving(); ok && !force && !k.cfg.AllowShrink && int64(len(rows))*2 < cur.Documents {
		err := &shrinkError{serving: cur.Documents, offered: int64(len(rows))}
		k.mu.Lock()
		k.refusals++
		k.mu.Unlock()
		k.setErr(err)
		return err
	}
	// The fetch may have taken a while: renew before the bulk load.
	if err := lease.Renew(ctx); err != nil {
		k.setErr(err)
		return err
	}
	res, err := k.es.Load(ctx, lease, rows)
	if err != nil {
		k.setErr(err)
		return err
	}
	stats := &httpapi.LoadStats{
		Finished:     res.Finished,
		Source:       k.scrub(report.Source),
		Index:        res.Index,
		RowsRead:     report.RowsRead,
		Indexed:      res.Documents,
		Skipped:      report.Skipped,
		SkippedTotal: report.SkippedTotal(),
		DurationMS:   time.Since(start).Milliseconds(),
		ESRequests:   res.Requests,
	}
	k.mu.Lock()
	k.lastLoad, k.lastErr = stats, ""
	k.loads++
	k.mu.Unlock()
	k.logger.Info("data loaded; alias swapped", slog.String("alias", k.cfg.Index), slog.String("index", res.Index),
		slog.Any("previous", res.Previous), slog.Any("deleted", res.Deleted), slog.Int("documents", res.Documents),
		slog.Int("es_requests", res.Requests), slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	return nil
}

func (k *keeper) setErr(err error) {
	k.mu.Lock()
	k.lastErr = k.scrub(err.Error())
	k.mu.Unlock()
}

// Stats implements httpapi.StatsSource.
func (k *keeper) Stats(ctx context.Context) (httpapi.Stats, error) {
	k.mu.Lock()
	st := httpapi.Stats{Alias: k.cfg.Index, LastLoad: k.lastLoad, LastError: k.lastErr, Loads: k.loads, RefusedLoads: k.refusals}
	k.mu.Unlock()
	as, err := k.es.State(ctx)
	if err != nil {
		return st, err
	}
	if p := as.Problem(); p != nil {
		st.Problem = p.Error()
	}
	if ix, ok := as.Serving(); ok {
		st.Index, st.Documents = ix.Name, ix.Documents
	}
	copies := k.es.DocumentCopies()
	st.DocumentCopies = &copies
	return st, nil
}
