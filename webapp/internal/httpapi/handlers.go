package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

func handleSearch(logger *slog.Logger, s Searcher, timeout time.Duration, cache *ResultCache, gate *SearchGate) http.Handler {
	versioned, _ := s.(IndexSearcher)
	if versioned == nil {
		cache = nil
	}
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
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		failed := func(err error) {
			status, msg := searchFailure(err)
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", retryAfter)
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "search failed",
				slog.String("request_id", RequestID(r.Context())), slog.Int("status", status), slog.String("error", err.Error()))
			fail(w, status, msg)
		}
		// The version the alias points to now, read after this request
		// arrived: a cached answer of that version is current. When it
		// cannot be read, the search goes to the engine uncached.
		var version, key string
		leader := false
		if cache != nil {
			if v, err := versioned.CurrentIndex(ctx); err == nil {
				version, key = v, cacheKey(q)
				body, lead, err := cache.lookup(ctx, version, key)
				if err != nil {
					failed(err)
					return
				}
				if body != nil {
					writeJSON(w, http.StatusOK, body)
					return
				}
				leader = lead
			} else if ctx.Err() != nil {
				failed(err)
				return
			}
		}
		var shared []byte // what the requests waiting for this search get
		if leader {
			defer func() { cache.land(version, key, shared) }()
		}
		release, err := gate.acquire(ctx)
		if err != nil {
			if errors.Is(err, errBusy) {
				w.Header().Set("Retry-After", busyRetryAfter)
				logger.LogAttrs(r.Context(), slog.LevelWarn, "search refused: busy",
					slog.String("request_id", RequestID(r.Context())), slog.Int("status", http.StatusServiceUnavailable))
				fail(w, http.StatusServiceUnavailable, "Too many searches at once. Please try again in a moment.")
				return
			}
			failed(err)
			return
		}
		var res foodtrucks.SearchResult
		index := ""
		if versioned != nil {
			res, index, err = versioned.SearchIndex(ctx, q)
		} else {
			res, err = s.Search(ctx, q)
		}
		release()
		if err != nil {
			failed(err)
			return
		}
		bp := resultBufs.Get().(*[]byte)
		defer resultBufs.Put(bp)
		body, err := resultBody((*bp)[:0], res)
		if err != nil {
			encode(w, http.StatusInternalServerError, failure{Status: "failure", Msg: "internal error: could not encode the answer"})
			return
		}
		*bp = body[:0] // keep the grown buffer for the next answer
		if cache == nil {
			writeJSON(w, http.StatusOK, body)
			return
		}
		body = bytes.Clone(body) // the cache keeps it; the buffer goes back
		if index == "" {
			index = version // nothing matched; the version read before the search
		}
		cache.Put(index, key, body)
		shared = body
		writeJSON(w, http.StatusOK, body)
	})
}

// searchFailure turns an engine error into a status and a message a person
// can act on; details stay in the log.
func searchFailure(err error) (int, string) {
	switch {
	case errors.Is(err, search.ErrNotLoaded):
		return http.StatusServiceUnavailable, "The food-truck data is still loading. Please try again in a moment."
	case errors.Is(err, context.DeadlineExceeded):
		// A stalled engine is unavailable, not a gateway fault of ours:
		// 503 with Retry-After lets clients and the load balancer back off.
		return http.StatusServiceUnavailable, "The search engine is not answering right now. Please try again in a moment."
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
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		if err := rc.Ready(ctx); err != nil {
			w.Header().Set("Retry-After", retryAfter)
			msg := "not ready: search engine unreachable"
			var problem *search.AliasProblem
			switch {
			case errors.As(err, &problem):
				msg = "not ready: " + problem.Error()
			case errors.Is(err, search.ErrNotLoaded):
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
			status, msg := searchFailure(err)
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", retryAfter)
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
