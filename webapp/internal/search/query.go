package search

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/distanceunit"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/geodistancetype"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// MaxDocuments is how many permits one search asks for. The whole city has
// about 500; the original app asked for 750.
const MaxDocuments = 1000

// Query is one search as the API understands it. Text is matched as plain
// words (never as Lucene syntax); Near plus RadiusMeters restrict to a
// circle and sort by distance.
type Query struct {
	Text         string
	Near         *Point
	RadiusMeters float64
	Status       string // exact permit status, "" = any
	FacilityType string // exact facility type, "" = any
	Limit        int    // maximum trucks in the answer, 0 = all
}

// Point is a WGS84 coordinate.
type Point struct {
	Lat float64
	Lon float64
}

// Fields the text query searches; food items weigh most, as in the original
// app which searched nothing else.
var textFields = []string{"fooditems^3", "applicant", "address"}

// sourceFields keeps hits small: only what the answer needs.
var sourceFields = []string{"applicant", "fooditems", "drinks", "dayshours", "schedule", "address", "location"}

// Request builds the Elasticsearch search body for q. Exported for golden
// tests and for anyone debugging a query by hand.
func Request(q Query) *search.Request {
	size := MaxDocuments
	var filters []types.Query
	if q.Status != "" {
		filters = append(filters, types.Query{Term: map[string]types.TermQuery{"status": {Value: q.Status}}})
	}
	if q.FacilityType != "" {
		filters = append(filters, types.Query{Term: map[string]types.TermQuery{"facilitytype": {Value: q.FacilityType}}})
	}
	if q.Near != nil {
		filters = append(filters, types.Query{GeoDistance: &types.GeoDistanceQuery{
			Distance:         formatMeters(q.RadiusMeters),
			GeoDistanceQuery: map[string]types.GeoLocation{"location": types.LatLonGeoLocation{Lat: types.Float64(q.Near.Lat), Lon: types.Float64(q.Near.Lon)}},
		}})
	}
	var must []types.Query
	if q.Text != "" {
		must = append(must, types.Query{MultiMatch: &types.MultiMatchQuery{
			Query:     q.Text,
			Fields:    textFields,
			Fuzziness: "AUTO",
		}})
	}
	req := &search.Request{
		Size:    &size,
		Query:   &types.Query{Bool: &types.BoolQuery{Must: must, Filter: filters}},
		Source_: types.SourceFilter{Includes: sourceFields},
	}
	if q.Near != nil {
		order := sortorder.Asc
		unit := distanceunit.Meters
		arc := geodistancetype.Arc
		req.Sort = []types.SortCombinations{types.SortOptions{GeoDistance_: &types.GeoDistanceSort{
			GeoDistanceSort: map[string][]types.GeoLocation{"location": {types.LatLonGeoLocation{Lat: types.Float64(q.Near.Lat), Lon: types.Float64(q.Near.Lon)}}},
			Order:           &order,
			Unit:            &unit,
			DistanceType:    &arc,
		}}}
	}
	return req
}

func formatMeters(m float64) string {
	return strconv.FormatFloat(m, 'f', -1, 64) + "m"
}

// Search runs q against the alias and groups the hits into trucks in the
// original app's response shape.
func (c *Client) Search(ctx context.Context, q Query) (foodtrucks.SearchResult, error) {
	resp, err := c.es.Search().Index(c.alias).Request(Request(q)).Do(ctx)
	if err != nil {
		return foodtrucks.SearchResult{}, classify(err)
	}
	hits := make([]Hit, 0, len(resp.Hits.Hits))
	for _, h := range resp.Hits.Hits {
		var hit Hit
		if err := json.Unmarshal(h.Source_, &hit.Source); err != nil {
			return foodtrucks.SearchResult{}, fmt.Errorf("decode hit: %w", err)
		}
		if q.Near != nil && len(h.Sort) > 0 {
			if d, ok := toFloat(h.Sort[0]); ok {
				hit.DistanceMeters = &d
			}
		}
		hits = append(hits, hit)
	}
	return Group(hits, q.Limit), nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}
