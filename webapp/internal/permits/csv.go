package permits

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// CSV columns the parser uses, named as headerKey normalises them, so
// "FoodItems", "fooditems" and "Food Items" are one column.
const (
	colLocationID   = "locationid"
	colObjectID     = "objectid"
	colApplicant    = "applicant"
	colFacilityType = "facilitytype"
	colLocationDesc = "locationdescription"
	colAddress      = "address"
	colPermit       = "permit"
	colStatus       = "status"
	colFoodItems    = "fooditems"
	colLatitude     = "latitude"
	colLongitude    = "longitude"
	colSchedule     = "schedule"
	colDaysHours    = "dayshours"
	colExpiration   = "expirationdate"
	colLocation     = "location"
)

// requiredColumns are the columns without which a file cannot be the
// permit data set: the vendor's name and what it sells.
var requiredColumns = []string{colApplicant, colFoodItems}

func readCSV(br *bufio.Reader) ([]foodtrucks.Permit, Report, error) {
	c := newCollector(FormatCSV)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // a row of the wrong width is skipped, not fatal
	// Quotes are read strictly, as the portal writes them: a lenient reader
	// would let one stray quote swallow the lines after it into one field.
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err != nil {
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			return nil, c.report, fmt.Errorf("%w: neither a JSON array nor a CSV file: %v", ErrUnusableInput, err)
		}
		return nil, c.report, fmt.Errorf("reading the CSV header: %w", err)
	}
	columns := map[string]int{}
	for i, name := range header {
		key := headerKey(name)
		if _, dup := columns[key]; !dup {
			columns[key] = i
		}
	}
	var missing []string
	for _, name := range requiredColumns {
		if _, ok := columns[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, c.report, fmt.Errorf("%w: neither a JSON array nor a permit CSV: the header lacks %s; it starts %s",
			ErrUnusableInput, strings.Join(missing, ", "), quoteStart(strings.Join(header, ",")))
	}
	width := len(header)
	field := func(record []string, name string) string {
		if i, ok := columns[name]; ok {
			return record[i]
		}
		return ""
	}

	for {
		record, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			var parseErr *csv.ParseError
			if errors.As(err, &parseErr) {
				if errors.Is(parseErr.Err, csv.ErrBareQuote) {
					c.skip(skipStrayQuote)
				} else {
					c.skip(skipBadQuote)
				}
				continue
			}
			return nil, c.report, fmt.Errorf("reading CSV after %d rows: %w", c.report.RowsRead, err)
		}
		if len(record) != width {
			c.skip(skipColumnCount)
			continue
		}
		id := field(record, colLocationID)
		if id == "" {
			id = field(record, colObjectID)
		}
		lat, lon := parseCombinedLocation(field(record, colLocation))
		c.add(rawRow{
			ID:                  id,
			PermitNumber:        field(record, colPermit),
			Applicant:           field(record, colApplicant),
			FacilityType:        field(record, colFacilityType),
			Status:              field(record, colStatus),
			FoodItems:           field(record, colFoodItems),
			Address:             field(record, colAddress),
			LocationDescription: field(record, colLocationDesc),
			Hours:               field(record, colDaysHours),
			Schedule:            field(record, colSchedule),
			Expiration:          field(record, colExpiration),
			Latitude:            field(record, colLatitude),
			Longitude:           field(record, colLongitude),
			LocationLat:         lat,
			LocationLon:         lon,
		})
	}
	permits, report := c.finish()
	return permits, report, nil
}

// headerKey folds a column name to lower-case letters and digits, so that
// case, spaces and underscores do not matter.
func headerKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func quoteStart(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", strings.ToValidUTF8(s, "?"))
}
