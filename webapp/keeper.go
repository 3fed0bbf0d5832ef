package main

import (
	"context"
	"errors"
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

// keeper owns the data's life cycle in this process: wait for the engine,
// serve an existing alias or load one, reload on the refresh interval, and
// reload when the alias is lost (an engine restarted without its volume).
type keeper struct {
	cfg    appconfig.Config
	es     keeperEngine
	logger *slog.Logger
	fetch  func(ctx context.Context) ([]foodtrucks.Permit, permits.Report, error)

	mu       sync.Mutex
	lastLoad *httpapi.LoadStats
	lastErr  string
}

// keeperEngine is the part of *search.Client the keeper uses.
type keeperEngine interface {
	Ping(ctx context.Context) error
	AliasExists(ctx context.Context) (bool, error)
	Load(ctx context.Context, p []foodtrucks.Permit) (search.LoadResult, error)
	Stats(ctx context.Context) (search.IndexStats, error)
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

func (k *keeper) run(ctx context.Context, forceReload bool) {
	if !k.waitForEngine(ctx) {
		return
	}
	needLoad := forceReload
	if !needLoad {
		exists, err := k.es.AliasExists(ctx)
		switch {
		case err != nil:
			needLoad = true // the next check below sorts out whether the engine is there
		case exists:
			k.logger.Info("alias exists; serving it without reloading", slog.String("alias", k.cfg.Index))
		default:
			needLoad = true
		}
	}

	retryWait := k.cfg.AliasCheck
	var nextAttempt time.Time // after a failed load: not before this
	var lastLoaded time.Time  // or, when serving an existing alias, when we started serving it
	if !needLoad {
		lastLoaded = time.Now()
	}
	engineDown := false
	for {
		if needLoad && !time.Now().Before(nextAttempt) {
			if err := k.load(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				nextAttempt = time.Now().Add(jitter(retryWait))
				k.logger.Error("load failed; the current data (if any) stays", slog.String("error", err.Error()),
					slog.String("retry_in", time.Until(nextAttempt).Round(time.Second).String()))
				retryWait = min(retryWait*2, loadRetryMax)
			} else {
				needLoad, retryWait, lastLoaded = false, k.cfg.AliasCheck, time.Now()
			}
		}
		if !sleep(ctx, k.cfg.AliasCheck) {
			return
		}
		if k.cfg.RefreshInterval > 0 && !needLoad && time.Since(lastLoaded) >= k.cfg.RefreshInterval {
			k.logger.Info("refresh interval reached; reloading", slog.String("interval", k.cfg.RefreshInterval.String()))
			needLoad, nextAttempt = true, time.Time{}
		}
		exists, err := k.es.AliasExists(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if !engineDown {
				k.logger.Warn("Elasticsearch unreachable; searches answer 503 until it returns", slog.String("error", err.Error()))
				engineDown = true
			}
			continue
		case err != nil:
			return
		}
		if engineDown {
			k.logger.Info("Elasticsearch reachable again")
			engineDown = false
		}
		if !exists && !needLoad {
			k.logger.Warn("alias is missing (engine restarted without its data?); reloading", slog.String("alias", k.cfg.Index))
			needLoad, nextAttempt = true, time.Time{}
		}
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
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
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
			k.logger.Info("waiting for Elasticsearch", slog.String("es_url", k.cfg.ESURL),
				slog.String("budget", k.cfg.ESWait.String()), slog.String("error", err.Error()))
		}
		if !overBudget && time.Since(start) >= k.cfg.ESWait {
			overBudget = true
			k.logger.Error("Elasticsearch still unreachable after the ES_WAIT budget; still retrying in the background",
				slog.String("budget", k.cfg.ESWait.String()), slog.Int("attempts", attempts),
				slog.String("retry_every", maxWait.String()), slog.String("error", err.Error()))
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

func (k *keeper) load(ctx context.Context) error {
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
	k.logger.Info("data read", slog.String("source", report.Source), slog.String("format", report.Format),
		slog.Int("rows_read", report.RowsRead), slog.Int("usable", report.Usable), slog.Int("skipped", report.SkippedTotal()),
		slog.Any("skipped_by_reason", report.Skipped), slog.Int("no_location", report.NoLocation))
	res, err := k.es.Load(ctx, rows)
	if err != nil {
		k.setErr(err)
		return err
	}
	stats := &httpapi.LoadStats{
		Finished:     res.Finished,
		Source:       report.Source,
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
	k.mu.Unlock()
	k.logger.Info("data loaded; alias swapped", slog.String("alias", k.cfg.Index), slog.String("index", res.Index),
		slog.Any("previous", res.Previous), slog.Any("deleted", res.Deleted), slog.Int("documents", res.Documents),
		slog.Int("es_requests", res.Requests), slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	return nil
}

func (k *keeper) setErr(err error) {
	k.mu.Lock()
	k.lastErr = err.Error()
	k.mu.Unlock()
}

// Stats implements httpapi.StatsSource.
func (k *keeper) Stats(ctx context.Context) (httpapi.Stats, error) {
	k.mu.Lock()
	st := httpapi.Stats{Alias: k.cfg.Index, LastLoad: k.lastLoad, LastError: k.lastErr}
	k.mu.Unlock()
	is, err := k.es.Stats(ctx)
	if err != nil && !errors.Is(err, search.ErrNotLoaded) {
		return st, err
	}
	st.Index, st.Documents = is.Index, is.Documents
	return st, nil
}
