package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// failure is the body of every error answer, the original app's shape.
type failure struct {
	Status string `json:"status"` // always "failure"
	Msg    string `json:"msg"`
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encode writes v as JSON with status. It encodes into a buffer first so an
// encoding failure still yields a proper 500 instead of half a body.
func encode(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // schedule URLs keep their '&'; nosniff and the JSON type keep browsers from reading it as HTML
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"status":"failure","msg":"internal error: could not encode the answer"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func fail(w http.ResponseWriter, status int, msg string) {
	encode(w, status, failure{Status: "failure", Msg: msg})
}

// encodeBytes is v as encode would write it, in a buffer of its own (the
// cache keeps it).
func encodeBytes(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON writes an encoded JSON answer with encode's headers.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
