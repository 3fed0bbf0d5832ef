// Package gzipped is what the UI's files and the API's answers share about
// gzip: whether a client accepts it, and compressing a whole body once so
// it can be sent again and again without compressing anew.
package gzipped

import (
	"bytes"
	"compress/gzip"
	"strings"
	"sync"
)

// Accepted reads an Accept-Encoding header: gzip (or "*") listed without
// q=0.
func Accepted(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// A gzip writer holds several hundred kilobytes of tables; one per answer
// would cost more than the compressing.
var writers [gzip.BestCompression + 1]sync.Pool

// Compress returns body gzip-compressed at level (gzip.DefaultCompression,
// or gzip.BestSpeed to gzip.BestCompression), or nil when that does not make
// it smaller.
func Compress(body []byte, level int) []byte {
	if level == gzip.DefaultCompression {
		level = 6 // what compress/flate means by it
	}
	if level < gzip.BestSpeed || level > gzip.BestCompression {
		panic("gzipped: level out of range")
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw, _ := writers[level].Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, level) // the level is valid
	} else {
		zw.Reset(&buf)
	}
	zw.Write(body) // writes to a bytes.Buffer do not fail
	zw.Close()
	writers[level].Put(zw)
	if buf.Len() >= len(body) {
		return nil
	}
	return buf.Bytes()
}
