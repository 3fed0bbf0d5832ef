package permits

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Report says what a read found: how many rows there were, how many became
// permits, and why the others were left out. Its maps are never nil after
// Read or Fetch.
type Report struct {
	Source   string // the file or URL read; empty when Read was given a plain reader
	Format   string // FormatSODAJSON or FormatCSV; empty when the input was not recognised
	RowsRead int    // data rows seen (array elements, or CSV records after the header)
	Usable   int    // rows that became permits
	Trucks   int    // distinct applicants with at least one usable permit
	// Skipped counts the rows left out, by a short reason.
	// RowsRead == Usable + the sum of Skipped.
	Skipped map[string]int
	// NoLocation counts usable permits without coordinates: still searchable
	// by name and food, but with no branch to plot.
	NoLocation int
	// Repaired counts usable rows that needed a fix, by what was fixed
	// (a field cut to length, control characters removed, an unreadable date
	// dropped). These rows are kept.
	Repaired      map[string]int
	Statuses      map[string]int // usable permits by status; "" = no status given
	FacilityTypes map[string]int // usable permits by facility type; "" = not given
	// Warnings are remarks about the input as a whole, such as a SODA answer
	// that filled the requested page exactly and may have been cut short.
	Warnings []string
}

func newReport(format string) Report {
	return Report{
		Format:        format,
		Skipped:       map[string]int{},
		Repaired:      map[string]int{},
		Statuses:      map[string]int{},
		FacilityTypes: map[string]int{},
	}
}

// SkippedTotal is the number of rows left out, whatever the reason.
func (r Report) SkippedTotal() int {
	total := 0
	for _, n := range r.Skipped {
		total += n
	}
	return total
}

// WriteText writes an operator-readable summary of the report, the output
// of `foodtrucks data inspect`.
func (r Report) WriteText(w io.Writer) error {
	out := &stickyErrWriter{w: w}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if r.Source != "" {
		fmt.Fprintf(tw, "source:\t%s\n", r.Source)
	}
	format := r.Format
	if format == "" {
		format = "(not recognised)"
	}
	fmt.Fprintf(tw, "format:\t%s\n", format)
	fmt.Fprintf(tw, "rows read:\t%d\n", r.RowsRead)
	fmt.Fprintf(tw, "usable permits:\t%d\n", r.Usable)
	fmt.Fprintf(tw, "usable trucks:\t%d\t(distinct applicants with at least one usable permit)\n", r.Trucks)
	fmt.Fprintf(tw, "without location:\t%d\t(searchable, but not on the map)\n", r.NoLocation)
	fmt.Fprintf(tw, "rows skipped:\t%d\n", r.SkippedTotal())
	// Each list is aligned on its own, so one long reason does not push the
	// numbers of every other line across the screen.
	writeCounts(tw, r.Skipped, "")
	if len(r.Repaired) > 0 {
		fmt.Fprintf(tw, "repairs in kept rows:\n")
		writeCounts(tw, r.Repaired, "")
	}
	fmt.Fprintf(tw, "statuses:\n")
	writeCounts(tw, r.Statuses, "(none given)")
	fmt.Fprintf(tw, "facility types:\n")
	writeCounts(tw, r.FacilityTypes, "(none given)")
	for _, warning := range r.Warnings {
		fmt.Fprintf(tw, "warning: %s\n", warning)
	}
	tw.Flush()
	return out.err
}

// stickyErrWriter keeps the first write error, so WriteText can write
// freely and report a failure (a closed pipe, a full disk) once at the end.
type stickyErrWriter struct {
	w   io.Writer
	err error
}

func (s *stickyErrWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

// writeCounts lists counts largest first, ties by name, so the output is
// stable from run to run.
func writeCounts(tw *tabwriter.Writer, counts map[string]int, emptyName string) {
	tw.Flush()
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, name := range names {
		label := name
		if label == "" {
			label = emptyName
		}
		fmt.Fprintf(tw, "  %s\t%d\n", label, counts[name])
	}
	tw.Flush()
}
