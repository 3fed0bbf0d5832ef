// Package ui serves the browser front end: a map of San Francisco with a
// search box. The files are embedded in the binary; in development mode they
// are read from disk on every request so edits show on reload.
//
// Embedded assets are served under fingerprinted names (app.3f9c2a1b7d.js)
// with a year-long immutable cache lifetime; index.html, which names them, is
// revalidated on every visit. Text assets are gzip-compressed once at start.
package ui

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
)

//go:embed static
var embedded embed.FS

// Options configures the UI handler.
type Options struct {
	// Dir, when set, serves the UI from this directory on disk instead of the
	// embedded copy (development mode). It is the directory holding
	// index.html, i.e. webapp/ui/static in the source tree.
	Dir string
}

// Handler serves the UI under "/". Paths it does not know answer 404.
func Handler(o Options) http.Handler {
	if o.Dir != "" {
		return diskHandler{dir: o.Dir}
	}
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	s, err := newSite(sub)
	if err != nil {
		// Only a broken embedded tree gets here, and the package tests build
		// the same tree, so this cannot surface first in production.
		panic(fmt.Sprintf("ui: embedded assets: %v", err))
	}
	return s
}
