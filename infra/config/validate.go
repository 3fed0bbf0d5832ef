package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

var (
	appNamePattern   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	esVersionPattern = regexp.MustCompile(`^8\.[0-9]+\.[0-9]+$`)
	logLevels        = []string{"debug", "info", "warn", "error"}
)

// Elasticsearch refuses shorter passwords for the built-in users.
const minESPasswordLength = 6

// The largest values the web app accepts for SEARCH_CACHE_MB and
// SEARCH_MAX_IN_FLIGHT; it refuses to start with more.
const (
	MaxSearchCacheMB     = contract.MaxSearchCacheMB
	MaxSearchMaxInFlight = contract.MaxSearchMaxInFlight
)

// Validate checks every value against the rules of the schema and reports
// all problems at once, each naming the key and what it accepts. It runs
// before any resource is registered. Keys of the other target are not
// judged: a prod stack is not held to the local keys' rules and vice versa.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	targetKnown := c.Target == TargetLocal || c.Target == TargetAWS
	if !targetKnown {
		add("target: %q is not one of %s, %s", c.Target, TargetLocal, TargetAWS)
	}
	if !appNamePattern.MatchString(c.AppName) {
		add("appName: %q must be 1–20 characters: a lower-case letter, then lower-case letters, digits or hyphens", c.AppName)
	} else if strings.HasSuffix(c.AppName, "-") {
		add("appName: %q must not end with a hyphen", c.AppName)
	}

	if err := indexNameProblem(c.IndexAlias); err != "" {
		add("indexAlias: %q %s", c.IndexAlias, err)
	}
	if u, err := url.Parse(c.DataURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("dataUrl: %q is not an http or https URL", c.DataURL)
	}
	if c.RefreshInterval != "0" {
		if d, err := time.ParseDuration(c.RefreshInterval); err != nil || d <= 0 {
			add("refreshInterval: %q is not a positive Go duration (e.g. 30m, 24h) or \"0\" (never refresh)", c.RefreshInterval)
		}
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		add("logLevel: %q is not one of %s", c.LogLevel, strings.Join(logLevels, ", "))
	}
	if !isPort(c.WebPort) {
		add("webPort: %d is not a port (1–65535)", c.WebPort)
	}
	if c.WebReplicas < 1 {
		add("webReplicas: %d must be at least 1", c.WebReplicas)
	}
	if c.SearchCacheMB < 0 || c.SearchCacheMB > MaxSearchCacheMB {
		add("searchCacheMb: %d must be between 0 (no cache) and %d MiB (the app's limit)", c.SearchCacheMB, MaxSearchCacheMB)
	}
	if c.SearchMaxInFlight < 0 || c.SearchMaxInFlight > MaxSearchMaxInFlight {
		add("searchMaxInFlight: %d must be between 0 (no bound) and %d (the app's limit)", c.SearchMaxInFlight, MaxSearchMaxInFlight)
	}

	if c.ESImage == "" {
		add("esImage: must name an image repository, e.g. docker.elastic.co/elasticsearch/elasticsearch")
	} else if strings.Contains(c.ESImage, "@") || strings.Contains(c.ESImage[strings.LastIndex(c.ESImage, "/")+1:], ":") {
		add("esImage: %q must be a repository without tag or digest; the tag comes from esVersion", c.ESImage)
	}
	if !esVersionPattern.MatchString(c.ESVersion) {
		add("esVersion: %q is not an Elasticsearch 8 release (8.x.y, e.g. 8.19.21); the app's client speaks version 8", c.ESVersion)
	}
	errs = append(errs, c.validateESSizing()...)
	// For aws, validateAWS judges the password together with searchMode.
	if c.ESSecurity && c.Target != TargetAWS && len(c.ESPassword) < minESPasswordLength {
		add("esPassword: esSecurity is on, so set the elastic user's password (at least %d characters) with `pulumi config set --secret esPassword <value>`", minESPasswordLength)
	}

	switch c.Target {
	case TargetLocal:
		errs = append(errs, c.validateLocal()...)
	case TargetAWS:
		errs = append(errs, c.validateAWS()...)
	}
	return errors.Join(errs...)
}

func (c Config) validateESSizing() []error {
	var errs []error
	const minMemoryMB = 512
	if c.ESMemoryMB < minMemoryMB {
		errs = append(errs, fmt.Errorf("esMemoryMb: %d is too small for Elasticsearch; use at least %d", c.ESMemoryMB, minMemoryMB))
	}
	half := c.ESMemoryMB / 2
	switch {
	case c.ESHeapMB == 0 && c.Target == TargetLocal:
		errs = append(errs, fmt.Errorf("esHeapMb: 0 (automatic sizing) is only for target aws; locally set a heap of at most %d (half of esMemoryMb)", half))
	case c.ESHeapMB < 0:
		errs = append(errs, fmt.Errorf("esHeapMb: %d must be 0 (let Elasticsearch size it) or a positive number of MiB", c.ESHeapMB))
	case c.ESHeapMB > half && c.ESMemoryMB >= minMemoryMB:
		errs = append(errs, fmt.Errorf("esHeapMb: %d is more than half of esMemoryMb (%d); use at most %d", c.ESHeapMB, c.ESMemoryMB, half))
	}
	return errs
}

func (c Config) validateLocal() []error {
	var errs []error
	l := c.Local
	if net.ParseIP(l.BindAddress) == nil {
		errs = append(errs, fmt.Errorf("localBindAddress: %q is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 to listen on every interface)", l.BindAddress))
	}
	lastWebPort := c.WebPort + max(c.WebReplicas, 1) - 1
	if isPort(c.WebPort) && lastWebPort > 65535 {
		errs = append(errs, fmt.Errorf("webReplicas: %d replicas on consecutive host ports from webPort %d run past 65535; lower webPort or webReplicas", c.WebReplicas, c.WebPort))
	}
	switch {
	case l.ESPublishPort == 0:
	case !isPort(l.ESPublishPort):
		errs = append(errs, fmt.Errorf("localEsPublishPort: %d is not 0 (not published) or a port (1–65535)", l.ESPublishPort))
	case l.ESPublishPort >= c.WebPort && l.ESPublishPort <= lastWebPort:
		errs = append(errs, fmt.Errorf("localEsPublishPort: %d collides with the web host ports %s; pick another port or 0", l.ESPublishPort, portRange(c.WebPort, lastWebPort)))
	}
	const maxWait = 3600
	if l.WaitTimeout < 1 || l.WaitTimeout > maxWait {
		errs = append(errs, fmt.Errorf("localWaitTimeout: %d must be between 1 and %d seconds", l.WaitTimeout, maxWait))
	}
	// Elasticsearch's bootstrap check asks for 65535 but enforces it only
	// outside single-node discovery, so a smaller limit still starts.
	const minNoFile, maxNoFile = 1024, 1 << 20
	if l.ESNoFile != 0 && (l.ESNoFile < minNoFile || l.ESNoFile > maxNoFile) {
		errs = append(errs, fmt.Errorf("localEsNoFile: %d must be 0 (the engine's default) or between %d and %d", l.ESNoFile, minNoFile, maxNoFile))
	}
	if l.Platform != "" && !platformPattern.MatchString(l.Platform) {
		errs = append(errs, fmt.Errorf("localPlatform: %q is not os/arch[/variant] (e.g. linux/amd64, linux/arm64); leave it empty to build for the engine's own", l.Platform))
	}
	return errs
}

var platformPattern = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)

func isPort(p int) bool { return p >= 1 && p <= 65535 }

func portRange(first, last int) string {
	if first == last {
		return fmt.Sprint(first)
	}
	return fmt.Sprintf("%d–%d", first, last)
}

// indexNameProblem applies Elasticsearch's rules for index and alias names.
func indexNameProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case name != strings.ToLower(name):
		return "must be lower-case (an Elasticsearch index alias)"
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		return `must not contain \ / * ? " < > | , # : or spaces (an Elasticsearch index alias)`
	case strings.IndexAny(name[:1], "-_+.") == 0:
		return "must not start with -, _, + or . (an Elasticsearch index alias)"
	case len(name) > 200:
		return "is longer than 200 characters"
	}
	return ""
}
