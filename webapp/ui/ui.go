// Package ui serves the browser front end: a map of San Francisco with a
// search box. The files are embedded in the binary; in development mode they
// are read from disk on every request so edits show on reload.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var embedded embed.FS

// Options configures the UI handler.
type Options struct {
	// Dir, when set, serves the UI from this directory on disk instead of the
	// embedded copy (development mode).
	Dir string
}

// Handler serves the UI under "/".
func Handler(o Options) http.Handler {
	if o.Dir != "" {
		return http.FileServer(http.Dir(o.Dir))
	}
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServerFS(sub)
}
