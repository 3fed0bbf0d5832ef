package permits_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
)

func ExampleRead() {
	soda := `[
	 {"objectid":"1","applicant":"Cold Cart","fooditems":"Cold Truck: Soda: Chips","status":"APPROVED","latitude":"37.79","longitude":"-122.40"},
	 {"objectid":"2","applicant":"Taco Truck","fooditems":"Tacos; Burritos","status":"REQUESTED","latitude":"0","longitude":"0"},
	 {"objectid":"3","applicant":"","fooditems":"Nameless"}
	]`
	found, report, err := permits.Read(strings.NewReader(soda))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range found {
		fmt.Printf("%s: %q drinks=%v located=%v\n", p.Applicant, p.FoodItems, p.Drinks, p.Location != nil)
	}
	report.WriteText(os.Stdout)
	// Output:
	// Cold Cart: ["soda" "chips"] drinks=true located=true
	// Taco Truck: ["tacos" "burritos"] drinks=false located=false
	// format:            soda-json
	// rows read:         3
	// usable permits:    2
	// usable trucks:     2  (distinct applicants with at least one usable permit)
	// without location:  1  (searchable, but not on the map)
	// rows skipped:      1
	//   no applicant name  1
	// statuses:
	//   APPROVED   1
	//   REQUESTED  1
	// facility types:
	//   (none given)  2
}
