package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/gzipped"
)

// failure is the body of every error answer, the original app's shape.
type failure struct {
	Status string `json:"status"` // always "failure"
	Msg    string `json:"msg"`
}

// errEncode is an answer JSON cannot hold (a NaN distance): a fault of
// ours, answered 500.
var errEncode = errors.New("could not encode the answer")

// encode writes v as JSON with status. It encodes before writing, so an
// encoding failure still yields a proper 500 instead of half a body.
func encode(w http.ResponseWriter, status int, v any) {
	body, err := encodeBytes(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"status":"failure","msg":"internal error: could not encode the answer"}`+"\n")
	}
	writeJSON(w, status, body)
}

func fail(w http.ResponseWriter, status int, msg string) {
	encode(w, status, failure{Status: "failure", Msg: msg})
}

// encodeBytes is v as the API writes it: JSON without HTML escaping
// (schedule URLs keep their '&'; nosniff and the JSON type keep browsers
// from reading it as HTML), one line.
func encodeBytes(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.Join(errEncode, err)
	}
	return buf.Bytes(), nil
}

// answer is a search's JSON and its gzip form (nil when compressing does
// not make it smaller), made once when the answer is, so a cached answer is
// sent to every client without compressing again.
type answer struct{ json, gzipped []byte }

// size is what the answer holds in memory, for the cache's bound.
func (a answer) size() int { return len(a.json) + len(a.gzipped) }

// writeAnswer sends a successful search answer, gzip-compressed when the
// client accepts it. Vary tells caches in between that the body depends on
// Accept-Encoding.
func writeAnswer(w http.ResponseWriter, r *http.Request, a answer) {
	h := w.Header()
	body := a.json
	if a.gzipped != nil {
		h.Set("Vary", "Accept-Encoding")
		if gzipped.Accepted(r.Header.Get("Accept-Encoding")) {
			body = a.gzipped
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	writeJSON(w, http.StatusOK, body)
}

// writeJSON writes an encoded JSON answer.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
