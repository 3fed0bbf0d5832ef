package permits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sodaStandIn is a test stand-in for the SF Open Data SODA endpoint
// (/resource/<dataset>.json). Like the real one it answers JSON with a
// 200, errors as a JSON object with "error" and "message" and a 4xx/5xx
// status, and honours $limit by returning at most that many rows (1000 when
// $limit is not given, SODA's default page size).
type sodaStandIn struct {
	rows []string // JSON objects, one per row

	mu      sync.Mutex
	queries []url.Values
}

func (s *sodaStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.Query())
	s.mu.Unlock()
	if r.URL.Path != "/resource/rqzj-sfat.json" {
		sodaError(w, http.StatusNotFound, "dataset.missing", "Not found")
		return
	}
	limit := 1000
	if text := r.URL.Query().Get("$limit"); text != "" {
		if _, err := fmt.Sscan(text, &limit); err != nil || limit < 0 {
			sodaError(w, http.StatusBadRequest, "query.soql.invalid", "Invalid $limit")
			return
		}
	}
	rows := s.rows
	if len(rows) > limit {
		rows = rows[:limit]
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	io.WriteString(w, "["+strings.Join(rows, "\n,")+"]\n")
}

func (s *sodaStandIn) lastQuery() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[len(s.queries)-1]
}

func sodaError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%q,"error":true,"message":%q}`, code, message)
}

// manyRows makes n distinct rows, more than SODA's default page.
func manyRows(n int) []string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"objectid":"%d","applicant":"Truck %d","fooditems":"Tacos","latitude":"37.7","longitude":"-122.4"}`, i+1, i+1)
	}
	return rows
}

func TestFetchSODAAsksForAllRows(t *testing.T) {
	standIn := &sodaStandIn{rows: manyRows(1500)}
	server := httptest.NewServer(standIn)
	defer server.Close()

	for _, tc := range []struct {
		name      string
		query     string
		wantLimit string
		wantRows  int
		wantWhere string
	}{
		// Without $limit SODA would stop at 1000 of the 1500 rows.
		{"no query", "", "50000", 1500, ""},
		{"other parameters are kept", "?$where=status%3D%27APPROVED%27", "50000", 1500, "status='APPROVED'"},
		{"a $limit of the caller's is kept", "?$limit=10", "10", 10, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			permits, report, err := Fetch(context.Background(), server.Client(), server.URL+"/resource/rqzj-sfat.json"+tc.query)
			if err != nil {
				t.Fatal(err)
			}
			query := standIn.lastQuery()
			if got := query.Get("$limit"); got != tc.wantLimit {
				t.Errorf("$limit sent = %q, want %q (full query %v)", got, tc.wantLimit, query)
			}
			if got := query.Get("$where"); got != tc.wantWhere {
				t.Errorf("$where sent = %q, want %q", got, tc.wantWhere)
			}
			if len(permits) != tc.wantRows || report.Usable != tc.wantRows || report.Format != FormatSODAJSON {
				t.Errorf("got %d permits (report: %d usable, format %q); want %d", len(permits), report.Usable, report.Format, tc.wantRows)
			}
			if !strings.HasPrefix(report.Source, server.URL) {
				t.Errorf("report.Source = %q", report.Source)
			}
		})
	}
}

// A SODA answer that fills the page Fetch asked for may have been cut
// short; the report says so rather than letting it pass silently.
func TestFetchWarnsWhenThePageIsFull(t *testing.T) {
	standIn := &sodaStandIn{rows: manyRows(SODARowLimit + 1)}
	server := httptest.NewServer(standIn)
	defer server.Close()
	permits, report, err := Fetch(context.Background(), server.Client(), server.URL+"/resource/rqzj-sfat.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(permits) != SODARowLimit {
		t.Errorf("got %d permits, want the page of %d", len(permits), SODARowLimit)
	}
	if len(report.Warnings) != 1 || !strings.Contains(report.Warnings[0], "cut short") {
		t.Errorf("warnings = %q, want one about the data being cut short", report.Warnings)
	}

	// A $limit the caller chose is the caller's business: no warning.
	_, report, err = Fetch(context.Background(), server.Client(), server.URL+"/resource/rqzj-sfat.json?$limit=3")
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Warnings) != 0 {
		t.Errorf("warnings %q for a caller's $limit", report.Warnings)
	}
}

func TestFetchNon2xxIsAnError(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sodaError(w, status, "service.unavailable", "Try again later")
			}))
			defer server.Close()
			permits, _, err := Fetch(context.Background(), server.Client(), server.URL+"/resource/rqzj-sfat.json?$$app_token=s3cret")
			if err == nil {
				t.Fatalf("HTTP %d: got %d permits and no error", status, len(permits))
			}
			for _, want := range []string{fmt.Sprint(status), "Try again later"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the app token from the URL", err)
			}
		})
	}
}

// A body beyond MaxSourceBytes is refused, whether it says so up front or
// just keeps streaming.
func TestFetchRefusesOversizedBodies(t *testing.T) {
	t.Run("streamed", func(t *testing.T) {
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[{"applicant":"A"}`)
			// White space between elements is valid JSON, so only the size
			// limit can stop this body.
			chunk := strings.Repeat(" ", 1<<20)
			for range MaxSourceBytes>>20 + 1 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `]`)
		}))
		defer server.Close()
		_, _, err := Fetch(context.Background(), server.Client(), server.URL+"/big.json")
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("announced", func(t *testing.T) {
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(MaxSourceBytes+1))
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "[")
		}))
		defer server.Close()
		_, _, err := Fetch(context.Background(), server.Client(), server.URL+"/big.json")
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error = %v, want ErrTooLarge", err)
		}
	})
}

// A CSV export served over HTTP is read as CSV and gets no SODA parameters.
func TestFetchCSVOverHTTP(t *testing.T) {
	var query string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "text/csv")
		http.ServeFile(w, r, filepath.Join("testdata", "hostile.csv"))
	}))
	defer server.Close()
	permits, report, err := Fetch(context.Background(), server.Client(), server.URL+"/api/views/rqzj-sfat/rows.csv")
	if err != nil {
		t.Fatal(err)
	}
	if query != "" || report.Format != FormatCSV || len(permits) != 7 {
		t.Errorf("query %q, format %q, %d permits; want no query, csv, 7 permits", query, report.Format, len(permits))
	}
}

func TestFetchLocalFile(t *testing.T) {
	permits, report, err := Fetch(context.Background(), nil, filepath.Join("testdata", "hostile.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(permits) != 13 || report.Source != filepath.Join("testdata", "hostile.json") || report.Format != FormatSODAJSON {
		t.Errorf("%d permits, source %q, format %q", len(permits), report.Source, report.Format)
	}

	t.Run("file URL", func(t *testing.T) {
		abs, err := filepath.Abs(filepath.Join("testdata", "hostile.csv"))
		if err != nil {
			t.Fatal(err)
		}
		permits, _, err := Fetch(context.Background(), nil, (&url.URL{Scheme: "file", Path: abs}).String())
		if err != nil || len(permits) != 7 {
			t.Errorf("%d permits, error %v; want 7 and none", len(permits), err)
		}
	})
	t.Run("no source", func(t *testing.T) {
		_, _, err := Fetch(context.Background(), nil, " ")
		if err == nil || !strings.Contains(err.Error(), "no permit data source") {
			t.Errorf("error = %v, want one saying no source was given", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, report, err := Fetch(context.Background(), nil, filepath.Join(t.TempDir(), "nope.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want a not-exist error", err)
		}
		if report.Skipped == nil {
			t.Error("report maps are nil after an error")
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, _, err := Fetch(context.Background(), nil, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "directory") {
			t.Errorf("error = %v, want one about a directory", err)
		}
	})
	t.Run("unusable file", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(name, []byte("<html>Moved</html>\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := Fetch(context.Background(), nil, name)
		if !errors.Is(err, ErrUnusableInput) || !strings.Contains(err.Error(), name) {
			t.Errorf("error = %v, want ErrUnusableInput naming the file", err)
		}
	})
}

func TestFetchHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Fetch(ctx, nil, filepath.Join("testdata", "hostile.json"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("file: error = %v, want context.Canceled", err)
	}
	server := httptest.NewServer(&sodaStandIn{rows: manyRows(1)})
	defer server.Close()
	_, _, err = Fetch(ctx, server.Client(), server.URL+"/resource/rqzj-sfat.json")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("URL: error = %v, want context.Canceled", err)
	}
}

func TestSODAURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		added    bool
	}{
		{"https://data.sfgov.org/resource/rqzj-sfat.json", "https://data.sfgov.org/resource/rqzj-sfat.json?$limit=50000", true},
		{"https://data.sfgov.org/resource/rqzj-sfat.json?$order=objectid", "https://data.sfgov.org/resource/rqzj-sfat.json?$order=objectid&$limit=50000", true},
		{"https://data.sfgov.org/resource/rqzj-sfat.json?$limit=5", "https://data.sfgov.org/resource/rqzj-sfat.json?$limit=5", false},
		{"https://data.sfgov.org/api/views/rqzj-sfat/rows.csv?accessType=DOWNLOAD", "https://data.sfgov.org/api/views/rqzj-sfat/rows.csv?accessType=DOWNLOAD", false},
		{"https://example.org/permits.json", "https://example.org/permits.json", false},
	} {
		got, added, err := sodaURL(tc.in)
		if err != nil || got != tc.want || added != tc.added {
			t.Errorf("sodaURL(%q) = %q, %v, %v; want %q, %v", tc.in, got, added, err, tc.want, tc.added)
		}
	}
	if _, _, err := sodaURL("http:///resource/x.json"); err == nil {
		t.Error("a URL without a host was accepted")
	}
}
