package httpapi_test

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/httpapi"
)

func TestParseSearchParamsAccepts(t *testing.T) {
	cases := []struct {
		what, query string
		check       func(t *testing.T, qText string, lat, lon, radius float64, status, typ string, limit int)
	}{
		{"plain words", "q=tacos", func(t *testing.T, q string, _, _, _ float64, _, _ string, _ int) {
			if q != "tacos" {
				t.Errorf("q %q", q)
			}
		}},
		{"Lucene syntax stays text", "q=" + url.QueryEscape(`applicant:* OR (a AND b)~2 /re/ \`), func(t *testing.T, q string, _, _, _ float64, _, _ string, _ int) {
			if q != `applicant:* OR (a AND b)~2 /re/ \` {
				t.Errorf("q %q: the text must reach the engine as typed", q)
			}
		}},
		{"control characters become spaces", "q=" + url.QueryEscape("taco\x00s\t\nburrito"), func(t *testing.T, q string, _, _, _ float64, _, _ string, _ int) {
			if q != "taco s burrito" {
				t.Errorf("q %q", q)
			}
		}},
		{"unicode words", "q=" + url.QueryEscape("crème brûlée 🌮 汉堡"), func(t *testing.T, q string, _, _, _ float64, _, _ string, _ int) {
			if q != "crème brûlée 🌮 汉堡" {
				t.Errorf("q %q", q)
			}
		}},
		{"geo with default radius", "lat=37.77&lon=-122.41", func(t *testing.T, q string, lat, lon, r float64, _, _ string, _ int) {
			if lat != 37.77 || lon != -122.41 || r != httpapi.DefaultRadius {
				t.Errorf("lat %v lon %v radius %v", lat, lon, r)
			}
		}},
		{"radius in miles", "lat=37.77&lon=-122.41&radius=0.5mi", func(t *testing.T, _ string, _, _, r float64, _, _ string, _ int) {
			if math.Abs(r-804.672) > 1e-9 {
				t.Errorf("radius %v, want 804.672 m", r)
			}
		}},
		{"filters are normalised", "q=x&status=approved&type=push%20%20cart&limit=5", func(t *testing.T, _ string, _, _, _ float64, s, ty string, l int) {
			if s != "APPROVED" || ty != "Push Cart" || l != 5 {
				t.Errorf("status %q type %q limit %d", s, ty, l)
			}
		}},
		{"unknown parameters ignored", "q=x&_=12345&utm_source=y", nil},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.query)
			q, err := httpapi.ParseSearchParams(v)
			if err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			if tc.check == nil {
				return
			}
			lat, lon := math.NaN(), math.NaN()
			if q.Near != nil {
				lat, lon = q.Near.Lat, q.Near.Lon
			}
			tc.check(t, q.Text, lat, lon, q.RadiusMeters, q.Status, q.FacilityType, q.Limit)
		})
	}
}

func TestParseSearchParamsRejects(t *testing.T) {
	cases := []struct {
		what, query, wantInMsg string
	}{
		{"nothing to search for", "", "Please provide a query"},
		{"blank q", "q=%20%20%20", "Please provide a query"},
		{"huge q", "q=" + strings.Repeat("a", httpapi.MaxQueryRunes+1), "limit"},
		{"q twice", "q=a&q=b", "once"},
		{"invalid UTF-8", "q=%ff%fe", "UTF-8"},
		{"lat without lon", "lat=37.7", "together"},
		{"radius alone", "q=x&radius=1km", "needs lat and lon"},
		{"lat not a number", "lat=north&lon=1", "not a number"},
		{"lat NaN", "lat=NaN&lon=1", "not a number"},
		{"lon infinite", "lat=1&lon=Inf", "not a number"},
		{"lat out of range", "lat=91&lon=0", "out of range"},
		{"lon out of range", "lat=0&lon=-180.5", "out of range"},
		{"hex float", "lat=0x1p-2&lon=0", "not a number"},
		{"zero radius", "lat=1&lon=1&radius=0", "greater than zero"},
		{"negative radius", "lat=1&lon=1&radius=-5km", "not a distance"},
		{"radius with a bad unit", "lat=1&lon=1&radius=3parsecs", "unit"},
		{"radius over the limit", "lat=1&lon=1&radius=51km", "limit"},
		{"radius exponent trick", "lat=1&lon=1&radius=1e308km", "not a distance"},
		{"status with syntax", "q=x&status=APPROVED%20OR%20*", "not a permit status"},
		{"unknown type", "q=x&type=boat", "Truck or Push Cart"},
		{"limit zero", "q=x&limit=0", "limit"},
		{"limit too large", "q=x&limit=100000", "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.query)
			_, err := httpapi.ParseSearchParams(v)
			if err == nil {
				t.Fatalf("%q was accepted", tc.query)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("%q: message %q should mention %q", tc.query, err, tc.wantInMsg)
			}
		})
	}
}

// FuzzParseSearchParams throws arbitrary query strings at the parser: it
// must never panic, and whatever it accepts must be within the limits the
// engine query relies on.
func FuzzParseSearchParams(f *testing.F) {
	for _, seed := range []string{
		"q=tacos", "lat=37.7&lon=-122.4&radius=1km", "q=a&status=approved&type=truck&limit=3",
		"q=%ff", "lat=1e400&lon=0", "radius=.5mi&lat=0&lon=0", "q=" + strings.Repeat("é", 300),
		"q=a&q=b", "lat=-0&lon=-0&radius=0.0001m", "q=\x00\x01",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := httpapi.ParseSearchParams(v)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error must explain itself")
			}
			return
		}
		if q.Text == "" && q.Near == nil {
			t.Fatal("accepted a search with neither text nor coordinates")
		}
		if !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > httpapi.MaxQueryRunes {
			t.Fatalf("text %q escapes the limits", q.Text)
		}
		if q.Near != nil {
			if math.IsNaN(q.Near.Lat) || q.Near.Lat < -90 || q.Near.Lat > 90 || math.IsNaN(q.Near.Lon) || q.Near.Lon < -180 || q.Near.Lon > 180 {
				t.Fatalf("coordinates out of range: %+v", q.Near)
			}
			if !(q.RadiusMeters > 0 && q.RadiusMeters <= httpapi.MaxRadiusMeters) {
				t.Fatalf("radius %v out of range", q.RadiusMeters)
			}
		}
		if q.Limit < 0 || q.Limit > httpapi.MaxLimit {
			t.Fatalf("limit %d", q.Limit)
		}
	})
}
