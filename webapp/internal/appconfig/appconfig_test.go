package appconfig_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/appconfig"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := appconfig.FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ESURL != "http://es:9200" || c.Port != 5000 || c.Index != "sfdata" || c.DataURL != appconfig.DefaultDataURL ||
		c.RefreshInterval != 24*time.Hour || c.ESWait != 2*time.Minute || c.LogLevel != slog.LevelInfo || c.UIDir != "" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestValues(t *testing.T) {
	c, err := appconfig.FromEnv(env(map[string]string{
		"ES_URL": "https://search.internal:9243", "ES_API_KEY": "a2V5", "PORT": "8080", "INDEX": "trucks",
		"DATA_URL": "/data/permits.csv", "REFRESH_INTERVAL": "0", "ES_WAIT": "30s", "LOG_LEVEL": "DEBUG", "UI_DIR": "webapp/ui/static",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.RefreshInterval != 0 || c.ESWait != 30*time.Second || c.LogLevel != slog.LevelDebug || c.ESAPIKey != "a2V5" {
		t.Errorf("values: %+v", c)
	}
}

func TestEachBadValueIsNamed(t *testing.T) {
	cases := []struct{ name, value, extraName, extraValue string }{
		{"ES_URL", "es:9200", "", ""},
		{"ES_URL", "http://user:pw@es:9200", "", ""},
		{"ES_USERNAME", "elastic", "", ""},
		{"ES_API_KEY", "a2V5", "ES_USERNAME", "elastic"},
		{"PORT", "0", "", ""},
		{"PORT", "http", "", ""},
		{"INDEX", "Trucks", "", ""},
		{"INDEX", "a,b", "", ""},
		{"INDEX", ".hidden", "", ""}, // the stacks refuse a leading dot too
		{"DATA_URL", "ftp://example.test/x.csv", "", ""},
		{"REFRESH_INTERVAL", "daily", "", ""},
		{"REFRESH_INTERVAL", "10ms", "", ""},
		{"ES_WAIT", "-1s", "", ""},
		{"ALIAS_CHECK_INTERVAL", "0", "", ""},
		{"LOG_LEVEL", "verbose", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			m := map[string]string{tc.name: tc.value}
			if tc.extraName != "" {
				m[tc.extraName] = tc.extraValue
				if tc.name == "ES_API_KEY" {
					m["ES_PASSWORD"] = "secret"
				}
			}
			_, err := appconfig.FromEnv(env(m))
			if err == nil || !strings.Contains(err.Error(), tc.name+":") {
				t.Errorf("%s=%q: error %v should name the variable", tc.name, tc.value, err)
			}
		})
	}
}

// What a stack sets (contract.Env) is what the app reads: every variable
// arrives as the field it was given as.
func TestTheContractsEnvIsWhatTheAppReads(t *testing.T) {
	e := contract.Env{Port: 8080, ESURL: "http://es:9200", Index: "trucks", DataURL: "file:///data/p.json",
		RefreshInterval: "1h", LogLevel: "debug", SearchCacheMB: contract.MaxSearchCacheMB,
		SearchMaxInFlight: contract.MaxSearchMaxInFlight, UIDir: "/ui", ESUsername: "app"}
	vars := map[string]string{contract.EnvESPassword: "pw"}
	for _, v := range e.Vars() {
		vars[v.Name] = v.Value
	}
	c, err := appconfig.FromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != e.Port || c.ESURL != e.ESURL || c.Index != e.Index || c.DataURL != e.DataURL ||
		c.RefreshInterval != time.Hour || c.LogLevel != slog.LevelDebug || c.CacheMB != e.SearchCacheMB ||
		c.MaxInFlight != e.SearchMaxInFlight || c.UIDir != e.UIDir || c.ESUsername != e.ESUsername {
		t.Errorf("the app read %+v from %v", c, e.Vars())
	}
}
