package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// The load lease: one document in a small coordination index, created with
// op_type=create so that of several web tasks asking at once exactly one
// gets it. It carries its holder and an expiry; a holder that died is
// replaced once the expiry has passed. Renewals and the release are
// conditional on the document's seq_no/primary_term, so a holder whose
// lease was taken over cannot overwrite or delete its successor's.

// ErrLeaseHeld means another web task holds the load lease.
var ErrLeaseHeld = errors.New("another web task is loading")

// ErrLeaseLost means the lease expired and another task took it over.
var ErrLeaseLost = errors.New("the load lease was taken over by another web task")

const leaseDocID = "load"

// Renewer is a held lease as a load sees it: *Lease, or a stand-in.
type Renewer interface {
	Renew(ctx context.Context) error
}

// Lease is a held load lease.
type Lease struct {
	c           *Client
	holder      string
	ttl         time.Duration
	seqNo       int
	primaryTerm int
}

// LeaseInfo describes a lease as stored.
type LeaseInfo struct {
	Holder   string    `json:"holder"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// CoordinationIndex is the index that holds the lease: not a version (its
// name does not match the versions' pattern), never behind the alias.
func (c *Client) CoordinationIndex() string { return c.alias + "-coordination" }

// AcquireLease takes the load lease for ttl, or returns an error wrapping
// ErrLeaseHeld (with who holds it and until when).
func (c *Client) AcquireLease(ctx context.Context, holder string, ttl time.Duration) (*Lease, error) {
	c.ensureCoordinationIndex(ctx)
	for attempt := 0; attempt < 3; attempt++ {
		l, err := c.createLease(ctx, holder, ttl)
		if err == nil {
			return l, nil
		}
		var esErr *esError
		if !errors.As(err, &esErr) {
			return nil, err
		}
		switch {
		case esErr.Status == http.StatusConflict:
			// Held: take it over only when it has expired.
			info, seqNo, term, found, gerr := c.readLease(ctx)
			if gerr != nil {
				return nil, gerr
			}
			if !found {
				continue // released meanwhile
			}
			if c.now().Before(info.Expires) {
				return nil, fmt.Errorf("%w (%s, until %s)", ErrLeaseHeld, info.Holder, info.Expires.UTC().Format(time.RFC3339))
			}
			if derr := c.deleteLease(ctx, seqNo, term); derr != nil {
				return nil, derr
			}
		case esErr.Status == http.StatusNotFound:
			// No coordination index and automatic creation is off.
			if _, cerr := c.createCoordinationIndex(ctx); cerr != nil {
				return nil, cerr
			}
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w (it changed hands while we asked)", ErrLeaseHeld)
}

func (c *Client) createLease(ctx context.Context, holder string, ttl time.Duration) (*Lease, error) {
	now := c.now().UTC()
	body, err := jsonBody(LeaseInfo{Holder: holder, Acquired: now, Expires: now.Add(ttl)})
	if err != nil {
		return nil, err
	}
	var ans struct {
		SeqNo       int `json:"_seq_no"`
		PrimaryTerm int `json:"_primary_term"`
	}
	if err := c.call(ctx, esapi.CreateRequest{Index: c.CoordinationIndex(), DocumentID: leaseDocID, Body: body}, &ans); err != nil {
		return nil, conflictOrMissing(err)
	}
	return &Lease{c: c, holder: holder, ttl: ttl, seqNo: ans.SeqNo, primaryTerm: ans.PrimaryTerm}, nil
}

// conflictOrMissing returns a 409 or 404 answer as Elasticsearch gave it,
// out of its classified error, so the caller can tell them apart; outages
// stay as they are.
func conflictOrMissing(err error) error {
	var esErr *esError
	if errors.As(err, &esErr) && (esErr.Status == http.StatusConflict || esErr.Status == http.StatusNotFound) {
		return esErr
	}
	return err
}

func (c *Client) readLease(ctx context.Context) (LeaseInfo, int, int, bool, error) {
	var ans struct {
		Found       bool      `json:"found"`
		SeqNo       int       `json:"_seq_no"`
		PrimaryTerm int       `json:"_primary_term"`
		Source      LeaseInfo `json:"_source"`
	}
	err := c.call(ctx, esapi.GetRequest{Index: c.CoordinationIndex(), DocumentID: leaseDocID}, &ans)
	var esErr *esError
	if errors.As(err, &esErr) && esErr.Status == http.StatusNotFound {
		return LeaseInfo{}, 0, 0, false, nil // a GET of a missing document answers 404 with found:false
	}
	if err != nil {
		return LeaseInfo{}, 0, 0, false, fmt.Errorf("read the load lease: %w", err)
	}
	return ans.Source, ans.SeqNo, ans.PrimaryTerm, ans.Found, nil
}

func (c *Client) deleteLease(ctx context.Context, seqNo, term int) error {
	err := c.call(ctx, esapi.DeleteRequest{Index: c.CoordinationIndex(), DocumentID: leaseDocID, IfSeqNo: &seqNo, IfPrimaryTerm: &term}, nil)
	var esErr *esError
	if errors.As(err, &esErr) && (esErr.Status == http.StatusConflict || esErr.Status == http.StatusNotFound) {
		return nil // someone else got there first; the next create decides
	}
	return err
}

// ensureCoordinationIndex creates the coordination index with its own
// settings before the lease document is written: created implicitly by
// that write, it would get Elasticsearch's default of one replica, which a
// single node (the dev stack, the prod stack's one Elasticsearch task) can
// never place, and the cluster would stay yellow. Best effort: the lease
// works either way, and the write after it reports a real problem.
func (c *Client) ensureCoordinationIndex(ctx context.Context) {
	_, _ = c.createCoordinationIndex(ctx)
}

// createCoordinationIndex creates the coordination index, or reports that
// it exists.
func (c *Client) createCoordinationIndex(ctx context.Context) (existed bool, err error) {
	body := strings.NewReader(`{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false}}`)
	err = c.call(ctx, esapi.IndicesCreateRequest{Index: c.CoordinationIndex(), Body: body}, nil)
	var esErr *esError
	if errors.As(err, &esErr) && esErr.Type == "resource_already_exists_exception" {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", c.CoordinationIndex(), err)
	}
	return false, nil
}

// Renew extends the lease by its ttl from now; it fails with ErrLeaseLost
// when the lease is no longer ours.
func (l *Lease) Renew(ctx context.Context) error {
	now := l.c.now().UTC()
	body, err := jsonBody(LeaseInfo{Holder: l.holder, Acquired: now, Expires: now.Add(l.ttl)})
	if err != nil {
		return err
	}
	var ans struct {
		SeqNo       int `json:"_seq_no"`
		PrimaryTerm int `json:"_primary_term"`
	}
	seqNo, term := l.seqNo, l.primaryTerm
	err = l.c.call(ctx, esapi.IndexRequest{Index: l.c.CoordinationIndex(), DocumentID: leaseDocID, Body: body, IfSeqNo: &seqNo, IfPrimaryTerm: &term}, &ans)
	var esErr *esError
	if errors.As(err, &esErr) && (esErr.Status == http.StatusConflict || esErr.Status == http.StatusNotFound) {
		return fmt.Errorf("%w: %w", ErrLeaseLost, err)
	}
	if err != nil {
		return fmt.Errorf("renew the load lease: %w", err)
	}
	l.seqNo, l.primaryTerm = ans.SeqNo, ans.PrimaryTerm
	return nil
}

// Release gives the lease up; a lease already taken over is left alone.
func (l *Lease) Release(ctx context.Context) error {
	return l.c.deleteLease(ctx, l.seqNo, l.primaryTerm)
}

// Lease reports the stored lease, if any (for /api/stats and tests).
func (c *Client) Lease(ctx context.Context) (LeaseInfo, bool, error) {
	info, _, _, found, err := c.readLease(ctx)
	return info, found, err
}
