package esdouble

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// matcher decides whether a document matches and how well.
type matcher func(d *doc) (bool, float64)

func parsingError(format string, args ...any) *esError {
	return &esError{status: 400, typ: "parsing_exception", reason: fmt.Sprintf(format, args...)}
}

func matchAll(*doc) (bool, float64) { return true, 1 }

// compileQuery builds a matcher for one query clause against an index's
// mapping. Query types the double does not know are refused as a real node
// refuses unknown ones.
func compileQuery(raw any, m mapping) (matcher, *esError) {
	obj, ok := raw.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, parsingError("query malformed, must start with start_object and contain exactly one query")
	}
	for kind, body := range obj {
		switch kind {
		case "match_all":
			return matchAll, nil
		case "bool":
			return compileBool(body, m)
		case "term":
			return compileTerm(body, m)
		case "match":
			return compileMatch(body, m)
		case "multi_match":
			return compileMultiMatch(body, m)
		case "geo_distance":
			return compileGeoDistance(body, m)
		default:
			return nil, &esError{status: 400, typ: "parsing_exception", reason: fmt.Sprintf("unknown query [%s]", kind),
				causedBy: "the test double implements match_all, bool, term, match, multi_match and geo_distance"}
		}
	}
	panic("unreachable")
}

func clauses(v any) []any {
	if arr, ok := v.([]any); ok {
		return arr
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func compileBool(body any, m mapping) (matcher, *esError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, parsingError("[bool] query malformed, no start_object after query name")
	}
	var must, filter, should, mustNot []matcher
	minShould := -1
	for k, v := range obj {
		var dst *[]matcher
		switch k {
		case "must":
			dst = &must
		case "filter":
			dst = &filter
		case "should":
			dst = &should
		case "must_not":
			dst = &mustNot
		case "minimum_should_match":
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return nil, parsingError("the double supports an integer minimum_should_match only, got [%v]", v)
			}
			minShould = n
			continue
		case "boost", "_name":
			continue
		default:
			return nil, parsingError("[bool] query does not support [%s]", k)
		}
		for _, c := range clauses(v) {
			mt, err := compileQuery(c, m)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, mt)
		}
	}
	if minShould < 0 {
		minShould = 0
		if len(must) == 0 && len(filter) == 0 && len(should) > 0 {
			minShould = 1
		}
	}
	return func(d *doc) (bool, float64) {
		score := 0.0
		for _, mt := range must {
			ok, s := mt(d)
			if !ok {
				return false, 0
			}
			score += s
		}
		for _, mt := range filter {
			if ok, _ := mt(d); !ok {
				return false, 0
			}
		}
		for _, mt := range mustNot {
			if ok, _ := mt(d); ok {
				return false, 0
			}
		}
		matched := 0
		for _, mt := range should {
			if ok, s := mt(d); ok {
				matched++
				score += s
			}
		}
		if matched < minShould {
			return false, 0
		}
		if len(must) == 0 && len(should) == 0 {
			score = 0 // filter context only: Elasticsearch scores these 0
		}
		return true, score
	}, nil
}

// fieldAndBody unpacks {"field": value} or {"field": {...}}.
func fieldAndBody(kind string, body any) (string, any, *esError) {
	obj, ok := body.(map[string]any)
	if !ok || len(obj) == 0 {
		return "", nil, parsingError("[%s] query malformed, no start_object after query name", kind)
	}
	if len(obj) > 1 {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "", nil, parsingError("[%s] query doesn't support multiple fields, found [%s] and [%s]", kind, keys[0], keys[1])
	}
	for f, v := range obj {
		return f, v, nil
	}
	panic("unreachable")
}

func compileTerm(body any, m mapping) (matcher, *esError) {
	field, v, err := fieldAndBody("term", body)
	if err != nil {
		return nil, err
	}
	value := v
	if obj, ok := v.(map[string]any); ok {
		value, ok = obj["value"]
		if !ok {
			return nil, parsingError("[term] query does not support [%s] without [value]", field)
		}
	}
	def, mapped := lookupField(m, field)
	if !mapped {
		return func(*doc) (bool, float64) { return false, 0 }, nil
	}
	want := fmt.Sprint(value)
	return func(d *doc) (bool, float64) {
		switch def.typ {
		case "keyword":
			for _, s := range d.kw[field] {
				if s == want {
					return true, 1
				}
			}
		case "text":
			for _, s := range d.text[field] {
				if s == want {
					return true, 1
				}
			}
		case "boolean":
			for _, b := range d.bools[field] {
				if strconv.FormatBool(b) == want {
					return true, 1
				}
			}
		case "long", "integer", "double", "float":
			f, err := strconv.ParseFloat(want, 64)
			if err != nil {
				return false, 0
			}
			for _, n := range d.nums[field] {
				if n == f {
					return true, 1
				}
			}
		}
		return false, 0
	}, nil
}

func lookupField(m mapping, name string) (fieldDef, bool) {
	if f, ok := m.fields[name]; ok {
		return f, true
	}
	if base, sub, ok := strings.Cut(name, "."); ok {
		if f, ok := m.fields[base]; ok {
			if s, ok := f.sub[sub]; ok {
				return s, true
			}
		}
	}
	return fieldDef{}, false
}

type textQuery struct {
	query     string
	fuzziness string
	operator  string
}

func parseTextQuery(kind string, obj map[string]any, allowed map[string]bool) (textQuery, *esError) {
	tq := textQuery{fuzziness: "0", operator: "or"}
	for k, v := range obj {
		switch k {
		case "query":
			tq.query = fmt.Sprint(v)
		case "fuzziness":
			tq.fuzziness = fmt.Sprint(v)
		case "operator":
			tq.operator = strings.ToLower(fmt.Sprint(v))
			if tq.operator != "or" && tq.operator != "and" {
				return tq, parsingError("[%s] query does not support operator [%v]", kind, v)
			}
		case "boost", "_name", "lenient", "analyzer":
		default:
			if !allowed[k] {
				return tq, parsingError("[%s] query does not support [%s]", kind, k)
			}
		}
	}
	if _, ok := obj["query"]; !ok {
		return tq, parsingError("No text specified for text query")
	}
	return tq, nil
}

var autoFuzz = regexp.MustCompile(`^(?i)auto(:(\d+),(\d+))?$`)

// maxEdits resolves a fuzziness setting for one term.
func maxEdits(fuzziness, term string) (int, *esError) {
	if m := autoFuzz.FindStringSubmatch(fuzziness); m != nil {
		low, high := 3, 6
		if m[1] != "" {
			low, _ = strconv.Atoi(m[2])
			high, _ = strconv.Atoi(m[3])
		}
		n := utf8.RuneCountInString(term)
		switch {
		case n < low:
			return 0, nil
		case n < high:
			return 1, nil
		}
		return 2, nil
	}
	n, err := strconv.Atoi(fuzziness)
	if err != nil || n < 0 || n > 2 {
		return 0, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("Valid edit distances are [0, 1, 2] but was [%s]", fuzziness)}
	}
	return n, nil
}

// fieldScore scores one analysed query against one field of a document:
// each query term scores by its best token, 1 for an exact match and less
// for a fuzzy one (Lucene weighs fuzzy terms by similarity too).
//
// memo caches edit distances for the query being evaluated: the corpus has
// far fewer distinct tokens than token occurrences.
func fieldScore(d *doc, field string, def fieldDef, tq textQuery, boost float64, memo map[[2]string]int) (bool, float64, *esError) {
	var terms, tokens []string
	if def.typ == "text" {
		terms = analyze(def.analyzer, tq.query)
		tokens = d.text[field]
	} else {
		terms = []string{tq.query}
		tokens = d.kw[field]
	}
	if len(terms) == 0 {
		return false, 0, nil // zero_terms_query: none
	}
	matched, score := 0, 0.0
	for _, t := range terms {
		edits, err := maxEdits(tq.fuzziness, t)
		if err != nil {
			return false, 0, err
		}
		best := 0.0
		for _, tok := range tokens {
			key := [2]string{t, tok}
			dist, seen := memo[key]
			if !seen {
				dist = editDistance(t, tok, edits)
				memo[key] = dist
			}
			if dist > edits {
				continue
			}
			sim := 1.0
			if dist > 0 {
				sim = 1 - float64(dist)/float64(min(utf8.RuneCountInString(t), utf8.RuneCountInString(tok)))
			}
			best = math.Max(best, sim)
			if best == 1 {
				break
			}
		}
		if best > 0 {
			matched++
			score += best * boost
		}
	}
	if matched == 0 || (tq.operator == "and" && matched < len(terms)) {
		return false, 0, nil
	}
	return true, score, nil
}

func compileMatch(body any, m mapping) (matcher, *esError) {
	field, v, err := fieldAndBody("match", body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		obj = map[string]any{"query": v}
	}
	tq, err := parseTextQuery("match", obj, nil)
	if err != nil {
		return nil, err
	}
	def, mapped := lookupField(m, field)
	if !mapped {
		return func(*doc) (bool, float64) { return false, 0 }, nil
	}
	if _, err := maxEdits(tq.fuzziness, "abc"); err != nil {
		return nil, err
	}
	memo := map[[2]string]int{}
	return func(d *doc) (bool, float64) {
		ok, s, _ := fieldScore(d, field, def, tq, 1, memo)
		return ok, s
	}, nil
}

type boostedField struct {
	name  string
	def   fieldDef
	boost float64
}

func compileMultiMatch(body any, m mapping) (matcher, *esError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, parsingError("[multi_match] query malformed")
	}
	tq, err := parseTextQuery("multi_match", obj, map[string]bool{"fields": true, "type": true, "tie_breaker": true})
	if err != nil {
		return nil, err
	}
	if t, ok := obj["type"]; ok && t != "best_fields" {
		return nil, parsingError("the double implements multi_match type [best_fields] only, got [%v]", t)
	}
	if _, err := maxEdits(tq.fuzziness, "abc"); err != nil {
		return nil, err
	}
	rawFields, _ := obj["fields"].([]any)
	if len(rawFields) == 0 {
		return nil, parsingError("the double needs explicit [fields] in multi_match")
	}
	var fields []boostedField
	for _, rf := range rawFields {
		spec := fmt.Sprint(rf)
		name, boostStr, hasBoost := strings.Cut(spec, "^")
		boost := 1.0
		if hasBoost {
			b, err := strconv.ParseFloat(boostStr, 64)
			if err != nil {
				return nil, &esError{status: 400, typ: "number_format_exception", reason: fmt.Sprintf("For input string: \"%s\"", boostStr)}
			}
			boost = b
		}
		if def, ok := lookupField(m, name); ok && (def.typ == "text" || def.typ == "keyword") {
			fields = append(fields, boostedField{name, def, boost})
		}
		// unmapped fields are skipped, as Elasticsearch does
	}
	memo := map[[2]string]int{}
	return func(d *doc) (bool, float64) {
		any, best := false, 0.0
		for _, f := range fields {
			ok, s, _ := fieldScore(d, f.name, f.def, tq, f.boost, memo)
			if ok {
				any = true
				best = math.Max(best, s)
			}
		}
		return any, best
	}, nil
}

func compileGeoDistance(body any, m mapping) (matcher, *esError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, parsingError("[geo_distance] query malformed")
	}
	var field string
	var center point
	distance := -1.0
	for k, v := range obj {
		switch k {
		case "distance":
			d, err := parseDistance(fmt.Sprint(v))
			if err != nil {
				return nil, err
			}
			distance = d
		case "distance_type", "validation_method", "_name", "boost", "ignore_unmapped":
		default:
			if field != "" {
				return nil, parsingError("[geo_distance] query doesn't support multiple fields, found [%s] and [%s]", field, k)
			}
			p, why := parseGeo(v)
			if why != "" {
				return nil, parsingError("[geo_distance] failed to parse point: %s", why)
			}
			field, center = k, p
		}
	}
	if distance < 0 {
		return nil, &esError{status: 400, typ: "illegal_argument_exception", reason: "geo_distance requires 'distance' to be specified"}
	}
	if field == "" {
		return nil, parsingError("failed to find geo field")
	}
	if def, ok := lookupField(m, field); !ok || def.typ != "geo_point" {
		return nil, &esError{status: 400, typ: "query_shard_exception",
			reason: fmt.Sprintf("failed to find geo field [%s]", field)}
	}
	return func(d *doc) (bool, float64) {
		for _, p := range d.geo[field] {
			if arcDistance(center, p) <= distance {
				return true, 1
			}
		}
		return false, 0
	}, nil
}

// earthMeanRadius is the radius Elasticsearch's GeoUtils uses for arc
// distances, in metres.
const earthMeanRadius = 6371008.7714

func arcDistance(a, b point) float64 {
	rad := math.Pi / 180
	dLat := (b.lat - a.lat) * rad
	dLon := (b.lon - a.lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthMeanRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

var distanceUnits = map[string]float64{
	"": 1, "m": 1, "meters": 1, "km": 1000, "kilometers": 1000, "cm": 0.01, "centimeters": 0.01,
	"mm": 0.001, "millimeters": 0.001, "mi": 1609.344, "miles": 1609.344, "yd": 0.9144, "yards": 0.9144,
	"ft": 0.3048, "feet": 0.3048, "in": 0.0254, "inch": 0.0254, "nmi": 1852, "NM": 1852,
}

var distanceRE = regexp.MustCompile(`^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$`)

// parseDistance reads "1km", "500m", "0.5mi" or a bare number of metres.
func parseDistance(s string) (float64, *esError) {
	m := distanceRE.FindStringSubmatch(s)
	if m == nil {
		return 0, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("failed to parse [%s]", s)}
	}
	unit, ok := distanceUnits[m[2]]
	if !ok {
		return 0, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("No distance unit match [%s]", m[2])}
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v * unit, nil
}

// sortSpec is one compiled sort criterion.
type sortSpec struct {
	value func(d *doc, score float64) any // the value reported in hit.sort
	key   func(d *doc, score float64) float64
	str   func(d *doc) (string, bool)
	desc  bool
}

func compileSort(raw any, m mapping) ([]sortSpec, bool, *esError) {
	var specs []sortSpec
	byScoreOnly := true
	for _, item := range clauses(raw) {
		var name string
		var opts any
		switch x := item.(type) {
		case string:
			name = x
		case map[string]any:
			if len(x) != 1 {
				return nil, false, parsingError("[sort] malformed: one field per sort object")
			}
			for k, v := range x {
				name, opts = k, v
			}
		default:
			return nil, false, parsingError("[sort] malformed")
		}
		order := ""
		if s, ok := opts.(string); ok {
			order = s
		}
		optObj, _ := opts.(map[string]any)
		if o, ok := optObj["order"].(string); ok {
			order = o
		}
		switch name {
		case "_score":
			specs = append(specs, sortSpec{
				value: func(_ *doc, s float64) any { return s },
				key:   func(_ *doc, s float64) float64 { return s },
				desc:  order != "asc",
			})
		case "_doc":
			byScoreOnly = false
			specs = append(specs, sortSpec{
				value: func(d *doc, _ float64) any { return d.seq },
				key:   func(d *doc, _ float64) float64 { return float64(d.seq) },
				desc:  order == "desc",
			})
		case "_geo_distance":
			byScoreOnly = false
			spec, err := compileGeoSort(optObj, m)
			if err != nil {
				return nil, false, err
			}
			spec.desc = order == "desc"
			specs = append(specs, spec)
		default:
			byScoreOnly = false
			def, ok := lookupField(m, name)
			if !ok {
				return nil, false, &esError{status: 400, typ: "query_shard_exception", reason: fmt.Sprintf("No mapping found for [%s] in order to sort on", name)}
			}
			if def.typ == "text" {
				return nil, false, &esError{status: 400, typ: "illegal_argument_exception",
					reason: fmt.Sprintf("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", name)}
			}
			field := name
			spec := sortSpec{desc: order == "desc"}
			if def.typ == "keyword" {
				spec.str = func(d *doc) (string, bool) {
					if v := d.kw[field]; len(v) > 0 {
						return v[0], true
					}
					return "", false
				}
				spec.value = func(d *doc, _ float64) any {
					if v := d.kw[field]; len(v) > 0 {
						return v[0]
					}
					return nil
				}
			} else {
				spec.key = func(d *doc, _ float64) float64 {
					if v := d.nums[field]; len(v) > 0 {
						return v[0]
					}
					return math.Inf(1)
				}
				spec.value = func(d *doc, _ float64) any {
					if v := d.nums[field]; len(v) > 0 {
						return v[0]
					}
					return nil
				}
			}
			specs = append(specs, spec)
		}
	}
	return specs, byScoreOnly, nil
}

func compileGeoSort(opts map[string]any, m mapping) (sortSpec, *esError) {
	unit := 1.0
	var field string
	var centers []point
	for k, v := range opts {
		switch k {
		case "order", "distance_type", "mode", "ignore_unmapped", "validation_method":
		case "unit":
			u, ok := distanceUnits[fmt.Sprint(v)]
			if !ok || fmt.Sprint(v) == "" {
				return sortSpec{}, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("No distance unit match [%v]", v)}
			}
			unit = u
		default:
			pts, why := parseGeoValues(v)
			if why != "" {
				return sortSpec{}, parsingError("[_geo_distance] failed to parse point: %s", why)
			}
			field, centers = k, pts
		}
	}
	if field == "" || len(centers) == 0 {
		return sortSpec{}, parsingError("[_geo_distance] sort needs a geo_point field and a point")
	}
	if def, ok := lookupField(m, field); !ok || def.typ != "geo_point" {
		return sortSpec{}, &esError{status: 400, typ: "illegal_argument_exception", reason: fmt.Sprintf("failed to find mapper for [%s] for geo distance based sort", field)}
	}
	dist := func(d *doc) float64 {
		best := math.Inf(1)
		for _, c := range centers {
			for _, p := range d.geo[field] {
				best = math.Min(best, arcDistance(c, p))
			}
		}
		return best / unit
	}
	return sortSpec{
		key: func(d *doc, _ float64) float64 { return dist(d) },
		value: func(d *doc, _ float64) any {
			v := dist(d)
			if math.IsInf(v, 1) {
				return "Infinity" // Elasticsearch writes Double.POSITIVE_INFINITY
			}
			return v
		},
	}, nil
}

// filterSource applies _source includes/excludes to a top-level document.
func filterSource(src json.RawMessage, parsed map[string]any, includes, excludes []string) json.RawMessage {
	if len(includes) == 0 && len(excludes) == 0 {
		return src
	}
	out := map[string]any{}
	for k, v := range parsed {
		if len(includes) > 0 && !matchesAny(includes, k) {
			continue
		}
		if matchesAny(excludes, k) {
			continue
		}
		out[k] = v
	}
	b, _ := json.Marshal(out)
	return b
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == name || p == "*" || (strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}
