package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, target string, headers ...string) *http.Response {
	t.Helper()
	return do(t, h, http.MethodGet, target, headers...)
}

func do(t *testing.T, h http.Handler, method, target string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var localRef = regexp.MustCompile(`(?:src|href|data-marker-[a-z0-9-]+)="([^"#?:]+\.[a-z0-9]+)"`)

// The embedded index must name every asset by a fingerprint that is the
// hash of exactly the bytes served under it, and those names must be cached
// for a year while the index itself is revalidated.
func TestEmbeddedIndexNamesAssetsByContentHash(t *testing.T) {
	h := Handler(Options{})
	res := get(t, h, "/")
	index := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q, want no-cache", got)
	}
	if res.Header.Get("ETag") == "" {
		t.Error("index has no ETag, so revalidation would always resend it")
	}

	refs := localRef.FindAllSubmatch(index, -1)
	if len(refs) < 7 { // favicon, 2 stylesheets, 2 scripts, 3 marker images
		t.Fatalf("index names %d local files, want at least 7:\n%s", len(refs), index)
	}
	fingerprint := regexp.MustCompile(`\.([0-9a-f]{10})\.[a-z0-9]+$`)
	for _, ref := range refs {
		name := string(ref[1])
		m := fingerprint.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("index names %q without a fingerprint", name)
			continue
		}
		res := get(t, h, "/"+name)
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /%s = %d", name, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s Cache-Control = %q", name, got)
		}
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:])[:10]; got != m[1] {
			t.Errorf("%s: fingerprint %s, but the served bytes hash to %s", name, m[1], got)
		}
	}
}

// Leaflet's stylesheet names its images relatively; after fingerprinting
// those references must still land on served files.
func TestStylesheetImageReferencesAreFingerprinted(t *testing.T) {
	h := Handler(Options{})
	css := readBody(t, get(t, h, "/vendor/leaflet/leaflet.css"))
	urls := regexp.MustCompile(`url\((images/[^)]+)\)`).FindAllSubmatch(css, -1)
	if len(urls) == 0 {
		t.Fatal("leaflet.css names no images; the test no longer checks anything")
	}
	for _, u := range urls {
		name := "/vendor/leaflet/" + string(u[1])
		if !regexp.MustCompile(`\.[0-9a-f]{10}\.png$`).MatchString(name) {
			t.Errorf("leaflet.css names %s without a fingerprint", name)
		}
		if res := get(t, h, name); res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/png") {
			t.Errorf("GET %s = %d %s", name, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestCacheHeaders(t *testing.T) {
	h := Handler(Options{})
	index := readBody(t, get(t, h, "/"))
	appJS := regexp.MustCompile(`src="(app\.[0-9a-f]{10}\.js)"`).FindSubmatch(index)
	if appJS == nil {
		t.Fatal("index does not load app.js by a fingerprinted name")
	}
	tests := []struct {
		path, cache string
	}{
		{"/", "no-cache"},
		{"/app.js", "no-cache"}, // plain names may change with a deploy
		{"/" + string(appJS[1]), "public, max-age=31536000, immutable"},
		{"/vendor/leaflet/LICENSE", "no-cache"},
	}
	for _, tt := range tests {
		res := get(t, h, tt.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", tt.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control = %q, want %q", tt.path, got, tt.cache)
		}
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	h := Handler(Options{})
	for _, p := range []string{
		"/nope",
		"/app.0000000000.js", // a fingerprint of no current file: never serve other bytes under it
		"/vendor/",
		"/vendor/leaflet",
		"/static/index.html",
		"/ui.go",
		"/app.js/",
		"/search.html",
	} {
		if res := get(t, h, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
}

func TestIndexHTMLRedirectsToRoot(t *testing.T) {
	res := get(t, Handler(Options{}), "/index.html?q=tacos")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/?q=tacos" {
		t.Errorf("GET /index.html?q=tacos = %d Location %q, want 301 to /?q=tacos", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestGzip(t *testing.T) {
	h := Handler(Options{})
	plain := readBody(t, get(t, h, "/vendor/leaflet/leaflet.js"))
	tests := []struct {
		name, path, acceptEncoding string
		wantGzip                   bool
	}{
		{"browser accepts gzip", "/vendor/leaflet/leaflet.js", "gzip, deflate, br, zstd", true},
		{"gzip with weight", "/app.css", "br;q=1.0, gzip;q=0.8", true},
		{"wildcard", "/", "*", true},
		{"no header", "/vendor/leaflet/leaflet.js", "", false},
		{"gzip refused", "/vendor/leaflet/leaflet.js", "gzip;q=0, br", false},
		{"only other codings", "/app.js", "br, zstd", false},
		{"png is already compressed", "/vendor/leaflet/images/marker-icon.png", "gzip", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, h, tt.path, "Accept-Encoding", tt.acceptEncoding)
			body := readBody(t, res)
			gotGzip := res.Header.Get("Content-Encoding") == "gzip"
			if gotGzip != tt.wantGzip {
				t.Fatalf("Accept-Encoding %q: Content-Encoding = %q", tt.acceptEncoding, res.Header.Get("Content-Encoding"))
			}
			if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length %s for %d bytes", res.Header.Get("Content-Length"), len(body))
			}
			if strings.HasSuffix(tt.path, ".png") {
				return
			}
			if res.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q; caches would mix the encodings", res.Header.Get("Vary"))
			}
			if gotGzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				decoded, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				identity := readBody(t, get(t, h, tt.path))
				if !bytes.Equal(decoded, identity) {
					t.Error("gzip body does not decode to the identity body")
				}
				if len(body) >= len(identity) {
					t.Errorf("gzip is %d bytes for %d plain", len(body), len(identity))
				}
			}
		})
	}
	if len(plain) < 100_000 {
		t.Errorf("leaflet.js is only %d bytes; is the vendored copy complete?", len(plain))
	}
}

func TestConditionalRequests(t *testing.T) {
	h := Handler(Options{})
	first := get(t, h, "/app.js", "Accept-Encoding", "gzip")
	gzTag := first.Header.Get("ETag")
	identityTag := get(t, h, "/app.js").Header.Get("ETag")
	if gzTag == "" || gzTag == identityTag {
		t.Fatalf("gzip ETag %q, identity ETag %q: the two representations need distinct tags", gzTag, identityTag)
	}
	tests := []struct {
		name, ifNoneMatch, acceptEncoding string
		want                              int
	}{
		{"same gzip tag", gzTag, "gzip", http.StatusNotModified},
		{"same identity tag", identityTag, "", http.StatusNotModified},
		{"tag in a list", `"x", ` + gzTag, "gzip", http.StatusNotModified},
		{"weak form of the tag", "W/" + gzTag, "gzip", http.StatusNotModified},
		{"identity tag for the gzip body", identityTag, "gzip", http.StatusOK},
		{"stale tag", `"0123"`, "gzip", http.StatusOK},
	}
	for _, tt := range tests {
		res := get(t, h, "/app.js", "If-None-Match", tt.ifNoneMatch, "Accept-Encoding", tt.acceptEncoding)
		body := readBody(t, res)
		if res.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.want)
		}
		if res.StatusCode == http.StatusNotModified && len(body) != 0 {
			t.Errorf("%s: 304 carries %d body bytes", tt.name, len(body))
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler(Options{})
	head := do(t, h, http.MethodHead, "/app.css")
	if body := readBody(t, head); head.StatusCode != http.StatusOK || len(body) != 0 || head.Header.Get("Content-Length") == "0" {
		t.Errorf("HEAD /app.css = %d, %d body bytes, Content-Length %q", head.StatusCode, len(body), head.Header.Get("Content-Length"))
	}
	post := do(t, h, http.MethodPost, "/")
	if post.StatusCode != http.StatusMethodNotAllowed || post.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST / = %d Allow %q, want 405 with Allow", post.StatusCode, post.Header.Get("Allow"))
	}
}

func TestNewSiteRejectsBrokenTrees(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no index", fstest.MapFS{"app.js": {Data: []byte("x")}}, "no index.html"},
		{
			"index names a missing script",
			fstest.MapFS{"index.html": {Data: []byte(`<script src="gone.js"></script>`)}},
			"gone.js",
		},
		{
			"stylesheet names a missing image",
			fstest.MapFS{
				"index.html":   {Data: []byte(`<link rel="stylesheet" href="css/site.css">`)},
				"css/site.css": {Data: []byte(`a { background: url("../img/missing.png") }`)},
			},
			"../img/missing.png",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSite(tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newSite error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestNewSiteRewritesOnlyLocalFiles(t *testing.T) {
	s, err := newSite(fstest.MapFS{
		"index.html": {Data: []byte(`<a href="/?q=tacos">t</a><a href="#main">m</a>` +
			`<a href="https://www.openstreetmap.org/copyright">osm</a><link href="/css/site.css">` +
			`<img src="data:image/png;base64,AAAA">`)},
		"css/site.css": {Data: []byte(`a { background: url('../img/dot.png') } b { behavior: url(#default#VML) }`)},
		"img/dot.png":  {Data: []byte("png")},
	})
	if err != nil {
		t.Fatal(err)
	}
	index := string(readBody(t, get(t, s, "/")))
	for _, kept := range []string{`href="/?q=tacos"`, `href="#main"`, `href="https://www.openstreetmap.org/copyright"`, `src="data:image/png;base64,AAAA"`} {
		if !strings.Contains(index, kept) {
			t.Errorf("index lost %s:\n%s", kept, index)
		}
	}
	cssName := regexp.MustCompile(`href="/css/(site\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(index)
	if cssName == nil {
		t.Fatalf("absolute stylesheet reference not fingerprinted:\n%s", index)
	}
	css := string(readBody(t, get(t, s, "/css/"+cssName[1])))
	if !regexp.MustCompile(`url\('\.\./img/dot\.[0-9a-f]{10}\.png'\)`).MatchString(css) || !strings.Contains(css, "url(#default#VML)") {
		t.Errorf("stylesheet rewritten wrongly:\n%s", css)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDevelopmentModeReadsEditsFromDisk(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "index.html"), `<script src="app.js"></script>`)
	writeFile(t, filepath.Join(dir, "app.js"), "console.log(1)")
	h := Handler(Options{Dir: dir})

	res := get(t, h, "/")
	if body := string(readBody(t, res)); body != `<script src="app.js"></script>` {
		t.Errorf("dev index = %q; references must stay unfingerprinted", body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("dev Cache-Control = %q, want no-store", res.Header.Get("Cache-Control"))
	}
	if got := string(readBody(t, get(t, h, "/app.js"))); got != "console.log(1)" {
		t.Fatalf("GET /app.js = %q", got)
	}
	writeFile(t, filepath.Join(dir, "app.js"), "console.log(2)")
	res = get(t, h, "/app.js")
	if got := string(readBody(t, res)); got != "console.log(2)" {
		t.Errorf("after an edit GET /app.js = %q, want the edited file", got)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestDevelopmentModeStaysInsideDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "static")
	writeFile(t, filepath.Join(dir, "index.html"), "ok")
	writeFile(t, filepath.Join(parent, "secret.txt"), "secret")
	if err := os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	h := Handler(Options{Dir: dir})
	for _, p := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/link.txt", "/missing.js", "/sub/"} {
		res := get(t, h, p)
		body := readBody(t, res)
		if res.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("secret")) {
			t.Errorf("GET %s = %d %q, want 404", p, res.StatusCode, body)
		}
	}
}

func TestDevelopmentModeWithWrongDirSaysSo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	res := get(t, Handler(Options{Dir: dir}), "/")
	body := string(readBody(t, res))
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "has no index.html") {
		t.Errorf("GET / with a missing dir = %d %q", res.StatusCode, body)
	}
}

func TestVendoredLeafletKeepsItsLicence(t *testing.T) {
	res := get(t, Handler(Options{}), "/"+path.Join("vendor/leaflet/LICENSE"))
	if body := readBody(t, res); res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("BSD 2-Clause")) {
		t.Errorf("GET vendor/leaflet/LICENSE = %d, want Leaflet's BSD licence", res.StatusCode)
	}
}

// BenchmarkNewSite is the start-up cost of the embedded UI: hashing,
// reference rewriting and gzip at the best level, once per process.
func BenchmarkNewSite(b *testing.B) {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := newSite(sub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeCompressedAsset is one request for the largest asset,
// served from the precompressed copy.
func BenchmarkServeCompressedAsset(b *testing.B) {
	h := Handler(Options{})
	req := httptest.NewRequest(http.MethodGet, "/vendor/leaflet/leaflet.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
