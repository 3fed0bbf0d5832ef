package search

import (
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// FoodAnalyzer analyses food items: "english" stems at index time, so
// "burritos" is stored as "burrito" and a search for either finds both
// without fuzzy expansion (fuzziness is left for typos). It comes with the
// analysis-common module of every Elasticsearch distribution (the official
// image); the test node provides the same Lucene analyser (esnode/README.md).
const FoodAnalyzer = "english"

// TextAnalyzer analyses names and addresses, which must not be stemmed.
const TextAnalyzer = "standard"

// document is the shape of one permit in the index. It is owned by this
// package (not the domain types) because the mapping below must match it
// field for field: the mapping is strict, so a drift fails loudly at load.
type document struct {
	ID                  string     `json:"id"`
	Permit              string     `json:"permit,omitempty"`
	Applicant           string     `json:"applicant"`
	FacilityType        string     `json:"facilitytype,omitempty"`
	Status              string     `json:"status,omitempty"`
	FoodItems           []string   `json:"fooditems"`
	Drinks              bool       `json:"drinks"`
	Address             string     `json:"address,omitempty"`
	LocationDescription string     `json:"locationdescription,omitempty"`
	Hours               string     `json:"dayshours,omitempty"`
	Schedule            string     `json:"schedule,omitempty"`
	Location            *GeoPoint  `json:"location,omitempty"`
	Expiration          *time.Time `json:"expirationdate,omitempty"`
}

// GeoPoint is a geo_point as stored in a document and returned in hits.
type GeoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

func documentOf(p foodtrucks.Permit) document {
	d := document{
		ID:                  p.ID,
		Permit:              p.PermitNumber,
		Applicant:           p.Applicant,
		FacilityType:        p.FacilityType,
		Status:              p.Status,
		FoodItems:           p.FoodItems,
		Drinks:              p.Drinks,
		Address:             p.Address,
		LocationDescription: p.LocationDescription,
		Hours:               p.Hours,
		Schedule:            p.Schedule,
	}
	if d.FoodItems == nil {
		d.FoodItems = []string{}
	}
	if p.Location != nil {
		d.Location = &GeoPoint{Lat: p.Location.Lat, Lon: p.Location.Lon}
	}
	if !p.Expiration.IsZero() {
		t := p.Expiration.UTC()
		d.Expiration = &t
	}
	return d
}

// indexDefinition is the body of the create-index request: PUT /<index>.
type indexDefinition struct {
	Settings indexSettings `json:"settings"`
	Mappings indexMapping  `json:"mappings"`
}

type indexSettings struct {
	NumberOfShards     string `json:"number_of_shards"`
	AutoExpandReplicas string `json:"auto_expand_replicas"`
}

type indexMapping struct {
	Dynamic    string                  `json:"dynamic"`
	Properties map[string]fieldMapping `json:"properties"`
}

// fieldMapping holds the few mapping parameters this index uses.
type fieldMapping struct {
	Type      string                  `json:"type"`
	Analyzer  string                  `json:"analyzer,omitempty"`
	Index     *bool                   `json:"index,omitempty"`
	DocValues *bool                   `json:"doc_values,omitempty"`
	Fields    map[string]fieldMapping `json:"fields,omitempty"`
}

func newIndexDefinition() indexDefinition {
	notIndexed := false
	text := fieldMapping{Type: "text", Analyzer: TextAnalyzer}
	food := fieldMapping{Type: "text", Analyzer: FoodAnalyzer}
	keyword := fieldMapping{Type: "keyword"}
	storedOnly := fieldMapping{Type: "keyword", Index: &notIndexed, DocValues: &notIndexed}
	applicant := text
	applicant.Fields = map[string]fieldMapping{"keyword": keyword}
	return indexDefinition{
		Settings: indexSettings{
			NumberOfShards: "1", // ~500 small documents: one shard is plenty
			// A replica where there is a second node to hold it; green on a
			// single node (the dev stack) instead of a permanent yellow.
			AutoExpandReplicas: "0-1",
		},
		Mappings: indexMapping{
			Dynamic: "strict",
			Properties: map[string]fieldMapping{
				"id":                  keyword,
				"permit":              keyword,
				"applicant":           applicant,
				"facilitytype":        keyword,
				"status":              keyword,
				"fooditems":           food,
				"drinks":              {Type: "boolean"},
				"address":             text,
				"locationdescription": text,
				"dayshours":           storedOnly,
				"schedule":            storedOnly,
				"location":            {Type: "geo_point"},
				"expirationdate":      {Type: "date"},
			},
		},
	}
}
