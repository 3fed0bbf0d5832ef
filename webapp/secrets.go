package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
)

// minSecretLen keeps the scrubber from replacing every "a" in the log when
// someone sets a one-letter password; such values are still removed where
// the URL is printed, by permits.Redact.
const minSecretLen = 4

// secretValues lists the credentials in the configuration: the user-info
// and secret query values of DATA_URL and ES_URL, ES_PASSWORD and
// ES_API_KEY, each also in the forms it takes inside a URL or a JSON log
// line.
func secretValues(cfg appconfig.Config) []string {
	var raw []string
	for _, s := range []string{cfg.DataURL, cfg.ESURL} {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			continue
		}
		if u.User != nil {
			raw = append(raw, u.User.Username())
			if p, ok := u.User.Password(); ok {
				raw = append(raw, p)
			}
		}
		redacted, _ := url.Parse(permits.Redact(s))
		for name, vals := range u.Query() {
			if redacted != nil && redacted.Query().Get(name) == "REDACTED" {
				raw = append(raw, vals...)
			}
		}
	}
	raw = append(raw, cfg.ESPassword, cfg.ESAPIKey)
	seen := map[string]bool{}
	var out []string
	for _, v := range raw {
		if len(v) < minSecretLen {
			continue
		}
		enc, _ := json.Marshal(v)
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), string(enc[1 : len(enc)-1])} {
			if !seen[form] {
				seen[form] = true
				out = append(out, form)
			}
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// newScrubber returns a function that replaces every configured secret in
// a text. It is the last line of defence behind permits.Redact: whatever
// error text a library builds, the secrets do not reach a log line or an
// answer.
func newScrubber(secrets []string) func(string) string {
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, "REDACTED")
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

// scrubWriter applies a scrubber to every line written to w. The JSON log
// handler writes one whole line per call.
type scrubWriter struct {
	mu    sync.Mutex
	w     io.Writer
	scrub func(string) string
	needs [][]byte
}

func newScrubWriter(w io.Writer, secrets []string) io.Writer {
	if len(secrets) == 0 {
		return w
	}
	sw := &scrubWriter{w: w, scrub: newScrubber(secrets)}
	for _, s := range secrets {
		sw.needs = append(sw.needs, []byte(s))
	}
	return sw
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	out := p
	for _, n := range s.needs {
		if bytes.Contains(p, n) {
			out = []byte(s.scrub(string(p)))
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
