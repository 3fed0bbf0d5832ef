package ui

import (
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
