package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/ui"
)

// shutdownGrace bounds the drain after SIGTERM; Docker's default stop
// timeout is 10s and ECS's 30s.
const shutdownGrace = 8 * time.Second

// serve runs the HTTP server at once (liveness is green from the first
// second) and, beside it, the keeper that waits for Elasticsearch and keeps
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
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
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
	fetchClient := &http.Client{Timeout: 2 * time.Minute}
	k := &keeper{
		cfg:    cfg,
		es:     client,
		logger: logger,
		fetch: func(ctx context.Context) ([]foodtrucks.Permit, permits.Report, error) {
			return permits.Fetch(ctx, fetchClient, cfg.DataURL)
		},
	}

	handler := httpapi.NewServer(httpapi.Deps{
		Logger:  logger,
		Search:  client,
		Ready:   client,
		Stats:   k,
		UI:      ui.Handler(ui.Options{Dir: cfg.UIDir}),
		Version: version,
	})
	addr := net.JoinHostPort("", strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PORT): %w", addr, err)
	}
	srv := httpapi.NewHTTPServer(addr, handler, logger)
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("es_url", cfg.ESURL),
		slog.String("alias", cfg.Index), slog.String("data_url", cfg.DataURL), slog.Bool("ui_from_disk", cfg.UIDir != ""))

	keeperCtx, stopKeeper := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		k.run(keeperCtx, flags.reload)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		stopKeeper()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", slog.String("grace", shutdownGrace.String()))
	stopKeeper()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(drainCtx)
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("drain: %w", err)
	}
	logger.Info("stopped")
	return nil
}
