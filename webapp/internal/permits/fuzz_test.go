package permits

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Both targets feed arbitrary bytes to Read (which picks the parser from the
// content); they differ in their seeds, so each explores around its format.
// Run longer with: go test -fuzz=FuzzReadJSON -fuzztime=1m ./webapp/internal/permits/

func FuzzReadJSON(f *testing.F) {
	addFixtureSeeds(f, ".json")
	for _, seed := range []string{
		`[]`, `[null]`, `[{"applicant":"A","fooditems":"Cold Truck: Soda"}]`,
		`[{"applicant":"A","location":{"type":"Point","coordinates":["-122.4","37.7"]}}]`,
		`[{"applicant":"A","latitude":"1e999","longitude":"-0"}]`,
		`[{"objectid":"1","applicant":"A"},{"objectid":"1","applicant":"B"}]`,
		`[{"applicant":"A"}`, `{"error":true}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(checkReadInvariants)
}

func FuzzReadCSV(f *testing.F) {
	addFixtureSeeds(f, ".csv")
	for _, seed := range []string{
		"applicant,fooditems\nA,Tacos\n",
		"\uFEFFApplicant,FoodItems,Location\r\nA,\"x:\r\ny\",\"(37.7, -122.4)\"\r\n",
		"applicant,fooditems,latitude,longitude\nA,,91,0\n,B,1,1\nC\n",
		"applicant,fooditems\n\"A,B\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(checkReadInvariants)
}

func addFixtureSeeds(f *testing.F, ext string) {
	names, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil || len(names) == 0 {
		f.Fatalf("no %s fixtures in testdata to seed from (%v)", ext, err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkReadInvariants holds for any input: Read does not panic; when it
// succeeds, every row is accounted for, and every permit has a name, a
// unique ID, clean food items and a location on the globe or none.
func checkReadInvariants(t *testing.T, input []byte) {
	permits, report, err := Read(bytes.NewReader(input))
	if err != nil {
		if permits != nil {
			t.Fatalf("error %v came with %d permits", err, len(permits))
		}
		return
	}
	if report.RowsRead != report.Usable+report.SkippedTotal() {
		t.Fatalf("RowsRead %d != Usable %d + skipped %v", report.RowsRead, report.Usable, report.Skipped)
	}
	if report.Usable != len(permits) {
		t.Fatalf("Usable %d, but %d permits", report.Usable, len(permits))
	}
	if report.Trucks > report.Usable || report.NoLocation > report.Usable {
		t.Fatalf("Trucks %d / NoLocation %d exceed Usable %d", report.Trucks, report.NoLocation, report.Usable)
	}
	ids := map[string]bool{}
	noLocation := 0
	for _, p := range permits {
		if strings.TrimSpace(p.Applicant) == "" || p.Applicant != strings.TrimSpace(p.Applicant) {
			t.Fatalf("permit %q has applicant %q", p.ID, p.Applicant)
		}
		if p.ID == "" || len(p.ID) > maxIDBytes || ids[p.ID] {
			t.Fatalf("bad or repeated ID %q", p.ID)
		}
		ids[p.ID] = true
		if p.FoodItems == nil {
			t.Fatalf("permit %q: FoodItems is nil, want an empty list", p.ID)
		}
		for _, item := range p.FoodItems {
			if item == "" || strings.ContainsAny(item, ":;") || item != strings.ToLower(item) {
				t.Fatalf("permit %q: food item %q", p.ID, item)
			}
		}
		if loc := p.Location; loc == nil {
			noLocation++
		} else if math.IsNaN(loc.Lat) || math.IsNaN(loc.Lon) || loc.Lat < -90 || loc.Lat > 90 || loc.Lon < -180 || loc.Lon > 180 ||
			loc.Lat == 0 || loc.Lon == 0 {
			t.Fatalf("permit %q: location %+v", p.ID, *loc)
		}
		for _, field := range []string{p.Applicant, p.Address, p.Status, p.FacilityType, p.LocationDescription, p.Hours, p.Schedule} {
			if len(field) > maxFieldBytes || strings.ContainsAny(field, "\x00\n\r") {
				t.Fatalf("permit %q: field not cleaned: %q", p.ID, field)
			}
		}
	}
	if noLocation != report.NoLocation {
		t.Fatalf("NoLocation %d, but %d permits lack a location", report.NoLocation, noLocation)
	}
}
