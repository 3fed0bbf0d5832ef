package search

import (
	"slices"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// Hit is one permit as a search returns it.
type Hit struct {
	Source         HitSource
	DistanceMeters *float64 // geo searches only
}

// HitSource is the part of a document a search asks for (see sourceFields).
type HitSource struct {
	Applicant string    `json:"applicant"`
	FoodItems []string  `json:"fooditems"`
	Drinks    bool      `json:"drinks"`
	Hours     string    `json:"dayshours"`
	Schedule  string    `json:"schedule"`
	Address   string    `json:"address"`
	Location  *GeoPoint `json:"location"`
}

// Group folds permits into trucks, one per vendor, in the order the hits
// came (relevance, or distance for geo searches), as the original app did.
// A vendor's food items are the union over its permits; permits without
// coordinates add no branch, since there is nothing to plot. limit > 0 keeps
// the first limit trucks.
func Group(hits []Hit, limit int) foodtrucks.SearchResult {
	res := foodtrucks.SearchResult{Trucks: []foodtrucks.Truck{}, Status: "success"}
	byName := make(map[string]int, len(hits))
	for _, h := range hits {
		s := h.Source
		i, ok := byName[s.Applicant]
		if !ok {
			if limit > 0 && len(res.Trucks) == limit {
				continue
			}
			i = len(res.Trucks)
			byName[s.Applicant] = i
			res.Trucks = append(res.Trucks, foodtrucks.Truck{
				Name:      s.Applicant,
				FoodItems: []string{},
				Branches:  []foodtrucks.Branch{},
			})
		}
		t := &res.Trucks[i]
		// A vendor's list is a few dozen items at most: a scan is
		// cheaper than a set per vendor.
		for _, item := range s.FoodItems {
			if !slices.Contains(t.FoodItems, item) {
				t.FoodItems = append(t.FoodItems, item)
			}
		}
		t.Drinks = t.Drinks || s.Drinks
		if s.Location == nil {
			continue
		}
		t.Branches = append(t.Branches, foodtrucks.Branch{
			Hours:          s.Hours,
			Schedule:       s.Schedule,
			Address:        s.Address,
			Location:       foodtrucks.BranchLocation{Latitude: s.Location.Lat, Longitude: s.Location.Lon},
			DistanceMeters: h.DistanceMeters,
		})
		res.Locations++
	}
	res.Hits = len(res.Trucks)
	return res
}
