// Package search adapts Elasticsearch 8 to the food-truck domain: it creates
// versioned indices with an explicit mapping, bulk-loads permits, swaps the
// alias that searches read from, and turns search hits back into trucks.
//
// Everything talks to Elasticsearch through esapi, the low-level API of the
// official client github.com/elastic/go-elasticsearch/v8, with small request
// and response types of its own. The client's typed API would bring
// generated types for the whole Elasticsearch API instead, and with them
// nearly triple the web binary.
package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"golang.org/x/sync/singleflight"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// ErrUnavailable (Elasticsearch could not be reached or answered with a
// server-side failure) and ErrNotLoaded (it answers, but the alias does not
// exist yet) are the domain's error kinds.
var (
	ErrUnavailable = foodtrucks.ErrUnavailable
	ErrNotLoaded   = foodtrucks.ErrNotLoaded
)

// Options configures a Client. Only URL and Alias are required.
type Options struct {
	URL      string // e.g. http://es:9200
	Username string // basic auth; ignored when APIKey is set
	Password string
	APIKey   string // base64 "id:key", as Elasticsearch hands it out
	Alias    string // the name searches read from, e.g. sfdata

	// Transport, when set, carries every request (tests record or break
	// traffic with it). The default is a clone of http.DefaultTransport.
	Transport http.RoundTripper

	// BulkBatchDocs caps the documents per bulk request (default 1000).
	BulkBatchDocs int

	// DocumentsPageSize caps the documents per request when the app reads
	// an index's documents to complete search hits (default 1000).
	DocumentsPageSize int

	// Now returns the current time; versioned index names derive from it.
	// Tests fix it to make index names reproducible.
	Now func() time.Time
}

// Client is the food-truck view of one Elasticsearch cluster. It is safe for
// concurrent use; loads are serialised.
type Client struct {
	transport     esapi.Transport
	alias         string
	batchDocs     int
	documentsPage int
	now           func() time.Time
	versionRE     *regexp.Regexp

	documents  heldDocuments      // the documents searches complete hits from
	aliasReads singleflight.Group // ServedIndex's shared reads

	loadMu          sync.Mutex // one load at a time per process
	lastVersionName string     // guards against two loads in the same millisecond
}

// New validates the options and builds a client. It does not contact
// Elasticsearch: the cluster may well be down at start-up.
func New(o Options) (*Client, error) {
	if o.URL == "" {
		return nil, errors.New("search: URL is required")
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("search: URL %q is not an http(s) URL", o.URL)
	}
	if err := ValidateAlias(o.Alias); err != nil {
		return nil, err
	}
	tr := o.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64 // one per concurrent search; the default 2 churns sockets under load
		// No gzip between the app and Elasticsearch: on a local network
		// (or the same host) compressing and inflating every answer costs
		// both sides more CPU than the bytes it saves.
		t.DisableCompression = true
		t.ResponseHeaderTimeout = contract.LongestElasticsearchCall
		tr = t
	}
	// A trailing slash would double the one every API path starts with.
	base, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("search: URL %q: %w", o.URL, err)
	}
	username, password := o.Username, o.Password
	if u.User != nil { // credentials in the URL win, as in the official client
		username = u.User.Username()
		password, _ = u.User.Password()
	}
	// The official client: its transport, retries and product check (it
	// refuses a server whose first successful answer lacks
	// X-Elastic-Product: Elasticsearch). Only its low-level esapi is used:
	// the typed API would nearly triple the binary.
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: []string{base.String()},
		Username:  username,
		Password:  password,
		APIKey:    o.APIKey,
		Transport: tr,
		// One quick retry smooths over a single dropped connection or a
		// 429; anything longer is the caller's business (a search must
		// answer 503 promptly, a load is retried by the scheduler).
		MaxRetries:    1,
		RetryOnStatus: []int{429, 502, 503, 504},
		RetryBackoff:  func(attempt int) time.Duration { return 100 * time.Millisecond * time.Duration(attempt) },
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	c := &Client{
		transport:     es,
		alias:         o.Alias,
		batchDocs:     o.BulkBatchDocs,
		documentsPage: o.DocumentsPageSize,
		now:           o.Now,
		versionRE:     versionPattern(o.Alias),
	}
	if c.batchDocs <= 0 {
		c.batchDocs = 1000
	}
	if c.documentsPage <= 0 {
		c.documentsPage = 1000
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// ValidateAlias applies Elasticsearch's index-name rules, so a bad INDEX
// setting fails at start-up instead of on the first load.
func ValidateAlias(name string) error {
	switch {
	case name == "":
		return errors.New("alias name is empty")
	case len(name) > 200: // leaves room for the version suffix within 255 bytes
		return fmt.Errorf("alias name %q is longer than 200 bytes", name)
	case name != strings.ToLower(name):
		return fmt.Errorf("alias name %q must be lower case", name)
	case strings.HasPrefix(name, "-") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "."):
		// Elasticsearch reserves names with a leading dot for hidden and
		// system indices (and deprecates them for others).
		return fmt.Errorf("alias name %q must not start with -, _, + or a dot", name)
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		//lint:ignore ST1005 the message ends with the list of characters, ':' among them
		return fmt.Errorf(`alias name %q must not contain any of \ / * ? " < > | space , # :`, name)
	}
	return nil
}

// Ping asks the cluster for its info document: it succeeds when
// Elasticsearch answers at all and passes the client's product check.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, esapi.InfoRequest{}, nil)
}

// Ready reports whether searches can be answered: the cluster is reachable
// and the alias points at one open index of this app. A state that needs an
// operator comes back as an *AliasProblem saying what to do.
func (c *Client) Ready(ctx context.Context) error {
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	if p := st.Problem(); p != nil {
		return p
	}
	if len(st.Indices) == 0 {
		return ErrNotLoaded
	}
	return nil
}

// exists asks a HEAD request: 2xx is yes, 404 no. A HEAD answer has no body
// to explain itself; anything else means the answer cannot be confirmed,
// so it is ErrUnavailable naming the path asked.
func (c *Client) exists(ctx context.Context, req esapi.Request, path string) (bool, error) {
	ctx, cancel := bounded(ctx, req)
	defer cancel()
	res, err := req.Do(ctx, c.transport)
	if err != nil {
		return false, classify(err)
	}
	closeBody(res.Body)
	switch {
	case res.StatusCode >= 200 && res.StatusCode <= 299:
		return true, nil
	case res.StatusCode == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("%w: %w", ErrUnavailable, &esError{Status: res.StatusCode, Reason: "HEAD " + path})
}
