package permits

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// The expected counts below were established independently of this package:
// with a one-off Python script over the same files (json.load and
// csv.DictReader; counting distinct applicant names, rows whose latitude or
// longitude is 0, statuses and facility types as given, rows with an
// expirationdate, and food items split on ':' and ';', lower-cased, empty
// and repeated items dropped, a leading "cold truck" item dropped).

func TestSampleJSON(t *testing.T) {
	permits, report, err := Fetch(context.Background(), nil, samplePath(t, sampleJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Format:     FormatSODAJSON,
		RowsRead:   487,
		Usable:     487,
		Trucks:     112,
		NoLocation: 34,
		Statuses:   map[string]int{"APPROVED": 226, "REQUESTED": 114, "EXPIRED": 108, "SUSPEND": 37, "ISSUED": 2},
		FacilityTypes: map[string]int{
			"Truck": 416, "Push Cart": 57, "": 14,
		},
	}
	checkCounts(t, report, want)
	if len(report.Skipped) != 0 || len(report.Repaired) != 0 || len(report.Warnings) != 0 {
		t.Errorf("the city's sample is clean, but got skipped %v, repaired %v, warnings %v",
			report.Skipped, report.Repaired, report.Warnings)
	}

	var items, drinks, withoutItems, withExpiry int
	for _, p := range permits {
		items += len(p.FoodItems)
		if p.Drinks {
			drinks++
		}
		if len(p.FoodItems) == 0 {
			withoutItems++
		}
		if !p.Expiration.IsZero() {
			withExpiry++
		}
	}
	for name, got := range map[string][2]int{
		"food items":                {items, 3901},
		"drinks (cold truck)":       {drinks, 171},
		"permits without food list": {withoutItems, 11},
		"permits with expiration":   {withExpiry, 459},
	} {
		if got[0] != got[1] {
			t.Errorf("%s: got %d, want %d", name, got[0], got[1])
		}
	}

	byID := indexByID(t, permits)
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "1571753", PermitNumber: "21MFF-00015", Applicant: "The Geez Freeze", FacilityType: "Truck", Status: "APPROVED",
		FoodItems:           []string{"snow cones", "soft serve ice cream & frozen virgin daiquiris"},
		Address:             "3750 18TH ST",
		LocationDescription: "18TH ST: DOLORES ST to CHURCH ST (3700 - 3799)",
		Schedule:            "http://bsm.sfdpw.org/PermitsTracker/reports/report.aspx?title=schedule&report=rptSchedule&params=permit=21MFF-00015&ExportPDF=1&Filename=21MFF-00015_schedule.pdf",
		Location:            &foodtrucks.Location{Lat: 37.76201920035647, Lon: -122.42730642251331},
		Expiration:          date(2022, 11, 15),
	})
	// Zero coordinates: kept, searchable, no location; "Hot Dogs:Soda" has no space after the colon.
	got := byID["1598474"]
	if got.Location != nil || got.Applicant != "San Pancho's Tacos" ||
		!equalStrings(got.FoodItems, []string{"tacos", "burritos", "quesadillas", "tortas", "nachos", "hot dogs", "soda", "water", "fruit drinks"}) {
		t.Errorf("permit 1598474 = %+v", got)
	}
	// "COLD TRUCK. Deli: …": drinks, and "deli" survives as a food item.
	got = byID["1163787"]
	if !got.Drinks || got.Applicant != "SOHOMEI, LLC" || len(got.FoodItems) < 3 ||
		!equalStrings(got.FoodItems[:3], []string{"deli", "bbq chicken skewer", "chinese spring roll"}) {
		t.Errorf("permit 1163787 = %+v", got)
	}
	// Items separated by ';' with a trailing separator.
	got = byID["839523"]
	if got.FacilityType != "Push Cart" || !equalStrings(got.FoodItems, []string{"gyro", "chicken over rice", "gyro over rice"}) {
		t.Errorf("permit 839523 = %+v", got)
	}
	// No facility type in the data: kept as "".
	got = byID["1034228"]
	if got.Applicant != "Julie's Hot Dogs" || got.FacilityType != "" || got.Status != "REQUESTED" || got.Location == nil {
		t.Errorf("permit 1034228 = %+v", got)
	}
}

func TestSampleCSV(t *testing.T) {
	permits, report, err := Fetch(context.Background(), nil, samplePath(t, sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, report, Report{
		Format:        FormatCSV,
		RowsRead:      7,
		Usable:        7,
		Trucks:        6,
		NoLocation:    1,
		Statuses:      map[string]int{"APPROVED": 3, "REQUESTED": 3, "EXPIRED": 1},
		FacilityTypes: map[string]int{"Truck": 4, "": 2, "Push Cart": 1},
	})
	byID := indexByID(t, permits)
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "1577173", PermitNumber: "21MFF-00128", Applicant: "BH & MT LLC", FacilityType: "Truck", Status: "APPROVED",
		FoodItems:           []string{"breakfast", "sandwiches", "salads", "pre-packaged snacks", "beverages"},
		Drinks:              true,
		Address:             "170 OTIS ST",
		LocationDescription: `OTIS ST: GOUGH ST \ MCCOPPIN ST to 13TH ST \ DUBOCE AVE \ HWY 101 NORTHBOUND RAMP \ MISSION ST (100 - 199)`,
		Schedule:            "http://bsm.sfdpw.org/PermitsTracker/reports/report.aspx?title=schedule&report=rptSchedule&params=permit=21MFF-00128&ExportPDF=1&Filename=21MFF-00128_schedule.pdf",
		Expiration:          date(2022, 11, 15),
	})
	checkPermit(t, byID, foodtrucks.Permit{
		ID: "934719", PermitNumber: "17MFF-0122", Applicant: "Santana ESG, Inc.", FacilityType: "Truck", Status: "EXPIRED",
		FoodItems:           []string{"tacos", "burritos", "tortas", "quesadillas", "mexican drinks", "aguas frescas"},
		Address:             "1 SANSOME ST",
		LocationDescription: "SANSOME ST: SUTTER ST to BUSH ST (1 - 99)",
		Hours:               "Mo-Fr:11AM-3PM",
		Schedule:            "http://bsm.sfdpw.org/PermitsTracker/reports/report.aspx?title=schedule&report=rptSchedule&params=permit=17MFF-0122&ExportPDF=1&Filename=17MFF-0122_schedule.pdf",
		Location:            &foodtrucks.Location{Lat: 37.790485146128, Lon: -122.40094044068951},
		Expiration:          date(2018, 7, 15),
	})
	// A colon inside the applicant's name is part of the name.
	if got := byID["1577204"].Applicant; got != "The New York Frankfurter Co. of CA, Inc. DBA: Annie's Hot Dogs" {
		t.Errorf("applicant of 1577204 = %q", got)
	}
}

// The JSON and CSV exports of one data set must normalise alike: every CSV
// row that is also in the JSON sample yields the same name, food items,
// drinks flag, expiration and presence of a location. Statuses are not
// compared: the two samples are snapshots of different days, and permit
// 1577204 went from REQUESTED to APPROVED in between.
func TestSampleFormatsAgree(t *testing.T) {
	fromJSON, _, err := Fetch(context.Background(), nil, samplePath(t, sampleJSON))
	if err != nil {
		t.Fatal(err)
	}
	fromCSV, _, err := Fetch(context.Background(), nil, samplePath(t, sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]foodtrucks.Permit{}
	for _, p := range fromJSON {
		byID[p.ID] = p
	}
	compared := 0
	for _, c := range fromCSV {
		j, ok := byID[c.ID]
		if !ok {
			continue
		}
		compared++
		if c.Applicant != j.Applicant || c.Drinks != j.Drinks ||
			!equalStrings(c.FoodItems, j.FoodItems) || !c.Expiration.Equal(j.Expiration) ||
			(c.Location == nil) != (j.Location == nil) {
			t.Errorf("permit %s differs:\n csv  %+v\n json %+v", c.ID, c, j)
		}
	}
	if compared == 0 {
		t.Fatal("no permit is in both samples; nothing was compared")
	}
}

// BenchmarkReadJSON parses the city's 487-row SODA sample from memory.
func BenchmarkReadJSON(b *testing.B) {
	data, err := os.ReadFile(samplePath(b, sampleJSON))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	data, err := os.ReadFile(samplePath(b, sampleCSV))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}
