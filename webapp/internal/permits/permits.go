// Package permits reads the SF Mobile Food Facility Permit data set, in the
// SODA JSON the city's open-data API serves or in the portal's CSV export,
// and turns its rows into normalised foodtrucks.Permit values.
//
// Real rows are messy (zero coordinates, empty food items, missing facility
// types, several permits per vendor), and a download can be hostile or
// broken. A bad row never aborts a load: it is skipped and counted by reason
// in the Report, so an operator can see what was left out and why. Only an
// input that is unusable as a whole (not a JSON array, not a CSV with the
// expected header, cut off half way) is an error.
package permits

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
)

// Input formats, as reported in Report.Format.
const (
	FormatSODAJSON = "soda-json"
	FormatCSV      = "csv"
)

// ErrUnusableInput marks errors about the input as a whole (as opposed to
// I/O or network failures), so callers can tell "the file is wrong" from
// "the disk or the network is".
var ErrUnusableInput = errors.New("unusable permit data")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Read parses SODA JSON or the portal's CSV export from r and normalises
// each row. The format is detected from the content, not from any name: a
// leading '[' means JSON, anything else is read as CSV.
//
// Every usable permit has a non-empty Applicant and a unique non-empty ID.
// Read returns an error only when the input is unusable as a whole; the
// Report then still describes what was read before the problem, but no
// permits are returned, so a caller never loads half of a broken file.
func Read(r io.Reader) ([]foodtrucks.Permit, Report, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	if err := skipBOM(br); err != nil {
		return nil, newReport(""), err
	}
	first, err := peekFirstNonSpace(br)
	if err != nil {
		return nil, newReport(""), err
	}
	switch first {
	case '[':
		return readJSON(br)
	case '{':
		return nil, newReport(FormatSODAJSON), fmt.Errorf("%w: expected a JSON array of rows, got a JSON object (an API error message?): %s",
			ErrUnusableInput, snippet(br))
	default:
		return readCSV(br)
	}
}

func skipBOM(br *bufio.Reader) error {
	head, err := br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if bytes.Equal(head, utf8BOM) {
		_, err := br.Discard(len(utf8BOM))
		return err
	}
	return nil
}

// peekFirstNonSpace discards leading whitespace and returns the next byte
// without consuming it.
func peekFirstNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: the input is empty", ErrUnusableInput)
		}
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// snippet quotes the start of what is left in br, for error messages about
// inputs that are not permit data at all (an HTML error page, say).
func snippet(br *bufio.Reader) string {
	head, _ := br.Peek(80)
	return strconv.Quote(string(bytes.ToValidUTF8(head, []byte("?"))))
}
