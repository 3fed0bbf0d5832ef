package httpapi

import (
	"compress/gzip"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/gzipped"
)

// answerer gives the encoded answer of a search and the data version it
// came from: the searcher's result encoded, or the cache in front of that.
type answerer interface {
	answer(ctx context.Context, q foodtrucks.Query) (a answer, version string, err error)
}

// encoded is the searcher's answer as the API writes it, compressed once
// here so that the cache keeps it compressed. Every miss pays for the
// compression, so at gzip's fastest level: the default level's few bytes
// less do not pay for its CPU (make bench-search shows a miss's cost,
// TestAnswersOnTheWire the bytes).
type encoded struct{ s foodtrucks.Searcher }

func (e encoded) answer(ctx context.Context, q foodtrucks.Query) (answer, string, error) {
	res, err := e.s.Search(ctx, q)
	if err != nil {
		return answer{}, "", err
	}
	body, err := encodeBytes(res)
	if err != nil {
		return answer{}, "", err
	}
	return answer{json: body, gzipped: gzipped.Compress(body, gzip.BestSpeed)}, res.Version, nil
}

func handleSearch(logger *slog.Logger, answers answerer, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			fail(w, http.StatusBadRequest, "the query string is malformed ("+Truncate(err.Error(), MaxEchoBytes)+"); encode special characters, e.g. % as %25")
			return
		}
		q, err := ParseSearchParams(values)
		if err != nil {
			// The message may quote a parameter; a 60 KB one is not echoed.
			fail(w, http.StatusBadRequest, Truncate(err.Error(), MaxEchoBytes))
			return
		}
		serveAnswer(w, r, logger, answers, q, timeout)
	})
}

// handleAllTrucks answers every truck, in the search's shape: what the map
// shows before anyone searches. It takes no parameters; the searches that
// narrow it are /search's.
func handleAllTrucks(logger *slog.Logger, answers answerer, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveAnswer(w, r, logger, answers, foodtrucks.Query{}, timeout)
	})
}

func serveAnswer(w http.ResponseWriter, r *http.Request, logger *slog.Logger, answers answerer, q foodtrucks.Query, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	a, _, err := answers.answer(ctx, q)
	if err != nil {
		status, msg, retry := searchFailure(err)
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		logger.LogAttrs(r.Context(), slog.LevelWarn, "search failed",
			slog.String("request_id", RequestID(r.Context())), slog.Int("status", status), slog.String("error", err.Error()))
		fail(w, status, msg)
		return
	}
	writeAnswer(w, r, a)
}

// searchFailure turns an error kind into a status, a message a person can
// act on and a Retry-After ("" for none); details stay in the log.
func searchFailure(err error) (status int, msg, retry string) {
	switch {
	case errors.Is(err, errEncode):
		return http.StatusInternalServerError, "internal error: could not encode the answer", ""
	case errors.Is(err, foodtrucks.ErrBusy):
		// A busy moment passes sooner than an outage.
		return http.StatusServiceUnavailable, "Too many searches at once. Please try again in a moment.", busyRetryAfter
	case errors.Is(err, foodtrucks.ErrNotLoaded):
		return http.StatusServiceUnavailable, "The food-truck data is still loading. Please try again in a moment.", retryAfter
	case errors.Is(err, context.DeadlineExceeded):
		// A stalled engine is unavailable, not a gateway fault of ours:
		// 503 with Retry-After lets clients and the load balancer back off.
		return http.StatusServiceUnavailable, "The search engine is not answering right now. Please try again in a moment.", retryAfter
	case errors.Is(err, foodtrucks.ErrUnavailable):
		return http.StatusServiceUnavailable, "The search engine is unavailable right now. Please try again in a moment.", retryAfter
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled", "" // the client left; nobody reads this
	}
	return http.StatusBadGateway, "The search engine could not answer this search.", ""
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
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			w.Header().Set("Retry-After", retryAfter)
			msg := "not ready: search engine unreachable"
			switch {
			case errors.Is(err, foodtrucks.ErrNeedsOperator):
				msg = "not ready: " + err.Error()
			case errors.Is(err, foodtrucks.ErrNotLoaded):
				msg = "not ready: data not loaded yet"
			case errors.Is(err, context.DeadlineExceeded):
				msg = "not ready: search engine not answering"
			}
			logger.LogAttrs(r.Context(), slog.LevelDebug, "not ready", slog.String("error", err.Error()))
			fail(w, http.StatusServiceUnavailable, msg)
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

func handleStats(logger *slog.Logger, src StatsSource, cache *ResultCache, gate *SearchGate) http.Handler {
	type body struct {
		Status string `json:"status"`
		Stats
		Cache *CacheStats `json:"cache,omitempty"` // absent when the cache is off
		Gate  *GateStats  `json:"searches,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if src == nil {
			fail(w, http.StatusServiceUnavailable, "stats unavailable")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), StatsTimeout)
		defer cancel()
		st, err := src.Stats(ctx)
		if err != nil {
			status, msg, retry := searchFailure(err)
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "stats failed", slog.String("error", err.Error()))
			fail(w, status, msg)
			return
		}
		b := body{Status: "success", Stats: st}
		if cache != nil {
			cs := cache.Stats()
			b.Cache = &cs
		}
		if gate != nil {
			gs := gate.Stats()
			b.Gate = &gs
		}
		encode(w, http.StatusOK, b)
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
		fail(w, http.StatusNotFound, "no such endpoint: "+Truncate(r.URL.Path, MaxEchoBytes))
	})
}

// jsonNotFound answers the UI's 404s (an unknown static path) in the API's
// JSON shape instead of the file server's plain text.
func jsonNotFound(ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ui.ServeHTTP(&notFoundCatcher{ResponseWriter: w, r: r}, r)
	})
}

type notFoundCatcher struct {
	http.ResponseWriter
	r       *http.Request
	caught  bool
	written bool
}

func (c *notFoundCatcher) WriteHeader(code int) {
	if c.written {
		return
	}
	c.written = true
	if code == http.StatusNotFound {
		c.caught = true
		h := c.ResponseWriter.Header()
		h.Del("Content-Length")
		h.Del("Content-Encoding")
		fail(c.ResponseWriter, http.StatusNotFound, "no such page: "+Truncate(c.r.URL.Path, MaxEchoBytes))
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *notFoundCatcher) Write(b []byte) (int, error) {
	if !c.written {
		c.WriteHeader(http.StatusOK)
	}
	if c.caught {
		return len(b), nil // the file server's text; the JSON is already out
	}
	return c.ResponseWriter.Write(b)
}

func (c *notFoundCatcher) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func handleNoUI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "success", "msg": "SF Food Trucks API: try /search?q=tacos"})
	})
}
