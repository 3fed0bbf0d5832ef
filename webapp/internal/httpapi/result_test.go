package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

// reference is what encode writes for v: encoding/json, no HTML escaping.
func reference(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkSame(t testing.TB, res foodtrucks.SearchResult) {
	t.Helper()
	got, ok := appendResult(nil, res)
	if !ok {
		t.Fatalf("appendResult refused %+v", res)
	}
	if want := reference(t, res); !bytes.Equal(got, want) {
		t.Fatalf("appendResult differs from encoding/json\n got: %.600s\nwant: %.600s", got, want)
	}
}

// Tried: every permit of the city's sample data grouped into one answer,
// as a text search and as a geo search (distances), against encoding/json.
func TestAppendResultMatchesEncodingJSONOnTheCityData(t *testing.T) {
	f, err := os.Open(repo.SampleData(t, "sf-mobile-food-permits.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, _, err := permits.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 100 {
		t.Fatalf("read %d permits from the sample data, want hundreds", len(ps))
	}
	hits := make([]search.Hit, len(ps))
	for i, p := range ps {
		hits[i].Source = search.HitSource{Applicant: p.Applicant, FoodItems: p.FoodItems, Drinks: p.Drinks,
			Hours: p.Hours, Schedule: p.Schedule, Address: p.Address}
		if p.Location != nil {
			hits[i].Source.Location = &search.GeoPoint{Lat: p.Location.Lat, Lon: p.Location.Lon}
		}
	}
	text := search.Group(hits, 0)
	if text.Locations < 100 {
		t.Fatalf("only %d branches with coordinates in the sample data", text.Locations)
	}
	checkSame(t, text)
	for i := range hits {
		d := float64(i) * 37.123456789
		hits[i].DistanceMeters = &d
	}
	checkSame(t, search.Group(hits, 0))
	checkSame(t, foodtrucks.SearchResult{Trucks: []foodtrucks.Truck{}, Status: "success"})
	checkSame(t, foodtrucks.SearchResult{}) // nil slices: null
}

// Tried: numbers at the edges of encoding/json's formats (exponent below
// 1e-6 and from 1e21, negative zero, the smallest and largest floats).
func TestAppendResultFormatsNumbersAsEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -122.41941550000001, 37.7749295, 1e-6, 9.99e-7, 1e-7,
		1.5e-300, 5e-324, 1e20, 1e21, 123456789012345678901234.0, math.MaxFloat64, -math.MaxFloat64, 0.1 + 0.2} {
		d := f
		checkSame(t, foodtrucks.SearchResult{Trucks: []foodtrucks.Truck{{Name: "n", Branches: []foodtrucks.Branch{
			{Location: foodtrucks.BranchLocation{Latitude: f, Longitude: -f}, DistanceMeters: &d}}}}, Hits: 1, Locations: 1})
	}
}

// Tried: a NaN or infinite distance, which JSON cannot hold: appendResult
// refuses and resultBody returns encoding/json's error, leaving no half
// answer.
func TestResultBodyRefusesNumbersJSONCannotHold(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		d := f
		res := foodtrucks.SearchResult{Trucks: []foodtrucks.Truck{{Name: "n", Branches: []foodtrucks.Branch{{DistanceMeters: &d}}}}}
		if b, ok := appendResult([]byte("keep"), res); ok || string(b) != "keep" {
			t.Errorf("appendResult(%v) = %q, %v; want the input back and false", f, b, ok)
		}
		if _, err := resultBody(nil, res); err == nil {
			t.Errorf("resultBody(%v): no error", f)
		}
	}
}

// FuzzAppendStringMatchesEncodingJSON tries hostile strings (quotes,
// backslashes, every control character, invalid UTF-8, U+2028/U+2029,
// HTML characters) in every string field. The seeds run with go test.
func FuzzAppendStringMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "tacos", `a"b\c`, "\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f", "\xff\xfe", "\xed\xa0\x80",
		"a\u2028b\u2029c", "<script>&amp;</script>", "jalapeño 🌮", "http://x.test/?a=1&b=2", "\xe2\x80", "é\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSame(t, foodtrucks.SearchResult{
			Trucks: []foodtrucks.Truck{{Name: s, FoodItems: []string{s, "x" + s}, Branches: []foodtrucks.Branch{
				{Hours: s, Schedule: s, Address: s}}, Drinks: true}},
			Hits: 1, Locations: 1, Status: s,
		})
	})
}
