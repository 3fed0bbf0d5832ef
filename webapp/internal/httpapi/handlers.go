package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

func handleSearch(logger *slog.Logger, s Searcher, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := ParseSearchParams(r.URL.Query())
		if err != nil {
			fail(w, http.StatusBadRequest, err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		res, err := s.Search(ctx, q)
		if err != nil {
			status, msg := searchFailure(err)
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "5")
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "search failed",
				slog.String("request_id", RequestID(r.Context())), slog.Int("status", status), slog.String("error", err.Error()))
			fail(w, status, msg)
			return
		}
		encode(w, http.StatusOK, res)
	})
}

// searchFailure turns an engine error into a status and a message a person
// can act on; details stay in the log.
func searchFailure(err error) (int, string) {
	switch {
	case errors.Is(err, search.ErrNotLoaded):
		return http.StatusServiceUnavailable, "The food-truck data is still loading. Please try again in a moment."
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "The search engine took too long to answer. Please try again."
	case errors.Is(err, search.ErrUnavailable):
		return http.StatusServiceUnavailable, "The search engine is unavailable right now. Please try again in a moment."
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled" // the client left; nobody reads this
	}
	return http.StatusBadGateway, "The search engine could not answer this search."
}

func handleHealthz(version string) http.Handler {
	type body struct {
		Status  string `json:"status"`
		Version string `json:"version,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		encode(w, http.StatusOK, body{Status: "ok", Version: version})
	})
}

func handleReadyz(logger *slog.Logger, rc ReadinessChecker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc == nil {
			fail(w, http.StatusServiceUnavailable, "not ready: no search engine configured")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			w.Header().Set("Retry-After", "5")
			msg := "not ready: search engine unreachable"
			if errors.Is(err, search.ErrNotLoaded) {
				msg = "not ready: data not loaded yet"
			}
			logger.LogAttrs(r.Context(), slog.LevelDebug, "not ready", slog.String("error", err.Error()))
			fail(w, http.StatusServiceUnavailable, msg)
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

func handleStats(logger *slog.Logger, src StatsSource) http.Handler {
	type body struct {
		Status string `json:"status"`
		Stats
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if src == nil {
			fail(w, http.StatusServiceUnavailable, "stats unavailable")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		st, err := src.Stats(ctx)
		if err != nil {
			status, msg := searchFailure(err)
			logger.LogAttrs(r.Context(), slog.LevelWarn, "stats failed", slog.String("error", err.Error()))
			fail(w, status, msg)
			return
		}
		encode(w, http.StatusOK, body{Status: "success", Stats: st})
	})
}

func methodNotAllowed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		fail(w, http.StatusMethodNotAllowed, "method not allowed; use GET")
	})
}

func notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})
}

func handleNoUI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "success", "msg": "SF Food Trucks API: try /search?q=tacos"})
	})
}
