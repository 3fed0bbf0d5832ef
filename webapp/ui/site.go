package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/gzipped"
)

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	// Unfingerprinted names (index.html above all) may change with any
	// deploy, so browsers must ask again; the ETag keeps that cheap.
	cacheRevalidate = "no-cache"
	indexFile       = "index.html"
	fingerprintLen  = 10
)

// asset is one file ready to serve: its bytes after reference rewriting, and
// a gzip copy when that is worth sending.
type asset struct {
	name        string // path inside the tree, e.g. "vendor/leaflet/leaflet.css"
	contentType string
	body        []byte
	gzipped     []byte // nil when compression does not pay
	etag        string // strong ETag of body; the gzip variant appends "-gz"
	cache       string
}

// site serves the embedded UI.
type site struct {
	byPath map[string]*asset // "/app.css", "/app.3f9c2a1b7d.css", "/" …
}

// newSite reads every file of fsys, fingerprints the assets, rewrites the
// references in stylesheets and in index.html to the fingerprinted names and
// compresses text. Files are processed in dependency order: stylesheets may
// name images and fonts, index.html may name anything, nothing else names
// other files.
func newSite(fsys fs.FS) (*site, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files[name] = body
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := files[indexFile]; !ok {
		return nil, fmt.Errorf("no %s", indexFile)
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)

	fingerprinted := map[string]string{} // tree path → fingerprinted tree path
	s := &site{byPath: map[string]*asset{}}
	add := func(name string, body []byte) {
		sum := sha256.Sum256(body)
		a := &asset{
			name:        name,
			contentType: contentTypeOf(name),
			body:        body,
			etag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
			cache:       cacheRevalidate,
		}
		a.gzipped = compress(a)
		s.byPath["/"+name] = a
		if name == indexFile {
			return
		}
		immutable := *a
		immutable.cache = cacheImmutable
		fp := withFingerprint(name, hex.EncodeToString(sum[:])[:fingerprintLen])
		fingerprinted[name] = fp
		s.byPath["/"+fp] = &immutable
	}

	for _, name := range names {
		if !isStylesheet(name) && name != indexFile {
			add(name, files[name])
		}
	}
	for _, name := range names {
		if isStylesheet(name) {
			body, err := rewriteRefs(name, files[name], cssRef, fingerprinted)
			if err != nil {
				return nil, err
			}
			add(name, body)
		}
	}
	index, err := rewriteRefs(indexFile, files[indexFile], htmlRef, fingerprinted)
	if err != nil {
		return nil, err
	}
	add(indexFile, index)
	s.byPath["/"] = s.byPath["/"+indexFile]
	delete(s.byPath, "/"+indexFile)
	return s, nil
}

// withFingerprint puts the hash before the extension, so the served name
// keeps its type and stays in the same directory (relative references from
// a stylesheet to its images keep working).
func withFingerprint(name, sum string) string {
	dir, base := path.Split(name)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return dir + base[:i] + "." + sum + base[i:]
	}
	return dir + base + "." + sum
}

var (
	// url(images/marker-icon.png), url("a.woff2"), url('b.svg')
	cssRef = regexp.MustCompile(`url\(\s*(['"]?)([^'")\s]+)(['"]?)\s*\)`)
	// src="app.js", href="app.css", data-marker-icon="vendor/…/marker-icon.png"
	htmlRef = regexp.MustCompile(`\b(src|href|data-[a-z0-9-]+)="([^"]*)"`)
)

// rewriteRefs replaces every reference in body that names a file of the tree
// with its fingerprinted name. A src/href or url() that looks like a local
// file but names none is an error: it would be a broken page.
func rewriteRefs(from string, body []byte, ref *regexp.Regexp, fingerprinted map[string]string) ([]byte, error) {
	var missing []string
	out := ref.ReplaceAllFunc(body, func(match []byte) []byte {
		sub := ref.FindSubmatch(match)
		attr, value := string(sub[1]), string(sub[2])
		target, ok := localFile(from, value)
		if !ok {
			return match
		}
		fp, known := fingerprinted[target]
		if !known {
			if ref == cssRef || attr == "src" || attr == "href" {
				missing = append(missing, value)
			}
			return match
		}
		replaced := value[:strings.LastIndexByte(value, '/')+1] + path.Base(fp)
		return bytes.Replace(match, []byte(value), []byte(replaced), 1)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s names files that do not exist: %s", from, strings.Join(missing, ", "))
	}
	return out, nil
}

// localFile resolves a reference made in file from to a path in the tree.
// It reports false for anything that is not a plain file path: other
// origins, data: URLs, fragments, queries ("/?q=tacos") and directories.
func localFile(from, ref string) (string, bool) {
	if ref == "" || strings.ContainsAny(ref, ":?#") || strings.HasPrefix(ref, "//") || strings.HasSuffix(ref, "/") {
		return "", false
	}
	if strings.HasPrefix(ref, "/") {
		return strings.TrimPrefix(path.Clean(ref), "/"), true
	}
	return path.Join(path.Dir(from), ref), true
}

func isStylesheet(name string) bool { return path.Ext(name) == ".css" }

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/plain; charset=utf-8",
	"":      "text/plain; charset=utf-8", // LICENSE
}

func contentTypeOf(name string) string {
	if t, ok := contentTypes[path.Ext(name)]; ok {
		return t
	}
	return "application/octet-stream"
}

// compress returns the gzip form of a text asset, or nil for binary formats
// (already compressed) and for files too small to gain anything.
func compress(a *asset) []byte {
	text := strings.HasPrefix(a.contentType, "text/") || a.contentType == "image/svg+xml" || a.contentType == "application/json"
	if !text || len(a.body) < 512 {
		return nil
	}
	return gzipped.Compress(a.body, gzip.BestCompression)
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/"+indexFile {
		target := "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	a, ok := s.byPath[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	serveAsset(w, r, a)
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	body, etag := a.body, a.etag
	if a.gzipped != nil {
		h.Set("Vary", "Accept-Encoding")
		if gzipped.Accepted(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gzipped, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cache)
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func etagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	for candidate := range strings.SplitSeq(ifNoneMatch, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}
