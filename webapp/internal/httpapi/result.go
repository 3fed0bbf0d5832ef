package httpapi

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// resultBufs holds the buffers search answers are encoded into.
var resultBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// resultBody encodes res, a search answer, after dst.
func resultBody(dst []byte, res foodtrucks.SearchResult) ([]byte, error) {
	if b, ok := appendResult(dst, res); ok {
		return b, nil
	}
	return encodeBytes(res) // fails, saying why
}

// appendResult appends res as JSON, byte for byte what encode writes
// (encoding/json without HTML escaping, then a newline), without
// reflection: on an uncached search, encoding the answer by reflection was a
// sixth of the app's CPU (bench-search). It reports false, with dst
// unchanged, for a value JSON cannot hold (a NaN or infinite distance);
// the caller then encodes with encoding/json, which says what is wrong.
// result_test.go compares it with encoding/json on the city's data and on
// hostile strings.
func appendResult(dst []byte, res foodtrucks.SearchResult) ([]byte, bool) {
	b := append(dst, `{"trucks":`...)
	if res.Trucks == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, t := range res.Trucks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, t.Name)
			b = append(b, `,"fooditems":`...)
			if t.FoodItems == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j, item := range t.FoodItems {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendString(b, item)
				}
				b = append(b, ']')
			}
			b = append(b, `,"branches":`...)
			if t.Branches == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j, br := range t.Branches {
					if j > 0 {
						b = append(b, ',')
					}
					var ok bool
					if b, ok = appendBranch(b, br); !ok {
						return dst, false
					}
				}
				b = append(b, ']')
			}
			b = append(b, `,"drinks":`...)
			b = strconv.AppendBool(b, t.Drinks)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"hits":`...)
	b = strconv.AppendInt(b, int64(res.Hits), 10)
	b = append(b, `,"locations":`...)
	b = strconv.AppendInt(b, int64(res.Locations), 10)
	b = append(b, `,"status":`...)
	b = appendString(b, res.Status)
	return append(b, "}\n"...), true
}

func appendBranch(b []byte, br foodtrucks.Branch) ([]byte, bool) {
	b = append(b, `{"hours":`...)
	b = appendString(b, br.Hours)
	b = append(b, `,"schedule":`...)
	b = appendString(b, br.Schedule)
	b = append(b, `,"address":`...)
	b = appendString(b, br.Address)
	b = append(b, `,"location":{"latitude":`...)
	var ok bool
	if b, ok = appendFloat(b, br.Location.Latitude); !ok {
		return b, false
	}
	b = append(b, `,"longitude":`...)
	if b, ok = appendFloat(b, br.Location.Longitude); !ok {
		return b, false
	}
	b = append(b, '}')
	if br.DistanceMeters != nil {
		b = append(b, `,"distance":`...)
		if b, ok = appendFloat(b, *br.DistanceMeters); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendFloat formats f as encoding/json does: the shortest representation,
// in exponent form only below 1e-6 or from 1e21, with a one-digit negative
// exponent ("1e-7", not "1e-07").
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped (JavaScript would end a line there).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
