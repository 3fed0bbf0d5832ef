package stack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// docsLineLimit is the widest line of prose the documentation keeps.
const docsLineLimit = 100

// Every README's prose fits in 100 columns (runes). Code blocks and table
// rows (fenced or indented) are skipped, since their width is their
// content's, as are HTML
// comments (the generated table's markers) and a line that is one token
// (a long URL or code span) with nowhere to break.
func TestDocumentationLinesFitIn100Columns(t *testing.T) {
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "README.md", "*/README.md").Output()
	if err != nil {
		t.Skipf("no git checkout to list the READMEs: %v", err)
	}
	files := strings.Fields(string(out))
	if len(files) < 3 {
		t.Fatalf("found only %v; want at least README.md, infra/README.md and webapp/README.md", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range overlongLines(string(b)) {
			t.Errorf("%s:%d is %d characters, over %d: %.60s…", f, bad.n, bad.width, docsLineLimit, bad.text)
		}
	}
}

type overlong struct {
	n, width int
	text     string
}

func overlongLines(doc string) []overlong {
	var bad []overlong
	code, indented, prev := false, false, ""
	for i, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			code = !code
			continue
		}
		// An indented code block: four spaces after a blank line, and on.
		indented = strings.HasPrefix(line, "    ") && (indented || strings.TrimSpace(prev) == "")
		prev = line
		if indented {
			continue
		}
		width := utf8.RuneCountInString(line)
		if code || width <= docsLineLimit || strings.HasPrefix(trimmed, "|") || strings.HasPrefix(trimmed, "<!--") {
			continue
		}
		if len(strings.Fields(strings.TrimLeft(trimmed, "-* "))) <= 1 {
			continue // one token: nowhere to break
		}
		bad = append(bad, overlong{i + 1, width, trimmed})
	}
	return bad
}

// The check itself, on planted lines: an over-long sentence is found, and
// what it skips is skipped.
func TestOverlongLinesFindsProseOnly(t *testing.T) {
	long := strings.Repeat("word ", 25)
	doc := "# T\n" + long + "\n```\n" + long + "\n```\n| " + long + "|\n<!-- " + long + " -->\n  " +
		strings.Repeat("x", 120) + "\nshort\n- " + long + "\n\n    " + long + "\n"
	got := overlongLines(doc)
	if len(got) != 2 || got[0].n != 2 || got[1].n != 10 {
		t.Errorf("overlongLines found %+v, want lines 2 and 10 (the prose and the list item, not the indented code)", got)
	}
}
