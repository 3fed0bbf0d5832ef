package permits

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// sodaRow is one element of the SODA JSON array. SODA serves every column
// as a string, but hand-made or re-exported files carry numbers and nulls
// too, so each field takes whatever scalar it is given.
type sodaRow struct {
	ObjectID            flexString   `json:"objectid"`
	Applicant           flexString   `json:"applicant"`
	FacilityType        flexString   `json:"facilitytype"`
	LocationDescription flexString   `json:"locationdescription"`
	Address             flexString   `json:"address"`
	Permit              flexString   `json:"permit"`
	Status              flexString   `json:"status"`
	FoodItems           flexString   `json:"fooditems"`
	Latitude            flexString   `json:"latitude"`
	Longitude           flexString   `json:"longitude"`
	Schedule            flexString   `json:"schedule"`
	DaysHours           flexString   `json:"dayshours"`
	ExpirationDate      flexString   `json:"expirationdate"`
	Location            sodaLocation `json:"location"`
}

func readJSON(br *bufio.Reader) ([]foodtrucks.Permit, Report, error) {
	c := newCollector(FormatSODAJSON)
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil { // the '[' Read has peeked
		return nil, c.report, jsonError(c, dec, err)
	}
	for dec.More() {
		var element json.RawMessage
		if err := dec.Decode(&element); err != nil {
			return nil, c.report, jsonError(c, dec, err)
		}
		if element[0] != '{' {
			c.skip(skipNotObject)
			continue
		}
		var row sodaRow
		if err := json.Unmarshal(element, &row); err != nil {
			// Not expected: every field type accepts any JSON value.
			c.skip(skipNotObject)
			continue
		}
		c.add(row.raw())
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, c.report, jsonError(c, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, c.report, fmt.Errorf("%w: unexpected data after the JSON array (byte %d)", ErrUnusableInput, dec.InputOffset())
	}
	permits, report := c.finish()
	return permits, report, nil
}

// jsonError explains a JSON stream that broke off: a cut-off download or a
// file that is not JSON at all. Reading errors pass through unchanged, so
// callers can still see a size limit or a cancelled context.
func jsonError(c *collector, dec *json.Decoder, err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: JSON broke off after %d rows, near byte %d (a cut-off download?): %v",
			ErrUnusableInput, c.report.RowsRead, dec.InputOffset(), err)
	default:
		return fmt.Errorf("reading JSON after %d rows: %w", c.report.RowsRead, err)
	}
}

func (r sodaRow) raw() rawRow {
	return rawRow{
		ID:                  r.ObjectID.value,
		PermitNumber:        r.Permit.value,
		Applicant:           r.Applicant.value,
		FacilityType:        r.FacilityType.value,
		Status:              r.Status.value,
		FoodItems:           r.FoodItems.value,
		Address:             r.Address.value,
		LocationDescription: r.LocationDescription.value,
		Hours:               r.DaysHours.value,
		Schedule:            r.Schedule.value,
		Expiration:          r.ExpirationDate.value,
		Latitude:            r.Latitude.value,
		Longitude:           r.Longitude.value,
		LocationLat:         r.Location.lat,
		LocationLon:         r.Location.lon,
		wrongTypes: r.ObjectID.wrongType || r.Applicant.wrongType || r.FacilityType.wrongType ||
			r.LocationDescription.wrongType || r.Address.wrongType || r.Permit.wrongType ||
			r.Status.wrongType || r.FoodItems.wrongType || r.Latitude.wrongType ||
			r.Longitude.wrongType || r.Schedule.wrongType || r.DaysHours.wrongType ||
			r.ExpirationDate.wrongType || r.Location.wrongType,
	}
}

// flexString takes a JSON string, or a number as written, or null as "".
// Objects, arrays and booleans become "" and are flagged. It never fails, so
// one odd field cannot cost the whole row.
type flexString struct {
	value     string
	wrongType bool
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case '"':
		if bytes.IndexByte(b, '\\') < 0 {
			f.value = string(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err == nil {
			f.value = s
		}
	case 'n': // null
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f.value = string(b)
	default:
		f.wrongType = true
	}
	return nil
}

// sodaLocation is SODA's location column: an object with string latitude
// and longitude (the legacy "location" type), or a GeoJSON point with
// coordinates [lon, lat] (the newer "point" type).
type sodaLocation struct {
	lat, lon  string
	wrongType bool
}

func (l *sodaLocation) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' {
		return nil
	}
	if b[0] != '{' {
		l.wrongType = true
		return nil
	}
	var fields struct {
		Latitude    flexString        `json:"latitude"`
		Longitude   flexString        `json:"longitude"`
		Coordinates []json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(b, &fields); err != nil {
		// Only the coordinates can fail (not an array); the rest is read.
		l.wrongType = true
	}
	l.lat, l.lon = fields.Latitude.value, fields.Longitude.value
	if l.lat == "" && l.lon == "" && len(fields.Coordinates) == 2 {
		var lon, lat flexString
		_ = lon.UnmarshalJSON(fields.Coordinates[0])
		_ = lat.UnmarshalJSON(fields.Coordinates[1])
		l.lat, l.lon = lat.value, lon.value
	}
	return nil
}
