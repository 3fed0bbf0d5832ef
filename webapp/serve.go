package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/refresh"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/ui"
)

// shutdownGrace bounds the drain after SIGTERM; Docker's default stop
// timeout is 10s and ECS's 30s.
const shutdownGrace = 8 * time.Second

// fetchTimeout bounds reading the permits source (before the load lease
// is taken).
const fetchTimeout = 2 * time.Minute

// holderName names this process in the load lease: the host (a task's
// container id) and pid, plus a random part for two processes that share
// both.
func holderName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// connectionCap is the cap on client connections: MAX_CONNECTIONS, or
// else half of the open-files limit (the other half is for Elasticsearch
// connections, one per search in flight, and files), at most 10,000.
func connectionCap(configured int) (limit, fdLimit int) {
	fdLimit = openFilesLimit()
	if configured > 0 {
		return configured, fdLimit
	}
	limit = 10_000
	if fdLimit > 0 {
		limit = min(limit, max(16, (fdLimit-64)/2))
	}
	return limit, fdLimit
}

// serve runs the HTTP server at once (liveness is green from the first
// second) and, beside it, the refresher that waits for Elasticsearch and keeps
// the data loaded. It returns when ctx is cancelled and in-flight requests
// have drained.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := appconfig.FromEnv(getenv)
	if err != nil {
		return err
	}
	secrets := secretValues(cfg)
	scrub := newScrubber(secrets)
	logger := slog.New(slog.NewJSONHandler(newScrubWriter(stdout, secrets), &slog.HandlerOptions{Level: cfg.LogLevel}))
	logger = logger.With(slog.String("version", version))

	client, err := search.New(search.Options{
		URL:      cfg.ESURL,
		Username: cfg.ESUsername,
		Password: cfg.ESPassword,
		APIKey:   cfg.ESAPIKey,
		Alias:    cfg.Index,
	})
	if err != nil {
		return err
	}
	fetchClient := &http.Client{Timeout: fetchTimeout}
	refresher := refresh.New(refresh.Options{
		Engine: refresh.Elasticsearch(client),
		Fetch: func(ctx context.Context) ([]foodtrucks.Permit, permits.Report, error) {
			return permits.Fetch(ctx, fetchClient, cfg.DataURL)
		},
		Logger:          logger,
		Scrub:           scrub,
		Alias:           cfg.Index,
		ESURL:           cfg.ESURL,
		Holder:          holderName(),
		ESWait:          cfg.ESWait,
		CheckInterval:   cfg.AliasCheck,
		RefreshInterval: cfg.RefreshInterval,
		AllowShrink:     cfg.AllowShrink,
	})

	deps := httpapi.Deps{
		Logger:  logger,
		Search:  client,
		Ready:   client,
		Stats:   statsSource{alias: cfg.Index, es: client, refresher: refresher},
		UI:      ui.Handler(ui.Options{Dir: cfg.UIDir}),
		Version: version,

		SearchTimeout: search.SearchTimeout,
	}
	if cfg.CacheMB > 0 {
		deps.Cache = httpapi.NewResultCache(cfg.CacheMB<<20, client.ServedIndex)
	}
	if cfg.MaxInFlight > 0 {
		deps.Gate = httpapi.NewSearchGate(cfg.MaxInFlight, cfg.QueueWait)
	}
	handler := httpapi.NewServer(deps)
	addr := net.JoinHostPort("", strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PORT): %w", addr, err)
	}
	maxConns, fdLimit := connectionCap(cfg.MaxConns)
	limited := httpapi.NewConnLimiter(ln, maxConns)
	srv := httpapi.NewHTTPServer(addr, handler, logger)
	srv.ConnState = limited.ConnState
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("es_url", permits.Redact(cfg.ESURL)),
		slog.String("alias", cfg.Index), slog.String("data_url", permits.Redact(cfg.DataURL)), slog.Bool("ui_from_disk", cfg.UIDir != ""),
		slog.Int("max_connections", maxConns), slog.Int("open_files_limit", fdLimit))

	refreshCtx, stopRefresh := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		refresher.Run(refreshCtx, flags.reload)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(limited) }()

	select {
	case err := <-serveErr:
		stopRefresh()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", slog.String("grace", shutdownGrace.String()))
	stopRefresh()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(drainCtx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		// Every Elasticsearch call is bounded far below the grace, so
		// only a client that reads its answer very slowly gets here. A
		// stop that was asked for is not a failure: close what is left
		// and exit 0, or the orchestrator counts a crash.
		logger.Warn("drain grace over; closing the connections still open", slog.String("error", err.Error()))
		_ = srv.Close()
	}
	wg.Wait()
	logger.Info("stopped", slog.Int64("connections_evicted", limited.Evicted()), slog.Int64("connections_rejected", limited.Rejected()))
	return nil
}

// statsSource answers /api/stats: what this process's refresher did and
// what the alias serves now.
type statsSource struct {
	alias     string
	es        *search.Client
	refresher *refresh.Refresher
}

func (s statsSource) Stats(ctx context.Context) (httpapi.Stats, error) {
	rs := s.refresher.Status()
	st := httpapi.Stats{Alias: s.alias, LastError: rs.LastError, Loads: rs.Loads, RefusedLoads: rs.Refusals}
	if l := rs.LastLoad; l != nil {
		st.LastLoad = &httpapi.LoadStats{Finished: l.Finished, Source: l.Source, Index: l.Index, RowsRead: l.RowsRead,
			Indexed: l.Indexed, Skipped: l.Skipped, SkippedTotal: l.SkippedTotal, DurationMS: l.Duration.Milliseconds(), ESRequests: l.ESRequests}
	}
	as, err := s.es.State(ctx)
	if err != nil {
		return st, err
	}
	if p := as.Problem(); p != nil {
		st.Problem = p.Error()
	}
	if ix, ok := as.Serving(); ok {
		st.Index, st.Documents = ix.Name, ix.Documents
	}
	copies := s.es.DocumentCopies()
	st.DocumentCopies = &copies
	return st, nil
}
