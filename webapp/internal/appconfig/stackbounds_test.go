package appconfig_test

import (
	"fmt"
	"strings"
	"testing"

	stackconfig "github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
)

// The Pulumi stacks validate searchCacheMb and searchMaxInFlight against
// the app's own limits before they hand them over as SEARCH_CACHE_MB and
// SEARCH_MAX_IN_FLIGHT. Tried here: each end of the range the stacks
// accept starts the app with that value, and one past the stacks' upper
// bound is refused by the app too, so the two limits are the same number.
func TestTheStacksSearchBoundsAreTheAppsOwn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		got   func(appconfig.Config) int
	}{
		{"SEARCH_CACHE_MB", stackconfig.MaxSearchCacheMB, func(c appconfig.Config) int { return c.CacheMB }},
		{"SEARCH_MAX_IN_FLIGHT", stackconfig.MaxSearchMaxInFlight, func(c appconfig.Config) int { return c.MaxInFlight }},
	} {
		for _, accepted := range []int{0, tc.limit} {
			c, err := appconfig.FromEnv(env(map[string]string{tc.name: fmt.Sprint(accepted)}))
			if err != nil || tc.got(c) != accepted {
				t.Errorf("%s=%d (the stacks accept it): app read %d, error %v", tc.name, accepted, tc.got(c), err)
			}
		}
		past := tc.limit + 1
		if _, err := appconfig.FromEnv(env(map[string]string{tc.name: fmt.Sprint(past)})); err == nil || !strings.Contains(err.Error(), tc.name+":") {
			t.Errorf("%s=%d (one past the stacks' limit): app error %v, want a refusal naming %s; the stacks' limit is below the app's", tc.name, past, err, tc.name)
		}
	}
}
