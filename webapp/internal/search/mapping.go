package search

import (
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/create"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/dynamicmapping"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// TextAnalyzer analyses food items, names and addresses. "standard" ships in
// the server core, so the mapping works on any Elasticsearch 8 node,
// including one assembled without the analysis-common module. "english"
// (stemming: "burritos" ~ "burrito") would need that module; this is the one
// place to change, and fuzziness covers plurals meanwhile.
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

// indexDefinition is the body of the create-index request.
func indexDefinition() *create.Request {
	analyzer := TextAnalyzer
	shards := "1" // ~500 small documents: one shard is plenty
	notIndexed := false
	strict := dynamicmapping.Strict
	text := func() types.Property { return &types.TextProperty{Analyzer: &analyzer} }
	storedOnly := func() types.Property {
		return &types.KeywordProperty{Index: &notIndexed, DocValues: &notIndexed}
	}
	return &create.Request{
		Settings: &types.IndexSettings{
			NumberOfShards: &shards,
			// A replica where there is a second node to hold it; green on a
			// single node (the dev stack) instead of a permanent yellow.
			AutoExpandReplicas: "0-1",
		},
		Mappings: &types.TypeMapping{
			Dynamic: &strict,
			Properties: map[string]types.Property{
				"id":     &types.KeywordProperty{},
				"permit": &types.KeywordProperty{},
				"applicant": &types.TextProperty{
					Analyzer: &analyzer,
					Fields:   map[string]types.Property{"keyword": &types.KeywordProperty{}},
				},
				"facilitytype":        &types.KeywordProperty{},
				"status":              &types.KeywordProperty{},
				"fooditems":           text(),
				"drinks":              &types.BooleanProperty{},
				"address":             text(),
				"locationdescription": text(),
				"dayshours":           storedOnly(),
				"schedule":            storedOnly(),
				"location":            &types.GeoPointProperty{},
				"expirationdate":      &types.DateProperty{},
			},
		},
	}
}
