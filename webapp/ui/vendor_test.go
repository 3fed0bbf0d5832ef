package ui

import (
	"crypto/sha256"
	"fmt"
	"os"
	"regexp"
	"testing"
)

// README.md records the vendored Leaflet version twice (the "Currently" line
// and the update script's VERSION=), and the dependency-update bot bumps those
// lines only. This test ties them to the files actually vendored: leaflet.js
// names its own version in its opening comment. A bumped record without newly
// vendored files, or new files without the record, fails here.
func TestVendoredLeafletMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("static/vendor/leaflet/leaflet.js")
	if err != nil {
		t.Fatal(err)
	}
	head := js[:min(len(js), 512)]

	found := func(what string, re *regexp.Regexp, text []byte) string {
		t.Helper()
		m := re.FindSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no version found (pattern %s)", what, re)
		}
		return string(m[1])
	}
	vendored := found("leaflet.js opening comment", regexp.MustCompile(`\* Leaflet (\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?),`), head)
	recorded := found("README.md Currently line", regexp.MustCompile(`Currently: \*\*([^*]+)\*\*`), readme)
	script := found("README.md update script", regexp.MustCompile(`(?m)^VERSION=(\S+)$`), readme)

	if recorded != vendored || script != vendored {
		t.Errorf("README.md records Leaflet %s (script: VERSION=%s) but static/vendor/leaflet/leaflet.js is %s: vendor the files as README.md, \"Updating Leaflet\", describes", recorded, script, vendored)
	}
}

// The plugin's minified file names no version, so README.md records, beside
// the version, the SHA-256 of the vendored leaflet.markercluster.js and the
// release it came from. The update bot bumps the "Vendored release" line and
// the script's MC_VERSION= only; until the files are vendored and the checksum line
// names the new release, this test fails.
func TestVendoredMarkerClusterMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("static/vendor/leaflet.markercluster/leaflet.markercluster.js")
	if err != nil {
		t.Fatal(err)
	}
	found := func(what string, re *regexp.Regexp) []string {
		t.Helper()
		m := re.FindSubmatch(readme)
		if m == nil {
			t.Fatalf("README.md has no %s (pattern %s)", what, re)
		}
		out := make([]string, len(m)-1)
		for i, s := range m[1:] {
			out[i] = string(s)
		}
		return out
	}
	recorded := found("Leaflet.markercluster release line", regexp.MustCompile(`Vendored release: \*\*([^*]+)\*\*`))[0]
	script := found("Leaflet.markercluster update script", regexp.MustCompile(`(?m)^MC_VERSION=(\S+)$`))[0]
	sum := found("Leaflet.markercluster checksum line", regexp.MustCompile("`leaflet\\.markercluster\\.js` of ([^ ]+): sha256\\s+([0-9a-f]{64})"))

	if recorded != script || recorded != sum[0] {
		t.Errorf("README.md records Leaflet.markercluster %s (script: MC_VERSION=%s) but its checksum line is of %s: vendor the files as README.md, \"Updating Leaflet.markercluster\", describes", recorded, script, sum[0])
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(js)); got != sum[1] {
		t.Errorf("static/vendor/leaflet.markercluster/leaflet.markercluster.js has sha256 %s; README.md records %s for %s", got, sum[1], sum[0])
	}
}
