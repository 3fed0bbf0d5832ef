package permits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// MaxSourceBytes bounds what Fetch reads from a file or URL. The full data
// set is about 0.5 MiB as JSON; the bound only stops a runaway or hostile
// source from exhausting memory.
const MaxSourceBytes = 64 << 20

// SODARowLimit is the page size Fetch asks a SODA endpoint for. SODA pages
// at 1000 rows unless told otherwise, which would silently cut the data set
// short; the whole data set is a few hundred rows.
const SODARowLimit = 50000

// ErrTooLarge is returned when a source exceeds MaxSourceBytes.
var ErrTooLarge = errors.New("permit data larger than the size limit")

// Fetch reads permits from source: an http(s) URL, a local file path, or a
// file:// URL.
// A SODA resource URL (…/resource/<id>.json) is asked for all rows at once
// by adding $limit unless the URL already sets one. A nil client means a
// default client with a two-minute timeout.
func Fetch(ctx context.Context, client *http.Client, source string) ([]foodtrucks.Permit, Report, error) {
	var (
		permits []foodtrucks.Permit
		report  Report
		err     error
	)
	switch {
	case strings.TrimSpace(source) == "":
		err = errors.New("no permit data source given: want a file path or an http(s) URL")
	case isURL(source):
		permits, report, err = fetchURL(ctx, client, source)
	case strings.HasPrefix(strings.ToLower(source), "file://"):
		u, parseErr := url.Parse(source)
		if parseErr != nil {
			err = fmt.Errorf("permit data file URL: %w", parseErr)
			break
		}
		permits, report, err = readFile(ctx, u.Path)
	default:
		permits, report, err = readFile(ctx, source)
	}
	report.Source = Redact(source)
	if report.Skipped == nil {
		fresh := newReport(report.Format)
		fresh.Source = Redact(source)
		report = fresh
	}
	return permits, report, err
}

func isURL(source string) bool {
	lower := strings.ToLower(source)
	return strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://")
}

func fetchURL(ctx context.Context, client *http.Client, source string) ([]foodtrucks.Permit, Report, error) {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	target, addedLimit, err := sodaURL(source)
	if err != nil {
		return nil, Report{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, Report{}, fmt.Errorf("permit data URL %q: %w", redact(source), err)
	}
	req.Header.Set("Accept", "application/json, text/csv;q=0.9, */*;q=0.1")
	req.Header.Set("User-Agent", "sf-foodtrucks")
	resp, err := client.Do(req)
	if err != nil {
		return nil, Report{}, fmt.Errorf("fetching permit data from %s: %w", Redact(source), redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg := strings.Join(strings.Fields(string(excerpt)), " ")
		if msg != "" {
			msg = ": " + quoteStart(msg)
		}
		return nil, Report{}, fmt.Errorf("fetching permit data from %s: HTTP %s%s", redact(source), resp.Status, msg)
	}
	if resp.ContentLength > MaxSourceBytes {
		return nil, Report{}, fmt.Errorf("fetching permit data from %s: %w (%d bytes announced, limit %d)",
			redact(source), ErrTooLarge, resp.ContentLength, MaxSourceBytes)
	}
	permits, report, err := readLimited(ctx, resp.Body)
	if err != nil {
		return nil, report, fmt.Errorf("permit data from %s: %w", redact(source), err)
	}
	if addedLimit && report.RowsRead >= SODARowLimit {
		report.Warnings = append(report.Warnings, fullPageWarning(report.RowsRead))
	}
	return permits, report, nil
}

func fullPageWarning(rows int) string {
	return fmt.Sprintf("the SODA endpoint returned %d rows, the page size asked for: the data set may be larger and cut short", rows)
}

// sodaURL adds $limit to a SODA resource URL that does not set one, and
// keeps every other query parameter as given. addedLimit reports whether it
// did.
func sodaURL(source string) (target string, addedLimit bool, err error) {
	u, err := url.Parse(source)
	if err != nil {
		return "", false, fmt.Errorf("permit data URL: %w", err)
	}
	if u.Host == "" {
		return "", false, fmt.Errorf("permit data URL %q has no host", redact(source))
	}
	dir, file := path.Split(u.Path)
	isSODA := path.Base(dir) == "resource" && strings.HasSuffix(strings.ToLower(file), ".json")
	if !isSODA || u.Query().Has("$limit") {
		return source, false, nil
	}
	limit := "$limit=" + strconv.Itoa(SODARowLimit)
	if u.RawQuery == "" {
		u.RawQuery = limit
	} else {
		u.RawQuery += "&" + limit
	}
	return u.String(), true, nil
}

// secretParams are query parameters whose values are credentials: SODA's
// app token and the usual names for keys and passwords.
var secretParams = []string{"token", "key", "secret", "password", "passwd", "pwd", "auth", "signature", "sig", "credential"}

// isSecretParam reports whether a query parameter carries a credential.
func isSecretParam(name string) bool {
	n := strings.ToLower(strings.TrimLeft(name, "$"))
	for _, s := range secretParams {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Redact drops the user-info and the values of secret query parameters
// ($$app_token, token, key, password, ...) from a URL before it goes into
// an error message, a log line or an answer. Other parameters ($limit, a
// dataset filter) stay, so the source remains recognisable. A string that
// is not a URL (a file path) comes back as it is.
func Redact(source string) string {
	if !strings.Contains(source, "://") {
		return source
	}
	u, err := url.Parse(source)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			decoded, derr := url.QueryUnescape(name)
			if derr != nil {
				decoded = name
			}
			if hasValue && isSecretParam(decoded) {
				parts[i] = name + "=REDACTED"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// redact is Redact for messages that only need the host and path.
func redact(source string) string { return Redact(source) }

// redactURLError rewrites the URL that net/http puts in its errors (with
// the query, and the user name, in full) to its redacted form.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		clean := *ue
		clean.URL = Redact(ue.URL)
		return &clean
	}
	return err
}

func readFile(ctx context.Context, name string) ([]foodtrucks.Permit, Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, Report{}, fmt.Errorf("permit data file: %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, Report{}, fmt.Errorf("permit data file %s is a directory", name)
	}
	permits, report, err := readLimited(ctx, f)
	if err != nil {
		return nil, report, fmt.Errorf("permit data file %s: %w", name, err)
	}
	return permits, report, nil
}

// readLimited runs Read over r, stopping at MaxSourceBytes or when ctx ends.
func readLimited(ctx context.Context, r io.Reader) ([]foodtrucks.Permit, Report, error) {
	lr := &limitedReader{ctx: ctx, r: r, left: MaxSourceBytes}
	permits, report, err := Read(lr)
	if lr.err != nil {
		// The parser may have wrapped or replaced the reader's error; the
		// reader's own is the one that explains what happened.
		return nil, report, lr.err
	}
	return permits, report, err
}

type limitedReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = err
		return 0, err
	}
	if l.left <= 0 {
		// Probe for one more byte: a source of exactly the limit is fine.
		var probe [1]byte
		n, err := l.r.Read(probe[:])
		if n > 0 {
			l.err = fmt.Errorf("%w (%d MiB)", ErrTooLarge, MaxSourceBytes>>20)
			return 0, l.err
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
