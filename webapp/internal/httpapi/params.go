package httpapi

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// Limits on what a search may ask for.
const (
	MaxQueryRunes   = 200      // longer "food" queries are abuse, not appetite
	MaxRadiusMeters = 50_000.0 // the city is ~12 km across
	DefaultRadius   = 1000.0   // metres, when lat/lon come without radius
	MaxLimit        = 1000     // trucks per answer
)

// paramError is a client mistake, answered with 400 and its message.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error { return &paramError{fmt.Sprintf(format, args...)} }

var facilityTypes = map[string]string{"truck": "Truck", "push cart": "Push Cart"}

var statusRE = regexp.MustCompile(`^[A-Z_]{1,20}$`)

// ParseSearchParams turns the query string of GET /search into a query.
// It accepts q (plain words, never search syntax), lat+lon with an
// optional radius ("1km", "500m", "0.5mi", bare number = metres), status,
// type (Truck or Push Cart) and limit. Unknown parameters are ignored, as
// clients add cache-busters; a parameter given twice is an error rather
// than a guess.
func ParseSearchParams(v url.Values) (foodtrucks.Query, error) {
	var q foodtrucks.Query
	single := func(name string) (string, error) {
		vals, ok := v[name]
		if !ok {
			return "", nil
		}
		if len(vals) > 1 {
			return "", badParam("%s is given %d times; give it once", name, len(vals))
		}
		s := vals[0]
		if !utf8.ValidString(s) {
			return "", badParam("%s is not valid UTF-8", name)
		}
		return strings.TrimSpace(s), nil
	}

	text, err := single("q")
	if err != nil {
		return q, err
	}
	if n := utf8.RuneCountInString(text); n > MaxQueryRunes {
		return q, badParam("q is %d characters long; the limit is %d", n, MaxQueryRunes)
	}
	// Control characters carry no meaning in a food search; they become
	// spaces rather than reaching logs or the engine.
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	q.Text = text

	latRaw, err := single("lat")
	if err != nil {
		return q, err
	}
	lonRaw, err := single("lon")
	if err != nil {
		return q, err
	}
	radiusRaw, err := single("radius")
	if err != nil {
		return q, err
	}
	switch {
	case latRaw != "" && lonRaw != "":
		lat, err := parseCoordinate("lat", latRaw, 90)
		if err != nil {
			return q, err
		}
		lon, err := parseCoordinate("lon", lonRaw, 180)
		if err != nil {
			return q, err
		}
		q.Near = &foodtrucks.Point{Lat: lat, Lon: lon}
		q.RadiusMeters = DefaultRadius
		if radiusRaw != "" {
			if q.RadiusMeters, err = ParseRadius(radiusRaw); err != nil {
				return q, err
			}
		}
	case latRaw != "" || lonRaw != "":
		return q, badParam("lat and lon must be given together")
	case radiusRaw != "":
		return q, badParam("radius needs lat and lon")
	}

	if q.Text == "" && q.Near == nil {
		return q, badParam("Please provide a query: q=<food or vendor>, or lat=&lon= for trucks nearby")
	}

	status, err := single("status")
	if err != nil {
		return q, err
	}
	if status != "" {
		status = strings.ToUpper(status)
		if !statusRE.MatchString(status) {
			return q, badParam("status %q is not a permit status (e.g. APPROVED, REQUESTED, EXPIRED)", status)
		}
		q.Status = status
	}

	typ, err := single("type")
	if err != nil {
		return q, err
	}
	if typ != "" {
		canonical, ok := facilityTypes[strings.ToLower(strings.Join(strings.Fields(typ), " "))]
		if !ok {
			return q, badParam("type must be Truck or Push Cart")
		}
		q.FacilityType = canonical
	}

	limit, err := single("limit")
	if err != nil {
		return q, err
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return q, badParam("limit must be a whole number from 1 to %d", MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// Plain decimal degrees only: ParseFloat alone would also take hex floats,
// exponents, "NaN" and "Inf".
var decimalRE = regexp.MustCompile(`^[-+]?([0-9]{1,3}(\.[0-9]{0,20})?|\.[0-9]{1,20})$`)

func parseCoordinate(name, raw string, bound float64) (float64, error) {
	if !decimalRE.MatchString(raw) {
		return 0, badParam("%s %q is not a number in decimal degrees", name, raw)
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, badParam("%s %q is not a number", name, raw)
	}
	if f < -bound || f > bound {
		return 0, badParam("%s %v is out of range (-%v to %v)", name, f, bound, bound)
	}
	return f, nil
}

var radiusRE = regexp.MustCompile(`^([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)$`)

var radiusUnits = map[string]float64{"": 1, "m": 1, "km": 1000, "mi": 1609.344, "ft": 0.3048, "yd": 0.9144}

// ParseRadius reads a radius like "1km", "500m", "0.5mi", "800ft" or a bare
// number of metres, within (0, MaxRadiusMeters].
func ParseRadius(raw string) (float64, error) {
	m := radiusRE.FindStringSubmatch(strings.TrimSpace(raw))
	if m == nil {
		return 0, badParam("radius %q is not a distance like 500m, 1km or 0.5mi", raw)
	}
	unit, ok := radiusUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, badParam("radius unit %q is not one of m, km, mi, ft, yd", m[2])
	}
	n, err := strconv.ParseFloat(m[1], 64)
	meters := n * unit
	if err != nil || meters <= 0 || math.IsInf(meters, 0) {
		return 0, badParam("radius %q must be greater than zero", raw)
	}
	if meters > MaxRadiusMeters {
		return 0, badParam("radius %q is larger than the limit of %gkm", raw, MaxRadiusMeters/1000)
	}
	return meters, nil
}
