package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// MaxDocuments is how many permits one search asks for. The whole city has
// about 500; the original app asked for 750.
const MaxDocuments = 1000

// Query and Point are the domain's.
type (
	Query = foodtrucks.Query
	Point = foodtrucks.Point
)

// Fields the text query searches; food items first and weighing most, as in
// the original app which searched nothing else.
var textFields = []string{"fooditems^3", "applicant", "address"}

// sourceFields is what an answer needs of a permit: what the app keeps of
// each document (documents.go).
var sourceFields = []string{"applicant", "fooditems", "drinks", "dayshours", "schedule", "address", "location"}

// SearchRequest is the body of one search: POST /<alias>/_search. Its
// JSON is the query as Elasticsearch sees it (see testdata/query-*.json).
// It asks for no stored fields at all (no _source, not even _id): each hit
// carries its permit id from doc values, and the app completes it from its
// copy of the index's documents (documents.go).
type SearchRequest struct {
	Size           int          `json:"size"`
	Query          queryClause  `json:"query"`
	StoredFields   string       `json:"stored_fields"`
	DocValueFields []string     `json:"docvalue_fields"`
	Sort           []sortClause `json:"sort,omitempty"`
}

// queryClause holds exactly one of its fields: the query types this
// package builds.
type queryClause struct {
	Bool        *boolQuery           `json:"bool,omitempty"`
	Term        map[string]termValue `json:"term,omitempty"`
	MultiMatch  *multiMatchQuery     `json:"multi_match,omitempty"`
	GeoDistance *geoDistanceQuery    `json:"geo_distance,omitempty"`
	MatchAll    *struct{}            `json:"match_all,omitempty"`
}

type boolQuery struct {
	Must   []queryClause `json:"must,omitempty"`
	Filter []queryClause `json:"filter,omitempty"`
}

type termValue struct {
	Value string `json:"value"`
}

type multiMatchQuery struct {
	Query        string   `json:"query"`
	Fields       []string `json:"fields"`
	Fuzziness    string   `json:"fuzziness"`
	PrefixLength int      `json:"prefix_length"`
}

// Fuzziness and FuzzyPrefix bound the typo tolerance, the costliest part of
// a search: no edit for words of up to 3 letters, one up to 7, two from 8
// ("AUTO" allowed one from 3 and two from 6, and expanded "burrito" into
// many times the work), and the first letter must match. Plurals need no
// edit at all: food items are stemmed (FoodAnalyzer).
const (
	Fuzziness   = "AUTO:4,8"
	FuzzyPrefix = 1
)

// geoDistanceQuery and geoDistanceSort name their field in the JSON key;
// the only geo field is "location".
type geoDistanceQuery struct {
	Distance string `json:"distance"`
	Location latLon `json:"location"`
}

type sortClause struct {
	GeoDistance *geoDistanceSort `json:"_geo_distance,omitempty"`
}

type geoDistanceSort struct {
	Location     []latLon `json:"location"`
	Order        string   `json:"order"`
	Unit         string   `json:"unit"`
	DistanceType string   `json:"distance_type"`
}

type latLon struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type sourceFilter struct {
	Includes []string `json:"includes"`
}

// Request builds the Elasticsearch search body for q. Exported for golden
// tests and for anyone debugging a query by hand: its JSON is the body.
func Request(q Query) SearchRequest {
	var filters []queryClause
	if q.Status != "" {
		filters = append(filters, queryClause{Term: map[string]termValue{"status": {Value: q.Status}}})
	}
	if q.FacilityType != "" {
		filters = append(filters, queryClause{Term: map[string]termValue{"facilitytype": {Value: q.FacilityType}}})
	}
	if q.Near != nil {
		filters = append(filters, queryClause{GeoDistance: &geoDistanceQuery{
			Distance: formatMeters(q.RadiusMeters),
			Location: latLon{Lat: q.Near.Lat, Lon: q.Near.Lon},
		}})
	}
	var must []queryClause
	if q.Text != "" {
		must = append(must, queryClause{MultiMatch: &multiMatchQuery{
			Query:        q.Text,
			Fields:       textFields,
			Fuzziness:    Fuzziness,
			PrefixLength: FuzzyPrefix,
		}})
	}
	req := SearchRequest{
		Size:           MaxDocuments,
		Query:          queryClause{Bool: &boolQuery{Must: must, Filter: filters}},
		StoredFields:   "_none_",
		DocValueFields: []string{"id"},
	}
	if q.Near != nil {
		req.Sort = []sortClause{{GeoDistance: &geoDistanceSort{
			Location:     []latLon{{Lat: q.Near.Lat, Lon: q.Near.Lon}},
			Order:        "asc",
			Unit:         "m",
			DistanceType: "arc",
		}}}
	}
	return req
}

func formatMeters(m float64) string {
	return strconv.FormatFloat(m, 'f', -1, 64) + "m"
}

// searchResponse is the part of a search answer this package reads; the
// node sends only that (SearchFilterPath), not the scores, totals and shard
// counts nobody reads.
type searchResponse struct {
	Hits struct {
		Hits []struct {
			Index  string `json:"_index"`
			Fields struct {
				ID []string `json:"id"`
			} `json:"fields"`
			Sort []any `json:"sort"`
		} `json:"hits"`
	} `json:"hits"`
}

// SearchFilterPath is the filter_path of every search: the fields of
// searchResponse.
var SearchFilterPath = []string{"hits.hits._index", "hits.hits.fields.id", "hits.hits.sort"}

// Search runs q against the alias and groups the hits into trucks in the
// original app's response shape; the result names the version that
// answered.
func (c *Client) Search(ctx context.Context, q Query) (foodtrucks.SearchResult, error) {
	res, err := c.searchOnce(ctx, q)
	if errors.Is(err, errIndexGone) {
		// Another replica swapped the alias and deleted the index that
		// answered before its documents could be read: ask the new one.
		res, err = c.searchOnce(ctx, q)
	}
	return res, err
}

func (c *Client) searchOnce(ctx context.Context, q Query) (foodtrucks.SearchResult, error) {
	body, err := jsonBody(Request(q))
	if err != nil {
		return foodtrucks.SearchResult{}, err
	}
	var resp searchResponse
	if err := c.call(ctx, esapi.SearchRequest{Index: []string{c.alias}, Body: body, FilterPath: SearchFilterPath}, &resp); err != nil {
		return foodtrucks.SearchResult{}, err
	}
	index := ""
	hits := make([]Hit, 0, len(resp.Hits.Hits))
	var docs map[string]HitSource
	docsOf := ""
	for i, h := range resp.Hits.Hits {
		if i == 0 {
			index = h.Index
		} else if h.Index != index {
			index = "" // two indices answered (an alias mid-repair): name none
		}
		if len(h.Fields.ID) != 1 {
			return foodtrucks.SearchResult{}, fmt.Errorf("a hit of %s carries %d permit ids, not one", h.Index, len(h.Fields.ID))
		}
		id := h.Fields.ID[0]
		if docs == nil || h.Index != docsOf {
			if docs, err = c.documentsOf(ctx, h.Index); err != nil {
				return foodtrucks.SearchResult{}, err
			}
			docsOf = h.Index
		}
		src, ok := docs[id]
		if !ok {
			// The index was written to after its documents were read:
			// read them again, once.
			c.dropDocuments(h.Index, nil)
			if docs, err = c.documentsOf(ctx, h.Index); err != nil {
				return foodtrucks.SearchResult{}, err
			}
			if src, ok = docs[id]; !ok {
				return foodtrucks.SearchResult{}, fmt.Errorf("%w: %w (%s in %s)", ErrUnavailable, errDocumentMissing, id, h.Index)
			}
		}
		hit := Hit{Source: src}
		if q.Near != nil && len(h.Sort) > 0 {
			if d, ok := toFloat(h.Sort[0]); ok {
				hit.DistanceMeters = &d
			}
		}
		hits = append(hits, hit)
	}
	res := Group(hits, q.Limit)
	res.Version = index
	return res, nil
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
