package esdouble

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// mapping is an index's field mapping: flat top-level fields plus
// multi-fields (e.g. applicant.keyword), which is all the app maps.
type mapping struct {
	dynamic string // "true" (default), "false" or "strict"
	fields  map[string]fieldDef
}

type fieldDef struct {
	typ      string // text, keyword, boolean, geo_point, date, long, double, float, integer, object
	analyzer string // text fields
	indexed  bool
	sub      map[string]fieldDef
}

var supportedTypes = map[string]bool{
	"text": true, "keyword": true, "boolean": true, "geo_point": true, "date": true,
	"long": true, "integer": true, "double": true, "float": true, "object": true,
}

// The double analyses text like these built-in analysers. "english" needs
// stemming the double does not implement; refusing it keeps tests honest.
var supportedAnalyzers = map[string]bool{"standard": true, "simple": true, "whitespace": true, "keyword": true}

func parseMapping(raw map[string]any) (mapping, *esError) {
	m := mapping{dynamic: "true", fields: map[string]fieldDef{}}
	if raw == nil {
		return m, nil
	}
	for k, v := range raw {
		switch k {
		case "dynamic":
			switch d := fmt.Sprint(v); d {
			case "true", "false", "strict":
				m.dynamic = d
			default:
				return m, mapperParsing(fmt.Sprintf("Failed to parse mapping: Could not convert [dynamic] to boolean or strict: [%s]", d))
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return m, mapperParsing("Failed to parse mapping: [properties] must be an object")
			}
			fields, err := parseProperties(props, "")
			if err != nil {
				return m, err
			}
			m.fields = fields
		case "_source", "_meta":
			// accepted and not needed by the double
		default:
			return m, mapperParsing(fmt.Sprintf("Failed to parse mapping: Root mapping definition has unsupported parameters:  [%s : %v]", k, v))
		}
	}
	return m, nil
}

func parseProperties(props map[string]any, prefix string) (map[string]fieldDef, *esError) {
	out := map[string]fieldDef{}
	for name, v := range props {
		def, ok := v.(map[string]any)
		if !ok {
			return nil, mapperParsing(fmt.Sprintf("Failed to parse mapping: Expected map for property [fields] on field [%s] but got a class java.lang.String", prefix+name))
		}
		f := fieldDef{typ: "object", indexed: true}
		if t, ok := def["type"].(string); ok {
			f.typ = t
		}
		if !supportedTypes[f.typ] {
			return nil, mapperParsing(fmt.Sprintf("Failed to parse mapping: No handler for type [%s] declared on field [%s]", f.typ, prefix+name))
		}
		for k, pv := range def {
			switch k {
			case "type":
			case "analyzer":
				a := fmt.Sprint(pv)
				if f.typ != "text" {
					return nil, mapperParsing(fmt.Sprintf("Failed to parse mapping: unknown parameter [analyzer] on mapper [%s] of type [%s]", prefix+name, f.typ))
				}
				if !supportedAnalyzers[a] {
					return nil, mapperParsing(fmt.Sprintf("Failed to parse mapping: analyzer [%s] has not been configured in mappings", a))
				}
				f.analyzer = a
			case "index":
				b, _ := pv.(bool)
				f.indexed = b
			case "doc_values", "ignore_above", "format", "store", "norms":
			case "fields":
				subs, ok := pv.(map[string]any)
				if !ok {
					return nil, mapperParsing("Failed to parse mapping: [fields] must be an object")
				}
				sub, err := parseProperties(subs, prefix+name+".")
				if err != nil {
					return nil, err
				}
				f.sub = sub
			case "properties":
				return nil, mapperParsing(fmt.Sprintf("the double does not implement object properties on field [%s]", prefix+name))
			default:
				return nil, mapperParsing(fmt.Sprintf("Failed to parse mapping: unknown parameter [%s] on mapper [%s] of type [%s]", k, prefix+name, f.typ))
			}
		}
		if f.typ == "text" && f.analyzer == "" {
			f.analyzer = "standard"
		}
		out[name] = f
	}
	return out, nil
}

// mappingJSON renders the mapping back the way GET /<index>/_mapping would.
func (m mapping) toJSON() map[string]any {
	props := map[string]any{}
	for n, f := range m.fields {
		props[n] = f.toJSON()
	}
	out := map[string]any{"properties": props}
	if m.dynamic != "true" {
		out["dynamic"] = m.dynamic
	}
	return out
}

func (f fieldDef) toJSON() map[string]any {
	out := map[string]any{"type": f.typ}
	if f.typ == "text" && f.analyzer != "standard" {
		out["analyzer"] = f.analyzer
	}
	if !f.indexed {
		out["index"] = false
	}
	if len(f.sub) > 0 {
		sub := map[string]any{}
		for n, s := range f.sub {
			sub[n] = s.toJSON()
		}
		out["fields"] = sub
	}
	return out
}

// doc is an indexed document with its field values prepared for queries.
type doc struct {
	id     string
	seq    int64
	source json.RawMessage
	parsed map[string]any
	text   map[string][]string // analysed tokens per text field
	kw     map[string][]string // exact values per keyword field
	bools  map[string][]bool
	nums   map[string][]float64
	geo    map[string][]point
}

type point struct{ lat, lon float64 }

// indexDoc parses and checks a source against the mapping, as the
// document-parsing phase of an index operation does, and may extend a
// dynamic mapping.
func (idx *index) indexDoc(id string, source []byte) (*doc, *esError) {
	var parsed map[string]any
	dec := json.NewDecoder(strings.NewReader(string(source)))
	dec.UseNumber()
	if err := dec.Decode(&parsed); err != nil || parsed == nil {
		return nil, &esError{status: 400, typ: "document_parsing_exception", reason: "[1:1] failed to parse: the document is not a JSON object"}
	}
	d := &doc{id: id, source: json.RawMessage(source), parsed: parsed,
		text: map[string][]string{}, kw: map[string][]string{}, bools: map[string][]bool{},
		nums: map[string][]float64{}, geo: map[string][]point{}}
	names := make([]string, 0, len(parsed))
	for n := range parsed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v := parsed[name]
		def, ok := idx.mapping.fields[name]
		if !ok {
			switch idx.mapping.dynamic {
			case "strict":
				return nil, &esError{status: 400, typ: "strict_dynamic_mapping_exception",
					reason: fmt.Sprintf("[1:2] mapping set to strict, dynamic introduction of [%s] within [_doc] is not allowed", name)}
			case "false":
				continue
			}
			def = dynamicField(v)
			idx.mapping.fields[name] = def
		}
		if err := d.addField(name, def, v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func dynamicField(v any) fieldDef {
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		v = arr[0]
	}
	switch v.(type) {
	case string:
		return fieldDef{typ: "text", analyzer: "standard", indexed: true,
			sub: map[string]fieldDef{"keyword": {typ: "keyword", indexed: true}}}
	case bool:
		return fieldDef{typ: "boolean", indexed: true}
	case json.Number:
		return fieldDef{typ: "double", indexed: true}
	}
	return fieldDef{typ: "object", indexed: false}
}

func (d *doc) addField(name string, def fieldDef, v any) *esError {
	fail := func(why string) *esError {
		return &esError{status: 400, typ: "document_parsing_exception",
			reason:   fmt.Sprintf("[1:2] failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%v'", name, def.typ, d.id, v),
			causedBy: why}
	}
	if v == nil {
		return nil
	}
	if def.typ == "geo_point" {
		pts, err := parseGeoValues(v)
		if err != "" {
			return fail(err)
		}
		d.geo[name] = append(d.geo[name], pts...)
		return nil
	}
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, val := range values {
		if val == nil {
			continue
		}
		switch def.typ {
		case "text", "keyword":
			var s string
			switch x := val.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			case bool:
				s = strconv.FormatBool(x)
			default:
				return fail("expected text or a number, got an object")
			}
			if def.indexed {
				if def.typ == "text" {
					d.text[name] = append(d.text[name], analyze(def.analyzer, s)...)
				} else {
					d.kw[name] = append(d.kw[name], s)
				}
			}
			for sn, sd := range def.sub {
				if err := d.addField(name+"."+sn, sd, val); err != nil {
					return err
				}
			}
		case "boolean":
			switch x := val.(type) {
			case bool:
				d.bools[name] = append(d.bools[name], x)
			case string:
				if x != "true" && x != "false" {
					return fail("Failed to parse value [" + x + "] as only [true] or [false] are allowed.")
				}
				d.bools[name] = append(d.bools[name], x == "true")
			default:
				return fail("expected a boolean")
			}
		case "long", "integer", "double", "float":
			var f float64
			var err error
			switch x := val.(type) {
			case json.Number:
				f, err = x.Float64()
			case string:
				f, err = strconv.ParseFloat(x, 64)
			default:
				err = fmt.Errorf("not a number")
			}
			if err != nil {
				return fail("For input string: \"" + fmt.Sprint(val) + "\"")
			}
			d.nums[name] = append(d.nums[name], f)
		case "date":
			switch x := val.(type) {
			case string:
				if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
					if _, err2 := time.Parse("2006-01-02", x); err2 != nil {
						return fail("failed to parse date field [" + x + "] with format [strict_date_optional_time||epoch_millis]")
					}
				}
			case json.Number:
			default:
				return fail("expected a date")
			}
		case "object":
			// kept in _source only
		}
	}
	return nil
}

// parseGeoValues accepts the geo_point forms Elasticsearch documents: an
// object {lat, lon}, an array [lon, lat], a "lat,lon" string, or a list of
// those. Out-of-range values are rejected (ignore_malformed is false).
func parseGeoValues(v any) ([]point, string) {
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		if _, isNum := arr[0].(json.Number); isNum {
			p, err := parseGeo(v)
			if err != "" {
				return nil, err
			}
			return []point{p}, ""
		}
		var out []point
		for _, e := range arr {
			p, err := parseGeo(e)
			if err != "" {
				return nil, err
			}
			out = append(out, p)
		}
		return out, ""
	}
	p, err := parseGeo(v)
	if err != "" {
		return nil, err
	}
	return []point{p}, ""
}

func parseGeo(v any) (point, string) {
	num := func(x any) (float64, bool) {
		switch n := x.(type) {
		case json.Number:
			f, err := n.Float64()
			return f, err == nil
		case float64:
			return n, true
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			return f, err == nil
		}
		return 0, false
	}
	var p point
	switch x := v.(type) {
	case map[string]any:
		lat, ok1 := num(x["lat"])
		lon, ok2 := num(x["lon"])
		if !ok1 || !ok2 {
			return p, "field [lat] or [lon] missing or not a number"
		}
		p = point{lat, lon}
	case []any:
		if len(x) < 2 {
			return p, "geo_point expected [lon, lat]"
		}
		lon, ok1 := num(x[0])
		lat, ok2 := num(x[1])
		if !ok1 || !ok2 {
			return p, "geo_point array values must be numbers"
		}
		p = point{lat, lon}
	case string:
		parts := strings.Split(x, ",")
		if len(parts) != 2 {
			return p, "unsupported symbol [" + x + "] in geohash"
		}
		lat, ok1 := num(parts[0])
		lon, ok2 := num(parts[1])
		if !ok1 || !ok2 {
			return p, "latitude and longitude must be numbers"
		}
		p = point{lat, lon}
	default:
		return p, "geo_point expected"
	}
	if math.IsNaN(p.lat) || p.lat < -90 || p.lat > 90 {
		return p, fmt.Sprintf("illegal latitude value [%v] for location", p.lat)
	}
	if math.IsNaN(p.lon) || p.lon < -180 || p.lon > 180 {
		return p, fmt.Sprintf("illegal longitude value [%v] for location", p.lon)
	}
	return p, ""
}
