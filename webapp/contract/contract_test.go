package contract_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// The image is the other party to the contract: its USER, EXPOSE and
// HEALTHCHECK are what the stacks run it with.
func TestTheDockerfileKeepsTheContract(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	// The runtime stage is the last one.
	runtime := dockerfile[strings.LastIndex(dockerfile, "\nFROM "):]
	health := `["` + strings.Join(contract.HealthCommand(), `", "`) + `"]`
	for what, pattern := range map[string]string{
		"USER":        `(?m)^USER ` + regexp.QuoteMeta(contract.User) + `$`,
		"EXPOSE":      `(?m)^EXPOSE ` + strconv.Itoa(contract.DefaultPort) + `$`,
		"HEALTHCHECK": `(?m)^\s*CMD ` + regexp.QuoteMeta(health) + `$`,
	} {
		if !regexp.MustCompile(pattern).MatchString(runtime) {
			t.Errorf("webapp/Dockerfile's runtime stage has no %s matching %s", what, pattern)
		}
	}
}

func TestVarsLeaveOutOnlyTheEmptyOptionalOnes(t *testing.T) {
	e := contract.Env{Port: 5000, ESURL: "http://es:9200", Index: "sfdata", DataURL: "file:///d.json",
		RefreshInterval: "24h", LogLevel: "info", SearchCacheMB: 32, SearchMaxInFlight: 16}
	if got := len(e.Vars()); got != 8 {
		t.Errorf("%d variables without UI_DIR and ES_USERNAME, want 8: %v", got, e.Vars())
	}
	e.UIDir, e.ESUsername = "/ui", "app"
	got := strings.Join(e.Strings(), " ")
	for _, want := range []string{"PORT=5000", "UI_DIR=/ui", "ES_USERNAME=app", "SEARCH_CACHE_MB=32"} {
		if !strings.Contains(got, want) {
			t.Errorf("Strings() = %s, want it to hold %s", got, want)
		}
	}
}
