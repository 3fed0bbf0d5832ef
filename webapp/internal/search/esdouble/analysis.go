package esdouble

import (
	"strings"
	"unicode"
)

// maxTokenLength is the standard tokenizer's default max_token_length:
// longer words are split at this many characters.
const maxTokenLength = 255

// analyze turns text into terms the way the named built-in analyser does,
// close enough for the app's data: the standard analyser splits on Unicode
// word boundaries (letters and digits, keeping an apostrophe or a dot
// between letters or digits inside a word) and lower-cases.
func analyze(analyzer, s string) []string {
	switch analyzer {
	case "keyword":
		return []string{s}
	case "whitespace":
		return strings.Fields(s)
	case "simple":
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	}
	return standardTokens(s)
}

func standardTokens(s string) []string {
	var out []string
	runes := []rune(s)
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) }
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		word := []rune(strings.ToLower(string(runes[start:end])))
		for len(word) > maxTokenLength {
			out = append(out, string(word[:maxTokenLength]))
			word = word[maxTokenLength:]
		}
		if len(word) > 0 {
			out = append(out, string(word))
		}
		start = -1
	}
	for i, r := range runes {
		switch {
		case isWord(r):
			if start < 0 {
				start = i
			}
		case (r == '\'' || r == '.' || r == '’') && start >= 0 && i+1 < len(runes) && isWord(runes[i+1]):
			// inside a word: "don't", "3.5"
		default:
			flush(i)
		}
	}
	flush(len(runes))
	return out
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment: transpositions count as one edit, as Lucene's fuzzy query does
// with transpositions on), counted in code points. It stops early and
// returns max+1 when the distance exceeds max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
