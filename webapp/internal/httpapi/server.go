// Package httpapi is the web app's HTTP surface: the search API in the
// original app's response shape, health and readiness probes, stats, and
// the UI mounted at "/". All routes are in routes.go.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// ContentSecurityPolicy suits the Leaflet page: everything from our own
// origin, map tiles from OpenStreetMap, nothing inline, no framing.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; " +
	"style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// ReadinessChecker says whether searches can be served right now.
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

// StatsSource reports what is loaded.
type StatsSource interface {
	Stats(ctx context.Context) (Stats, error)
}

// Stats is the body of GET /api/stats.
type Stats struct {
	Alias     string     `json:"alias"`
	Index     string     `json:"index"`     // versioned index behind the alias
	Documents int64      `json:"documents"` // permits in it
	LastLoad  *LoadStats `json:"last_load"` // null when this process has not loaded data (it found the alias in place)
	LastError string     `json:"last_error,omitempty"`
	// Problem is a state of the alias that needs an operator (a closed
	// index behind it, an index named like it, ...), with what to do.
	Problem string `json:"problem,omitempty"`
	// Loads counts the loads this process completed; RefusedLoads those
	// the shrink guard refused.
	Loads        int `json:"loads"`
	RefusedLoads int `json:"refused_loads"`
	// DocumentCopies are the indices whose documents this process holds to
	// complete search hits (the search adapter's own report).
	DocumentCopies any `json:"document_copies,omitempty"`
}

// LoadStats describes the last load this process completed.
type LoadStats struct {
	Finished     time.Time      `json:"finished"`
	Source       string         `json:"source"`
	Index        string         `json:"index"`
	RowsRead     int            `json:"rows_read"`
	Indexed      int            `json:"indexed"`
	Skipped      map[string]int `json:"skipped"` // rows left out, by reason
	SkippedTotal int            `json:"skipped_total"`
	DurationMS   int64          `json:"duration_ms"`
	ESRequests   int            `json:"es_requests"`
}

// Deps are the server's collaborators.
type Deps struct {
	Logger  *slog.Logger
	Search  foodtrucks.Searcher
	Ready   ReadinessChecker
	Stats   StatsSource
	UI      http.Handler // served for GET / and static paths; nil = no UI
	Version string

	// SearchTimeout bounds one search including the Elasticsearch call
	// (default DefaultSearchTimeout).
	SearchTimeout time.Duration

	// Cache, when set, answers repeated searches of the version the alias
	// serves; nil = no cache.
	Cache *ResultCache
	// Gate, when set, bounds the searches in flight to the engine.
	Gate *SearchGate
}

// DefaultSearchTimeout bounds a search when Deps does not say.
const DefaultSearchTimeout = 2 * time.Second

// answers is the search path: the searcher, behind the gate when there is
// one, encoded, behind the cache when there is one (a hit passes no gate).
func (d Deps) answers() answerer {
	s := d.Search
	if d.Gate != nil {
		s = d.Gate.bound(s)
	}
	var a answerer = encoded{s}
	if d.Cache != nil {
		a = d.Cache.wrap(a)
	}
	return a
}

// NewServer builds the handler with every route and middleware.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.SearchTimeout <= 0 {
		d.SearchTimeout = DefaultSearchTimeout
	}
	mux := http.NewServeMux()
	addRoutes(mux, d)
	var h http.Handler = mux
	h = securityHeaders(h)
	h = recoverPanics(d.Logger, h)
	h = logRequests(d.Logger, h)
	h = requestID(h)
	return h
}

// Bounds of /readyz and /api/stats, two Elasticsearch reads each: a hung
// engine answers 503 within them, far below the drain on SIGTERM.
const (
	ReadyTimeout = 2500 * time.Millisecond
	StatsTimeout = 3 * time.Second
)

// retryAfter is the Retry-After of every 503, in seconds.
const retryAfter = "5"

// MaxEchoBytes bounds a request path or query as it is logged or echoed in
// an answer: a 60 KB path must not become 60 KB of log per request.
const MaxEchoBytes = 256

// Truncate cuts s to at most n bytes (on a UTF-8 boundary) and says so.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// IdleTimeout is how long a keep-alive connection may sit idle: above the
// AWS load balancer's 60 s (so it, not we, closes first and no request
// races a close), far below the 120 s that let idle clients pile up.
const IdleTimeout = 65 * time.Second

// NewHTTPServer wraps the handler with the timeouts a public server needs:
// slow clients cannot hold connections open, and a stuck response is cut.
func NewHTTPServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
