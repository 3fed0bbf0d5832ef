package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// esError is an error answer from Elasticsearch:
//
//	{"error":{"root_cause":[{"type":...,"reason":...}],"type":...,"reason":...},"status":N}
//
// or whatever a proxy in front of it said instead.
type esError struct {
	Status    int
	Type      string
	Reason    string
	RootCause string // "type: reason" of the first root cause, when it says more than Reason
}

func (e *esError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "elasticsearch answered %d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if e.RootCause != "" {
		b.WriteString(" (root cause " + e.RootCause + ")")
	}
	return b.String()
}

// errorCause is the "error" object of an error answer, and the error of one
// bulk item.
type errorCause struct {
	Type      string       `json:"type"`
	Reason    string       `json:"reason"`
	RootCause []errorCause `json:"root_cause"`
}

// maxErrorBody bounds what is read of an error answer: enough for any
// Elasticsearch error, not a whole HTML page from a proxy.
const maxErrorBody = 64 << 10

// responseError reads an error answer. The HTTP status is the truth; the
// body adds type and reason when it has Elasticsearch's shape, and its
// first line otherwise.
func responseError(status int, body io.Reader) *esError {
	e := &esError{Status: status}
	if body == nil {
		return e
	}
	raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	var shape struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &shape) == nil && len(shape.Error) > 0 {
		var cause errorCause
		if json.Unmarshal(shape.Error, &cause) == nil {
			e.Type, e.Reason = cause.Type, cause.Reason
			if len(cause.RootCause) > 0 {
				rc := cause.RootCause[0]
				if rc.Type != cause.Type || rc.Reason != cause.Reason {
					e.RootCause = rc.Type + ": " + rc.Reason
				}
			}
			return e
		}
		// Some errors are a bare string: {"error":"no handler found ...","status":400}.
		var text string
		if json.Unmarshal(shape.Error, &text) == nil {
			e.Reason = text
			return e
		}
	}
	line, _, _ := bytes.Cut(bytes.TrimSpace(raw), []byte("\n"))
	const maxLine = 200
	if len(line) > maxLine {
		line = append(line[:maxLine:maxLine], "..."...)
	}
	e.Reason = string(line)
	return e
}

// call sends req and decodes a successful JSON answer into out (nil: the
// answer is not needed). esapi hands back every status as a response; here
// anything outside 2xx becomes an *esError. The body is always closed, and
// the returned error is already classified.
func (c *Client) call(ctx context.Context, req esapi.Request, out any) error {
	ctx, cancel := bounded(ctx, req)
	defer cancel()
	res, err := req.Do(ctx, c.transport)
	if err != nil {
		return classify(err)
	}
	defer closeBody(res.Body)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return classify(responseError(res.StatusCode, res.Body))
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			err = fmt.Errorf("decode answer: %w", err)
			var mismatch *json.UnmarshalTypeError
			if errors.As(err, &mismatch) {
				// A complete answer with a field of the wrong type (a
				// document indexed by someone else): not an outage.
				return err
			}
			// A cut-off answer: the engine went away mid-reply.
			return classify(err)
		}
	}
	return nil
}

// closeBody drains what is left of a small body before closing it, so the
// connection goes back to the pool instead of being torn down.
func closeBody(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxErrorBody))
	_ = body.Close()
}

// classify maps transport and server failures to ErrUnavailable and a
// missing index to ErrNotLoaded, keeping the cause in the chain for logs
// and errors.As.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var esErr *esError
	if errors.As(err, &esErr) {
		if esErr.Status == http.StatusNotFound && esErr.Type == "index_not_found_exception" {
			return fmt.Errorf("%w: %w", ErrNotLoaded, err)
		}
		if esErr.Status >= 500 || esErr.Status == http.StatusTooManyRequests ||
			esErr.Type == "index_closed_exception" { // an operator closed it: /readyz says what to do
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	// Connection refused, reset, timeouts, a cut-off answer, a failed
	// product check: all mean the engine cannot serve us right now. The
	// cause stays inspectable: a deadline is the caller's budget, not the
	// engine's state.
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
