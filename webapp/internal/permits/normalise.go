package permits

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// Limits on what one row may carry. Real rows are far below them (the
// longest food-item list in the city's data is under 400 bytes); they exist
// so that a hostile file cannot blow up the index or the search responses.
const (
	maxFieldBytes = 4096
	// Elasticsearch refuses document IDs over 512 bytes.
	maxIDBytes = 512
)

// Reasons a row is skipped, as counted in Report.Skipped.
const (
	skipNotObject   = "not a JSON object"
	skipNoApplicant = "no applicant name"
	skipDuplicateID = "duplicate id"
	skipIDTooLong   = "id longer than 512 bytes"
	skipColumnCount = "wrong number of CSV columns"
	skipStrayQuote  = "stray quote in an unquoted CSV field"
	// A quoted field left open runs on to the end of the file; the lines it
	// swallowed are lost with it.
	skipBadQuote = "unbalanced quote in a CSV field"
)

// Repairs made to kept rows, as counted in Report.Repaired.
const (
	fixInvalidUTF8   = "invalid UTF-8 replaced"
	fixControlChars  = "control characters removed"
	fixFieldCut      = "field cut to 4096 bytes"
	fixBadDate       = "expiration date unreadable, dropped"
	fixBadCoords     = "coordinates unreadable or out of range, location dropped"
	fixWrongJSONType = "field of an unexpected JSON type ignored"
)

// rawRow is one row as read from either format, before normalisation.
type rawRow struct {
	ID, PermitNumber, Applicant, FacilityType, Status string
	FoodItems, Address, LocationDescription           string
	Hours, Schedule, Expiration                       string
	// Latitude and Longitude are the row's own coordinate fields;
	// LocationLat and LocationLon come from its combined location field
	// (SODA's location object, the CSV's "(lat, lon)" column), used when the
	// former are missing or zero.
	Latitude, Longitude      string
	LocationLat, LocationLon string
	// wrongTypes is set when a JSON field held a value of a type that cannot
	// be a string (an object, an array, a boolean).
	wrongTypes bool
}

// collector turns raw rows into permits and keeps the report up to date.
type collector struct {
	report     Report
	permits    []foodtrucks.Permit
	seenIDs    map[string]struct{}
	applicants map[string]struct{}
	fixes      map[string]bool // repairs of the current row, counted once per row
}

func newCollector(format string) *collector {
	return &collector{
		report:     newReport(format),
		seenIDs:    map[string]struct{}{},
		applicants: map[string]struct{}{},
		fixes:      map[string]bool{},
	}
}

func (c *collector) skip(reason string) {
	c.report.RowsRead++
	c.report.Skipped[reason]++
}

func (c *collector) add(raw rawRow) {
	clear(c.fixes)
	if raw.wrongTypes {
		c.fixes[fixWrongJSONType] = true
	}
	p := foodtrucks.Permit{
		ID:                  c.clean(raw.ID),
		PermitNumber:        c.clean(raw.PermitNumber),
		Applicant:           c.clean(raw.Applicant),
		FacilityType:        c.clean(raw.FacilityType),
		Status:              strings.ToUpper(c.clean(raw.Status)),
		Address:             c.clean(raw.Address),
		LocationDescription: c.clean(raw.LocationDescription),
		Hours:               c.clean(raw.Hours),
		Schedule:            c.clean(raw.Schedule),
	}
	if p.Applicant == "" {
		c.skip(skipNoApplicant)
		return
	}
	if len(p.ID) > maxIDBytes {
		c.skip(skipIDTooLong)
		return
	}
	if p.ID == "" {
		// Every permit gets an ID so it can be a document ID; the row number
		// is unique within one load, which is all a fresh index needs.
		p.ID = "row-" + strconv.Itoa(c.report.RowsRead+1)
	}
	if _, seen := c.seenIDs[p.ID]; seen {
		c.skip(skipDuplicateID)
		return
	}
	p.FoodItems, p.Drinks = splitFoodItems(c.clean(raw.FoodItems))
	p.Location = c.location(raw)
	if when := c.clean(raw.Expiration); when != "" {
		if t, ok := parseDate(when); ok {
			p.Expiration = t
		} else {
			c.fixes[fixBadDate] = true
		}
	}

	c.report.RowsRead++
	c.report.Usable++
	c.seenIDs[p.ID] = struct{}{}
	c.applicants[p.Applicant] = struct{}{}
	if p.Location == nil {
		c.report.NoLocation++
	}
	c.report.Statuses[p.Status]++
	c.report.FacilityTypes[p.FacilityType]++
	for fix := range c.fixes {
		c.report.Repaired[fix]++
	}
	c.permits = append(c.permits, p)
}

func (c *collector) finish() ([]foodtrucks.Permit, Report) {
	c.report.Trucks = len(c.applicants)
	if c.report.Usable == 0 {
		c.report.Warnings = append(c.report.Warnings, "no usable permits in the input")
	}
	return c.permits, c.report
}

// clean trims s, collapses runs of white space (including line breaks) to
// one space, drops control characters such as NUL, replaces invalid UTF-8
// and cuts over-long values, noting each repair.
func (c *collector) clean(s string) string {
	if isPlain(s) {
		return strings.TrimSpace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		c.fixes[fixInvalidUTF8] = true
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			continue
		case unicode.IsControl(r) || r == '\uFEFF':
			c.fixes[fixControlChars] = true
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > maxFieldBytes {
		cut := maxFieldBytes
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimSpace(out[:cut])
		c.fixes[fixFieldCut] = true
	}
	return out
}

// isPlain reports whether s needs no cleaning beyond trimming: printable
// ASCII, no doubled or odd white space, short enough. Nearly all real values
// are, and this keeps the common case free of allocations.
func isPlain(s string) bool {
	if len(s) > maxFieldBytes {
		return false
	}
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch >= 0x7f || (ch == ' ' && i > 0 && s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// splitFoodItems splits the free-text food list into items. The city's data
// separates items with ':' and, in a few rows, with ';'. A first item
// mentioning "cold truck" marks a truck selling drinks and pre-packed food,
// as the original app read it; it is not a food item itself, but any words
// after it ("COLD TRUCK. Deli") are kept.
func splitFoodItems(s string) (items []string, drinks bool) {
	if s == "" {
		return []string{}, false
	}
	parts := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ':' || r == ';' })
	items = make([]string, 0, len(parts))
	seen := make(map[string]struct{}, len(parts))
	for _, part := range parts {
		item := strings.TrimSpace(part)
		if len(items) == 0 && !drinks && strings.Contains(item, "cold truck") {
			drinks = true
			item = strings.Trim(strings.Replace(item, "cold truck", "", 1), " .,-/&")
		}
		if item == "" {
			continue
		}
		if _, dup := seen[item]; dup {
			continue
		}
		seen[item] = struct{}{}
		items = append(items, item)
	}
	return items, drinks
}

// location picks the row's coordinates: its own latitude and longitude
// fields first, then the combined location field. Zero or missing values
// mean "no location" (the city writes 0 for unknown places); values that do
// not parse or lie outside the globe are dropped and noted.
func (c *collector) location(raw rawRow) *foodtrucks.Location {
	loc, bad := parseLatLon(c.clean(raw.Latitude), c.clean(raw.Longitude))
	if loc != nil {
		return loc
	}
	loc, badCombined := parseLatLon(c.clean(raw.LocationLat), c.clean(raw.LocationLon))
	if loc != nil {
		return loc
	}
	if bad || badCombined {
		c.fixes[fixBadCoords] = true
	}
	return nil
}

// parseLatLon returns nil when either coordinate is missing or zero, and
// reports bad when one does not parse or is out of range.
func parseLatLon(latText, lonText string) (loc *foodtrucks.Location, bad bool) {
	if latText == "" || lonText == "" {
		return nil, false
	}
	lat, errLat := strconv.ParseFloat(latText, 64)
	lon, errLon := strconv.ParseFloat(lonText, 64)
	switch {
	case errLat != nil || errLon != nil:
		return nil, true
	case math.IsNaN(lat) || math.IsNaN(lon):
		return nil, true
	case lat == 0 || lon == 0:
		// Nothing the city permits stands on the equator or the prime
		// meridian: a zero is the data set's way of saying "unknown".
		return nil, false
	case lat < -90 || lat > 90 || lon < -180 || lon > 180:
		return nil, true
	}
	return &foodtrucks.Location{Lat: lat, Lon: lon}, false
}

// parseCombinedLocation reads the CSV export's location column: "(lat, lon)"
// as in the city's export, or the "POINT (lon lat)" text that the portal
// writes for point-typed columns.
func parseCombinedLocation(s string) (lat, lon string) {
	s = strings.TrimSpace(s)
	if rest, ok := cutPrefixFold(s, "POINT"); ok {
		rest = strings.TrimSpace(rest)
		rest = strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")")
		parts := strings.Fields(rest)
		if len(parts) != 2 {
			return "", ""
		}
		return parts[1], parts[0]
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	lat, lon, ok := strings.Cut(s, ",")
	if !ok {
		return "", ""
	}
	return strings.TrimSpace(lat), strings.TrimSpace(lon)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Date layouts seen in the data: SODA's floating timestamp, the CSV export's
// US format, and plain ISO dates for hand-made files.
var dateLayouts = []string{
	"2006-01-02T15:04:05.000",
	"2006-01-02T15:04:05",
	time.RFC3339Nano,
	"01/02/2006 03:04:05 PM",
	"01/02/2006",
	"2006-01-02",
}

// parseDate reads an expiration date. The data set's dates carry no zone
// and mean a calendar day in San Francisco; they are kept as that day's
// midnight in UTC, so the date itself survives every round trip.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
