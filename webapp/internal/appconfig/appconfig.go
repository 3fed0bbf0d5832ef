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

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// DefaultDataURL is where permits come from when DATA_URL is unset.
const DefaultDataURL = contract.DefaultDataURL

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
const EnvAllowShrink = contract.EnvAllowShrink

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
		ESURL:      get(contract.EnvESURL, contract.DefaultESURL),
		ESUsername: getenv(contract.EnvESUsername),
		ESPassword: getenv(contract.EnvESPassword),
		ESAPIKey:   strings.TrimSpace(getenv(contract.EnvESAPIKey)),
		Index:      get(contract.EnvIndex, contract.DefaultIndex),
		DataURL:    get(contract.EnvDataURL, contract.DefaultDataURL),
		UIDir:      strings.TrimSpace(getenv(contract.EnvUIDir)),
	}
	if u, err := url.Parse(c.ESURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(contract.EnvESURL, "%q is not an http(s) URL like http://es:9200", permits.Redact(c.ESURL))
	} else if u.User != nil {
		bad(contract.EnvESURL, "must not carry credentials; use ES_USERNAME/ES_PASSWORD or ES_API_KEY")
	}
	if (c.ESUsername == "") != (c.ESPassword == "") {
		bad(contract.EnvESUsername, "ES_USERNAME and ES_PASSWORD must be set together")
	}
	if c.ESAPIKey != "" && c.ESUsername != "" {
		bad(contract.EnvESAPIKey, "set either ES_API_KEY or ES_USERNAME/ES_PASSWORD, not both")
	}
	portRaw := get(contract.EnvPort, strconv.Itoa(contract.DefaultPort))
	port, err := strconv.Atoi(portRaw)
	if err != nil || port < 1 || port > 65535 {
		bad(contract.EnvPort, "%q is not a TCP port (1-65535)", portRaw)
	}
	c.Port = port
	if err := search.ValidateAlias(c.Index); err != nil {
		bad(contract.EnvIndex, "%v", err)
	}
	if strings.HasPrefix(c.DataURL, "http://") || strings.HasPrefix(c.DataURL, "https://") {
		if u, err := url.Parse(c.DataURL); err != nil || u.Host == "" {
			bad(contract.EnvDataURL, "%q is not a valid URL", permits.Redact(c.DataURL))
		}
	} else if strings.Contains(c.DataURL, "://") && !strings.HasPrefix(c.DataURL, "file://") {
		bad(contract.EnvDataURL, "%q: only http://, https://, file:// or a file path are supported", permits.Redact(c.DataURL))
	}
	switch v := strings.ToLower(get(EnvAllowShrink, "0")); v {
	case "0", "false", "no":
	case "1", "true", "yes":
		c.AllowShrink = true
	default:
		bad(EnvAllowShrink, "%q is not 0 or 1", v)
	}
	maxRaw := get(contract.EnvMaxConnections, "0")
	if n, err := strconv.Atoi(maxRaw); err != nil || n < 0 || (n > 0 && n < 16) {
		bad(contract.EnvMaxConnections, "%q is not 0 (automatic) or a number of at least 16", maxRaw)
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
	c.MaxInFlight = count(contract.EnvSearchMaxInFlight, strconv.Itoa(contract.DefaultSearchMaxInFlight), contract.MaxSearchMaxInFlight)
	c.CacheMB = count(contract.EnvSearchCacheMB, strconv.Itoa(contract.DefaultSearchCacheMB), contract.MaxSearchCacheMB)
	c.QueueWait = duration(contract.EnvSearchQueueWait, "1s", 0, true)
	c.RefreshInterval = duration(contract.EnvRefreshInterval, "24h", time.Second, true)
	c.ESWait = duration(contract.EnvESWait, "2m", 0, true)
	c.AliasCheck = duration(contract.EnvAliasCheckInterval, "15s", 100*time.Millisecond, false)
	switch lvl := strings.ToLower(get(contract.EnvLogLevel, "info")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad(contract.EnvLogLevel, "%q is not one of debug, info, warn, error", lvl)
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
