// Package contract is what the web app's container and whoever runs it
// agree on: the environment variables the app reads, their defaults and
// bounds, the port it listens on, the user it runs as, its health command
// and the longest it waits for Elasticsearch. The app (appconfig, search)
// and both stacks (infra/local, infra/aws) import it, so renaming a
// variable on one side fails to compile on the other.
package contract

import (
	"strconv"
	"time"
)

// The environment variables the app reads.
const (
	EnvESURL              = "ES_URL"
	EnvESUsername         = "ES_USERNAME"
	EnvESPassword         = "ES_PASSWORD"
	EnvESAPIKey           = "ES_API_KEY"
	EnvESWait             = "ES_WAIT"
	EnvPort               = "PORT"
	EnvIndex              = "INDEX"
	EnvDataURL            = "DATA_URL"
	EnvRefreshInterval    = "REFRESH_INTERVAL"
	EnvAliasCheckInterval = "ALIAS_CHECK_INTERVAL"
	EnvLogLevel           = "LOG_LEVEL"
	EnvUIDir              = "UI_DIR"
	EnvAllowShrink        = "LOAD_ALLOW_SHRINK"
	EnvMaxConnections     = "MAX_CONNECTIONS"
	EnvSearchMaxInFlight  = "SEARCH_MAX_IN_FLIGHT"
	EnvSearchQueueWait    = "SEARCH_QUEUE_WAIT"
	EnvSearchCacheMB      = "SEARCH_CACHE_MB"
)

// The app's defaults, for a variable left unset.
const (
	DefaultESURL = "http://es:9200"
	DefaultPort  = 5000
	DefaultIndex = "sfdata"
	// DefaultDataURL is the live SF Open Data (SODA) endpoint of the Mobile
	// Food Facility Permits. SODA answers 1000 rows unless asked for more;
	// the data reader takes care of that.
	DefaultDataURL           = "https://data.sfgov.org/resource/rqzj-sfat.json"
	DefaultSearchMaxInFlight = 16
	DefaultSearchCacheMB     = 32
)

// The largest values the app accepts; the stacks' validation refuses more
// before anything is deployed.
const (
	MaxSearchMaxInFlight = 10_000
	MaxSearchCacheMB     = 4096
)

// User is the image's USER (webapp/Dockerfile): numeric, as the image has
// no /etc/passwd.
const User = "65532:65532"

// HealthCommand is the image's own probe (there is no shell or curl in the
// image): the binary asks 127.0.0.1:$PORT/healthz, which never touches
// Elasticsearch.
func HealthCommand() []string { return []string{"/foodtrucks", "healthcheck"} }

// LongestElasticsearchCall is the longest the app waits for one
// Elasticsearch answer (a bulk request, and the client's wait for an
// answer's headers). A proxy between the app and Elasticsearch must allow
// at least this much per request.
const LongestElasticsearchCall = 30 * time.Second

// Env is the environment a stack gives a web container; the search
// credential (ES_PASSWORD or ES_API_KEY) travels apart, as a secret.
type Env struct {
	Port              int
	ESURL             string
	Index             string
	DataURL           string
	RefreshInterval   string
	LogLevel          string
	SearchCacheMB     int
	SearchMaxInFlight int
	UIDir             string // empty: the UI embedded in the binary
	ESUsername        string // empty: no user (an API key, or security off)
}

// Var is one environment variable.
type Var struct{ Name, Value string }

// Vars lists the variables in a fixed order, leaving out the optional ones
// that are empty.
func (e Env) Vars() []Var {
	vars := []Var{
		{EnvPort, strconv.Itoa(e.Port)},
		{EnvESURL, e.ESURL},
		{EnvIndex, e.Index},
		{EnvDataURL, e.DataURL},
		{EnvRefreshInterval, e.RefreshInterval},
		{EnvLogLevel, e.LogLevel},
		{EnvSearchCacheMB, strconv.Itoa(e.SearchCacheMB)},
		{EnvSearchMaxInFlight, strconv.Itoa(e.SearchMaxInFlight)},
	}
	if e.UIDir != "" {
		vars = append(vars, Var{EnvUIDir, e.UIDir})
	}
	if e.ESUsername != "" {
		vars = append(vars, Var{EnvESUsername, e.ESUsername})
	}
	return vars
}

// Strings lists the variables as NAME=value, the form Docker takes.
func (e Env) Strings() []string {
	vars := e.Vars()
	s := make([]string, len(vars))
	for i, v := range vars {
		s[i] = v.Name + "=" + v.Value
	}
	return s
}
