package ui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// diskHandler is development mode: every request reads the file from disk,
// under its plain name, and tells the browser not to keep it, so an edit
// shows on the next reload. No fingerprints, no compression.
type diskHandler struct {
	dir string
}

func (d diskHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = indexFile
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	// OpenInRoot refuses names that escape dir, symlinks included.
	f, err := os.OpenInRoot(d.dir, name)
	if err != nil {
		if name == indexFile {
			// A wrong Dir is a set-up mistake; say so instead of a bare 404.
			http.Error(w, fmt.Sprintf("development UI directory %q has no %s", d.dir, indexFile), http.StatusInternalServerError)
			return
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeOf(name))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}
