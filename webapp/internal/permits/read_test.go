package permits

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

func readFixture(t *testing.T, name string) ([]foodtrucks.Permit, Report) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	permits, report, err := Read(f)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return permits, report
}

// testdata/hostile.json holds one row for each way a SODA row can be wrong;
// the comments on each expected permit say what its row tried.
func TestReadHostileJSON(t *testing.T) {
	permits, report := readFixture(t, "hostile.json")
	checkCounts(t, report, Report{
		Format:     FormatSODAJSON,
		RowsRead:   22,
		Usable:     13,
		Trucks:     13,
		NoLocation: 10,
		Skipped: map[string]int{
			skipNotObject:   4, // 42, "just a string", null, []
			skipDuplicateID: 1, // a second objectid 100
			skipNoApplicant: 3, // applicant null, blank, absent
			skipIDTooLong:   1, // a 600-digit objectid
		},
		Repaired: map[string]int{
			fixControlChars:  1, // a NUL in a name
			fixInvalidUTF8:   1, // a raw 0xFF byte
			fixBadCoords:     2, // latitude 91; "north"/"west"
			fixBadDate:       1, // "someday"
			fixWrongJSONType: 1, // a boolean status, an object of food items …
			fixFieldCut:      1, // a 5000-byte food list
		},
		Statuses:      map[string]int{"APPROVED": 1, "": 12},
		FacilityTypes: map[string]int{"Truck": 1, "Push Cart": 1, "": 11},
	})
	byID := indexByID(t, permits)

	// Whitespace collapsed, status upper-cased, items deduplicated, empty ones dropped.
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "100", Applicant: "Good Truck", FacilityType: "Truck", Status: "APPROVED",
		FoodItems:  []string{"tacos", "burritos"},
		Location:   &foodtrucks.Location{Lat: 37.7, Lon: -122.4},
		Expiration: date(2022, 11, 15),
	})
	// Numbers where strings go are read as written; a null status is none.
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "101", Applicant: "12345", Location: &foodtrucks.Location{Lat: 37.75, Lon: -122.45},
	})
	// "Cold Truck" alone: drinks, no food items; the NUL is gone.
	checkPermit(t, byID, foodtrucks.Permit{ID: "105", Applicant: "NulByte Cart", FacilityType: "Push Cart", Drinks: true})
	// Out-of-range coordinates in both fields: no location, still a permit.
	checkPermit(t, byID, foodtrucks.Permit{ID: "106", Applicant: "Out Of Range"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "107", Applicant: "Unparseable"})
	// Zero coordinates, but a GeoJSON point in location: [lon, lat].
	checkPermit(t, byID, foodtrucks.Permit{ID: "108", Applicant: "GeoJSON Point", Location: &foodtrucks.Location{Lat: 37.78, Lon: -122.41}})
	checkPermit(t, byID, foodtrucks.Permit{ID: "109", Applicant: "Odd Types"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "111", Applicant: "Empty Menu"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "112", Applicant: "Cold Deli", FoodItems: []string{"deli", "sandwiches"}, Drinks: true})
	// No objectid: the row number stands in, so the permit can still be indexed.
	checkPermit(t, byID, foodtrucks.Permit{ID: "row-19", Applicant: "No ID Given"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "113", Applicant: "Bad \uFFFD UTF8"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "114", Applicant: `Escaped "Quote" é`})

	huge := byID["110"]
	if len(huge.FoodItems) != 1 || len(huge.FoodItems[0]) != maxFieldBytes {
		t.Errorf("5000-byte food list: got %d items, first %d bytes; want one item cut to %d bytes",
			len(huge.FoodItems), len(huge.FoodItems[0]), maxFieldBytes)
	}
}

// testdata/hostile.csv starts with a BOM, uses CRLF, shuffles and re-cases
// the header, and has one row for each way a CSV record can be wrong.
func TestReadHostileCSV(t *testing.T) {
	permits, report := readFixture(t, "hostile.csv")
	checkCounts(t, report, Report{
		Format:     FormatCSV,
		RowsRead:   13, // the blank line is not a row
		Usable:     7,
		Trucks:     7,
		NoLocation: 3,
		Skipped: map[string]int{
			skipColumnCount: 2, // 3 columns; 11 columns
			skipNoApplicant: 2, // empty; blanks only
			skipDuplicateID: 1, // locationid 200 again
			skipStrayQuote:  1, // Bare "Quote" Truck
		},
		Repaired: map[string]int{
			fixBadCoords:    1, // (-91, 200)
			fixControlChars: 1, // a NUL in a name
			fixBadDate:      1, // 13/45/2022
		},
		Statuses:      map[string]int{"APPROVED": 3, "REQUESTED": 1, "EXPIRED": 1, "SUSPEND": 1, "ISSUED": 1},
		FacilityTypes: map[string]int{"Truck": 5, "Push Cart": 1, "": 1},
	})
	byID := indexByID(t, permits)
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "200", Applicant: "Good Truck", FacilityType: "Truck", Status: "APPROVED",
		FoodItems: []string{"tacos", "burritos"}, Hours: "Mo-Fr:11AM-3PM",
		Location: &foodtrucks.Location{Lat: 37.7, Lon: -122.4}, Expiration: date(2022, 11, 15),
	})
	// Quoted fields with line breaks; zero Latitude/Longitude but a usable Location column.
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "201", Applicant: "Multi Line Cart", FacilityType: "Push Cart", Status: "REQUESTED",
		FoodItems: []string{"hot dogs", "soda"}, Location: &foodtrucks.Location{Lat: 37.79, Lon: -122.40},
	})
	checkPermit(t, byID, foodtrucks.Permit{ID: "205", Applicant: "Cold Only", FacilityType: "Truck", Status: "EXPIRED", Drinks: true})
	checkPermit(t, byID, foodtrucks.Permit{ID: "206", Applicant: "Empty Menu", Status: "SUSPEND"})
	checkPermit(t, byID, foodtrucks.Permit{ID: "207", Applicant: "Far Away", FacilityType: "Truck", Status: "ISSUED", FoodItems: []string{"pie"}})
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "208", Applicant: "NulByte", FacilityType: "Truck", Status: "APPROVED", FoodItems: []string{"pie"},
		Location: &foodtrucks.Location{Lat: 37.7, Lon: -122.4},
	})
	// Last line without a line break; ';' separators; lower-case status.
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "211", Applicant: "Last Truck", FacilityType: "Truck", Status: "APPROVED",
		FoodItems: []string{"coffee", "tea"}, Location: &foodtrucks.Location{Lat: 37.76, Lon: -122.42},
	})
}

// A quote left open runs to the end of the file: that record is skipped and
// counted, and the rows before it are kept.
func TestReadUnterminatedQuoteCSV(t *testing.T) {
	permits, report := readFixture(t, "unterminated.csv")
	checkCounts(t, report, Report{
		Format: FormatCSV, RowsRead: 2, Usable: 1, Trucks: 1, NoLocation: 1,
		Skipped: map[string]int{skipBadQuote: 1},
	})
	if len(permits) != 1 || permits[0].Applicant != "Fine Truck" {
		t.Errorf("permits = %+v, want only Fine Truck", permits)
	}
}

// Inputs that are unusable as a whole are errors that say why, and return
// no permits, so a caller never loads part of a broken file.
func TestReadRejectsUnusableInput(t *testing.T) {
	for _, tc := range []struct {
		name, input, wantInError string
	}{
		{"empty", "", "empty"},
		{"only white space", " \r\n\t ", "empty"},
		{"SODA error object", `{"code":"query.compiler.malformed","error":true,"message":"Unknown column"}`, "JSON object"},
		{"JSON cut off mid-row", `[{"applicant":"A"},{"applicant":"B`, "broke off after 1 rows"},
		{"JSON cut off after a row", `[{"applicant":"A"},`, "broke off after 1 rows"},
		{"JSON array never closed", `[{"applicant":"A"}`, "broke off after 1 rows"},
		{"JSON syntax error", `[{"applicant":"A"} {"applicant":"B"}]`, "broke off"},
		{"data after the array", `[{"applicant":"A"}] [`, "after the JSON array"},
		{"HTML error page", "<!DOCTYPE html>\n<html><body>Service unavailable</body></html>", "lacks applicant, fooditems"},
		{"CSV of something else", "name,price\ntaco,3\n", "lacks applicant, fooditems"},
		{"CSV without food items", "Applicant,Status\nA,APPROVED\n", "lacks fooditems"},
		{"header with a stray quote", "applicant,food\"items\nA,B\n", "neither a JSON array nor a CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			permits, _, err := Read(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Read(%q) succeeded with %d permits; want an error", tc.input, len(permits))
			}
			if !errors.Is(err, ErrUnusableInput) {
				t.Errorf("error %v is not ErrUnusableInput", err)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("error %q does not mention %q", err, tc.wantInError)
			}
			if permits != nil {
				t.Errorf("got %d permits alongside the error", len(permits))
			}
		})
	}
}

// Inputs that are odd but usable are read, not rejected.
func TestReadAcceptsOddButUsableInput(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		format      string
		usable      int
		warnings    int
	}{
		{"empty array", "[]", FormatSODAJSON, 0, 1},
		{"BOM and blank lines before JSON", "\uFEFF\n\n  [{\"applicant\":\"A\"}]\n", FormatSODAJSON, 1, 0},
		{"header-only CSV", "applicant,fooditems\r\n", FormatCSV, 0, 1},
		{"CSV with columns in another order and case", "FOOD_ITEMS,Location ID,APPLICANT\nTacos,7,A\n", FormatCSV, 1, 0},
		{"duplicate header column, first wins", "applicant,fooditems,applicant\nA,Tacos,B\n", FormatCSV, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			permits, report, err := Read(strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if report.Format != tc.format || len(permits) != tc.usable || report.Usable != tc.usable || len(report.Warnings) != tc.warnings {
				t.Errorf("format %q, %d permits (report %d), warnings %q; want %q, %d, %d warnings",
					report.Format, len(permits), report.Usable, report.Warnings, tc.format, tc.usable, tc.warnings)
			}
			for _, p := range permits {
				if p.Applicant != "A" {
					t.Errorf("applicant %q, want A", p.Applicant)
				}
			}
		})
	}
}

func TestSplitFoodItems(t *testing.T) {
	for _, tc := range []struct {
		in     string
		items  []string
		drinks bool
	}{
		{"", []string{}, false},
		{"Tacos", []string{"tacos"}, false},
		{" Tacos :Burritos:  ", []string{"tacos", "burritos"}, false},
		{"Mexican; Burritos: Burrito Bowls", []string{"mexican", "burritos", "burrito bowls"}, false},
		{":::;;;", []string{}, false},
		{"Cold Truck", []string{}, true},
		{"Cold Truck: Soda", []string{"soda"}, true},
		{"COLD TRUCK. Deli: Soda", []string{"deli", "soda"}, true},
		{": Cold Truck: Soda", []string{"soda"}, true}, // the first item that has words
		{"Soda: Cold Truck", []string{"soda", "cold truck"}, false},
		{"Tacos: tacos: TACOS", []string{"tacos"}, false},
	} {
		items, drinks := splitFoodItems(tc.in)
		if !equalStrings(items, tc.items) || drinks != tc.drinks || items == nil {
			t.Errorf("splitFoodItems(%q) = %q, %v; want %q, %v", tc.in, items, drinks, tc.items, tc.drinks)
		}
	}
}

func TestParseLatLon(t *testing.T) {
	for _, tc := range []struct {
		lat, lon string
		want     *foodtrucks.Location
		bad      bool
	}{
		{"37.7", "-122.4", &foodtrucks.Location{Lat: 37.7, Lon: -122.4}, false},
		{"", "", nil, false},
		{"37.7", "", nil, false},
		{"0", "0", nil, false},
		{"0.0", "-122.4", nil, false},
		{"90", "180", &foodtrucks.Location{Lat: 90, Lon: 180}, false},
		{"90.0001", "10", nil, true},
		{"10", "-180.5", nil, true},
		{"NaN", "10", nil, true},
		{"Inf", "10", nil, true},
		{"1e400", "10", nil, true},
		{"37,7", "-122,4", nil, true},
	} {
		got, bad := parseLatLon(tc.lat, tc.lon)
		if bad != tc.bad || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("parseLatLon(%q, %q) = %v, %v; want %v, %v", tc.lat, tc.lon, got, bad, tc.want, tc.bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339, or "" for unreadable
	}{
		{"2022-11-15T00:00:00.000", "2022-11-15T00:00:00Z"},
		{"2022-11-15T00:00:00", "2022-11-15T00:00:00Z"},
		{"11/15/2022 12:00:00 AM", "2022-11-15T00:00:00Z"},
		{"11/15/2022", "2022-11-15T00:00:00Z"},
		{"2022-11-15", "2022-11-15T00:00:00Z"},
		{"13/45/2022", ""},
		{"someday", ""},
	} {
		got, ok := parseDate(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("parseDate(%q) = %v; want unreadable", tc.in, got)
			}
			continue
		}
		if !ok || got.Format("2006-01-02T15:04:05Z07:00") != tc.want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
}

// The inspect summary of the hostile fixture is kept as a golden file, so a
// change to the operator's view is a visible diff. Run with -update-golden
// to rewrite it.
func TestWriteTextGolden(t *testing.T) {
	for _, name := range []string{"hostile.json", "hostile.csv"} {
		t.Run(name, func(t *testing.T) {
			_, report := readFixture(t, name)
			var out bytes.Buffer
			if err := report.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			repo.Golden(t, filepath.Join("testdata", name+".report.txt"), out.Bytes())
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextReportsWriteErrors(t *testing.T) {
	_, report := readFixture(t, "hostile.json")
	if err := report.WriteText(failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteText to a failing writer: error = %v, want the writer's error", err)
	}
}

func TestParseCombinedLocation(t *testing.T) {
	for _, tc := range []struct{ in, lat, lon string }{
		{"(37.805885350100986, -122.41594524663745)", "37.805885350100986", "-122.41594524663745"},
		{" (0.0, 0.0) ", "0.0", "0.0"},
		{"POINT (-122.4159 37.8058)", "37.8058", "-122.4159"},
		{"point(-122.4159 37.8058)", "37.8058", "-122.4159"},
		{"POINT (-122.4159)", "", ""},
		{"", "", ""},
		{"somewhere", "", ""},
	} {
		lat, lon := parseCombinedLocation(tc.in)
		if lat != tc.lat || lon != tc.lon {
			t.Errorf("parseCombinedLocation(%q) = %q, %q; want %q, %q", tc.in, lat, lon, tc.lat, tc.lon)
		}
	}
}
