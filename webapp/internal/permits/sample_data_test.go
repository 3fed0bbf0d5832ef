package permits

import (
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/repo"
)

const (
	sampleJSON = "sf-mobile-food-permits.json"
	sampleCSV  = "sf-mobile-food-permits.sample.csv"
)

// samplePath finds one of the city's sample files, which live beside the
// repository (they are the city's data, not ours to commit).
func samplePath(t testing.TB, name string) string {
	t.Helper()
	return repo.SampleData(t, name)
}
