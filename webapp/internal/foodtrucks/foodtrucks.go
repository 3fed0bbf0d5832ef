// Package foodtrucks holds the domain types of the SF Food Trucks app: permits
// as loaded from the city's data set, and trucks as the search API returns
// them, the query that finds them, and the kinds of error a search can end
// in. It imports nothing beyond the standard library.
package foodtrucks

import (
	"context"
	"errors"
	"time"
)

// Permit is one row of the SF Mobile Food Facility Permit data set after
// normalisation. One vendor (Applicant) usually holds several permits, one
// per location.
type Permit struct {
	ID                  string    `json:"id"`           // objectid (SODA) or locationid (CSV)
	PermitNumber        string    `json:"permit"`       // e.g. 21MFF-00015
	Applicant           string    `json:"applicant"`    // the vendor's name
	FacilityType        string    `json:"facilitytype"` // "Truck", "Push Cart" or "" when missing
	Status              string    `json:"status"`       // APPROVED, REQUESTED, EXPIRED, SUSPEND, ISSUED …
	FoodItems           []string  `json:"fooditems"`    // split on ':', trimmed, lower-cased, "cold truck" removed
	Drinks              bool      `json:"drinks"`       // the food items started with "Cold Truck"
	Address             string    `json:"address"`
	LocationDescription string    `json:"locationdescription"`
	Hours               string    `json:"dayshours"`
	Schedule            string    `json:"schedule"` // URL of the permit's schedule PDF
	Location            *Location `json:"location,omitempty"`
	Expiration          time.Time `json:"expirationdate,omitzero"`
}

// Location is a WGS84 point. A permit whose coordinates are missing or zero
// has no Location at all, never a zero one.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Truck is one vendor in a search result: the original app's response shape.
type Truck struct {
	Name      string   `json:"name"`
	FoodItems []string `json:"fooditems"`
	Branches  []Branch `json:"branches"`
	Drinks    bool     `json:"drinks"`
}

// Branch is one place where a truck stands. Trucks whose permits have no
// coordinates have no branches to plot.
type Branch struct {
	Hours    string         `json:"hours"`
	Schedule string         `json:"schedule"`
	Address  string         `json:"address"`
	Location BranchLocation `json:"location"`
	// DistanceMeters is set by geo searches only.
	DistanceMeters *float64 `json:"distance,omitempty"`
}

// BranchLocation keeps the original API's field names, which old clients read.
type BranchLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// SearchResult is the body of a successful GET /search.
type SearchResult struct {
	Trucks    []Truck `json:"trucks"`
	Hits      int     `json:"hits"`      // number of trucks
	Locations int     `json:"locations"` // number of branches over all trucks
	Status    string  `json:"status"`    // "success"

	// Version names the data version (the index) that answered; "" when
	// nothing matched, or more than one answered. Not part of the answer.
	Version string `json:"-"`
}

// Query is one search. Text is matched as plain words (never as a query
// syntax); Near plus RadiusMeters restrict to a circle and sort by distance.
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

// Searcher answers searches.
type Searcher interface {
	Search(ctx context.Context, q Query) (SearchResult, error)
}

// The kinds of error a search or a readiness check ends in; adapters wrap
// them with the cause, and the HTTP layer maps each to a status.
var (
	// ErrUnavailable: the search engine could not be reached or failed on
	// its side. Try again later.
	ErrUnavailable = errors.New("search engine unavailable")
	// ErrNotLoaded: the engine answers but no data has been loaded yet.
	ErrNotLoaded = errors.New("no data loaded yet")
	// ErrNeedsOperator: the data is in a state no load repairs by itself;
	// the error's text says what to do.
	ErrNeedsOperator = errors.New("the data needs an operator")
	// ErrBusy: too many searches in flight; try again in a moment.
	ErrBusy = errors.New("too many searches in flight")
)
