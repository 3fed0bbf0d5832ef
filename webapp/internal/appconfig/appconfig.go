// Package appconfig reads the web app's settings from the environment and
// validates them all at once, so a misconfigured container fails at start
// with every problem named by its variable.
package appconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// DefaultDataURL is the live SF Open Data (SODA) endpoint of the Mobile Food
// Facility Permits. SODA answers 1000 rows unless asked for more; the data
// reader takes care of that.
const DefaultDataURL = "https://data.sfgov.org/resource/rqzj-sfat.json"

// Config is the app's whole configuration.
type Config struct {
	ESURL      string // ES_URL
	ESUsername string // ES_USERNAME
	ESPassword string // ES_PASSWORD
	ESAPIKey   string // ES_API_KEY
	ESWait     time.Duration

	Port            int           // PORT
	Index           string        // INDEX: the alias searches read from
	DataURL         string        // DATA_URL: http(s) URL or local path, SODA JSON or CSV
	RefreshInterval time.Duration // REFRESH_INTERVAL: 0 = never reload on a timer
	AliasCheck      time.Duration // ALIAS_CHECK_INTERVAL: how often to notice lost data
	LogLevel        slog.Level    // LOG_LEVEL
	UIDir           string        // UI_DIR: serve the UI from disk (development)
	AllowShrink     bool          // LOAD_ALLOW_SHRINK: let a load replace the data with under half as many permits
	MaxConns        int           // MAX_CONNECTIONS: concurrent client connections (0 = from the open-files limit)
	MaxInFlight     int           // SEARCH_MAX_IN_FLIGHT: searches at the engine at once (0 = no bound)
	QueueWait       time.Duration // SEARCH_QUEUE_WAIT: how long a search waits for a slot before a 503
	CacheMB         int           // SEARCH_CACHE_MB: memory for cached answers (0 = no cache)
}

// EnvAllowShrink is the switch that lets a load replace the served data
// with far fewer permits (the shrink guard refuses that by default).
const EnvAllowShrink = "LOAD_ALLOW_SHRINK"

// FromEnv reads and validates the configuration.
func FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	duration := func(name, def string, min time.Duration, allowZero bool) time.Duration {
		raw := get(name, def)
		d, err := time.ParseDuration(raw)
		if err != nil && raw == "0" {
			d, err = 0, nil
		}
		switch {
		case err != nil:
			bad(name, "%q is not a duration (examples: 30s, 5m, 24h)", raw)
		case d == 0 && allowZero:
		case d < min:
			bad(name, "%s is shorter than the minimum %s", d, min)
		}
		return d
	}

	c := Config{
		ESURL:      get("ES_URL", "http://es:9200"),
		ESUsername: getenv("ES_USERNAME"),
		ESPassword: getenv("ES_PASSWORD"),
		ESAPIKey:   strings.TrimSpace(getenv("ES_API_KEY")),
		Index:      get("INDEX", "sfdata"),
		DataURL:    get("DATA_URL", DefaultDataURL),
		UIDir:      strings.TrimSpace(getenv("UI_DIR")),
	}
	if u, err := url.Parse(c.ESURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("ES_URL", "%q is not an http(s) URL like http://es:9200", permits.Redact(c.ESURL))
	} else if u.User != nil {
		bad("ES_URL", "must not carry credentials; use ES_USERNAME/ES_PASSWORD or ES_API_KEY")
	}
	if (c.ESUsername == "") != (c.ESPassword == "") {
		bad("ES_USERNAME", "ES_USERNAME and ES_PASSWORD must be set together")
	}
	if c.ESAPIKey != "" && c.ESUsername != "" {
		bad("ES_API_KEY", "set either ES_API_KEY or ES_USERNAME/ES_PASSWORD, not both")
	}
	portRaw := get("PORT", "5000")
	port, err := strconv.Atoi(portRaw)
	if err != nil || port < 1 || port > 65535 {
		bad("PORT", "%q is not a TCP port (1-65535)", portRaw)
	}
	c.Port = port
	if err := search.ValidateAlias(c.Index); err != nil {
		bad("INDEX", "%v", err)
	}
	if strings.HasPrefix(c.DataURL, "http://") || strings.HasPrefix(c.DataURL, "https://") {
		if u, err := url.Parse(c.DataURL); err != nil || u.Host == "" {
			bad("DATA_URL", "%q is not a valid URL", permits.Redact(c.DataURL))
		}
	} else if strings.Contains(c.DataURL, "://") && !strings.HasPrefix(c.DataURL, "file://") {
		bad("DATA_URL", "%q: only http://, https://, file:// or a file path are supported", permits.Redact(c.DataURL))
	}
	switch v := strings.ToLower(get(EnvAllowShrink, "0")); v {
	case "0", "false", "no":
	case "1", "true", "yes":
		c.AllowShrink = true
	default:
		bad(EnvAllowShrink, "%q is not 0 or 1", v)
	}
	maxRaw := get("MAX_CONNECTIONS", "0")
	if n, err := strconv.Atoi(maxRaw); err != nil || n < 0 || (n > 0 && n < 16) {
		bad("MAX_CONNECTIONS", "%q is not 0 (automatic) or a number of at least 16", maxRaw)
	} else {
		c.MaxConns = n
	}
	count := func(name, def string, limit int) int {
		raw := get(name, def)
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > limit {
			bad(name, "%q is not a number from 0 to %d", raw, limit)
		}
		return n
	}
	c.MaxInFlight = count("SEARCH_MAX_IN_FLIGHT", "16", 10_000)
	c.CacheMB = count("SEARCH_CACHE_MB", "32", 4096)
	c.QueueWait = duration("SEARCH_QUEUE_WAIT", "1s", 0, true)
	c.RefreshInterval = duration("REFRESH_INTERVAL", "24h", time.Second, true)
	c.ESWait = duration("ES_WAIT", "2m", 0, true)
	c.AliasCheck = duration("ALIAS_CHECK_INTERVAL", "15s", 100*time.Millisecond, false)
	switch lvl := strings.ToLower(get("LOG_LEVEL", "info")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", lvl)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %w", joinLines(errs))
	}
	return c, nil
}

// joinLines joins errors one per indented line, so a container log shows a
// readable list.
func joinLines(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "\n  "))
}
