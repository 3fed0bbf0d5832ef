package permits

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// checkCounts compares the numeric parts of a report; maps left nil in want
// are not compared, an empty map means "must be empty".
func checkCounts(t *testing.T, got, want Report) {
	t.Helper()
	if got.Format != want.Format {
		t.Errorf("Format = %q, want %q", got.Format, want.Format)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"RowsRead", got.RowsRead, want.RowsRead},
		{"Usable", got.Usable, want.Usable},
		{"Trucks", got.Trucks, want.Trucks},
		{"NoLocation", got.NoLocation, want.NoLocation},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, m := range []struct {
		name      string
		got, want map[string]int
	}{
		{"Skipped", got.Skipped, want.Skipped},
		{"Repaired", got.Repaired, want.Repaired},
		{"Statuses", got.Statuses, want.Statuses},
		{"FacilityTypes", got.FacilityTypes, want.FacilityTypes},
	} {
		if m.want != nil && !maps.Equal(m.got, m.want) {
			t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
		}
	}
	if got.RowsRead != got.Usable+got.SkippedTotal() {
		t.Errorf("RowsRead %d != Usable %d + skipped %d", got.RowsRead, got.Usable, got.SkippedTotal())
	}
}

func indexByID(t *testing.T, permits []foodtrucks.Permit) map[string]foodtrucks.Permit {
	t.Helper()
	byID := make(map[string]foodtrucks.Permit, len(permits))
	for _, p := range permits {
		if _, dup := byID[p.ID]; dup {
			t.Errorf("ID %q appears twice", p.ID)
		}
		byID[p.ID] = p
	}
	return byID
}

func checkPermit(t *testing.T, byID map[string]foodtrucks.Permit, want foodtrucks.Permit) {
	t.Helper()
	got, ok := byID[want.ID]
	if !ok {
		t.Errorf("permit %s missing", want.ID)
		return
	}
	if want.FoodItems == nil {
		want.FoodItems = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("permit %s:\n got  %+v (location %v)\n want %+v (location %v)", want.ID, got, got.Location, want, want.Location)
	}
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }
