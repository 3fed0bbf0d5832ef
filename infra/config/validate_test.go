package config

import (
	"strings"
	"testing"
)

// validLocal is the dev stack's configuration with Pulumi.yaml's defaults.
func validLocal() Config {
	return Config{
		Project: "foodtrucks", Stack: "dev",
		Target: TargetLocal, AppName: "foodtrucks",
		IndexAlias: "sfdata", DataURL: "https://data.sfgov.org/resource/rqzj-sfat.json",
		RefreshInterval: "24h", LogLevel: "info", WebPort: 5000, WebReplicas: 1,
		SearchCacheMB: 32, SearchMaxInFlight: 16,
		ESImage: "docker.elastic.co/elasticsearch/elasticsearch", ESVersion: "8.19.21",
		ESHeapMB: 512, ESMemoryMB: 1024,
		Local: LocalConfig{BindAddress: "127.0.0.1", WaitTimeout: 180, ESNoFile: 65535},
	}
}

func TestValidateAcceptsTheDefaultsAndSensibleVariations(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"defaults":                func(*Config) {},
		"refresh off":             func(c *Config) { c.RefreshInterval = "0" },
		"refresh 30m":             func(c *Config) { c.RefreshInterval = "30m" },
		"heap exactly half":       func(c *Config) { c.ESHeapMB, c.ESMemoryMB = 1024, 2048 },
		"security with password":  func(c *Config) { c.ESSecurity, c.ESPassword = true, "s3cret-pw" },
		"ES published":            func(c *Config) { c.Local.ESPublishPort = 9200 },
		"bind all interfaces":     func(c *Config) { c.Local.BindAddress = "0.0.0.0" },
		"bind IPv6 loopback":      func(c *Config) { c.Local.BindAddress = "::1" },
		"three replicas":          func(c *Config) { c.WebReplicas = 3 },
		"ES after the web ports":  func(c *Config) { c.WebReplicas, c.Local.ESPublishPort = 3, 5003 },
		"no search cache":         func(c *Config) { c.SearchCacheMB = 0 },
		"cache at the app limit":  func(c *Config) { c.SearchCacheMB = 4096 },
		"searches unbounded":      func(c *Config) { c.SearchMaxInFlight = 0 },
		"in flight at app limit":  func(c *Config) { c.SearchMaxInFlight = 10000 },
		"engine's own nofile":     func(c *Config) { c.Local.ESNoFile = 0 },
		"nofile this engine has":  func(c *Config) { c.Local.ESNoFile = 20000 },
		"platform arm64":          func(c *Config) { c.Local.Platform = "linux/arm64" },
		"platform with variant":   func(c *Config) { c.Local.Platform = "linux/arm/v7" },
		"aws heap 0 is automatic": func(c *Config) { *c = validAWS(); c.ESHeapMB = 0 },
		"aws ignores local keys":  func(c *Config) { *c = validAWS(); c.Local.BindAddress = "" },
	} {
		t.Run(name, func(t *testing.T) {
			c := validLocal()
			change(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

// Every rule, broken once; the message must name the key, the bad value
// and what is allowed.
func TestValidateNamesTheKeyAndWhatIsAllowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown target", func(c *Config) { c.Target = "gcp" }, `target: "gcp" is not one of local, aws`},
		{"appName upper case", func(c *Config) { c.AppName = "Food_Trucks" }, `appName: "Food_Trucks" must be 1–20 characters: a lower-case letter, then lower-case letters, digits or hyphens`},
		{"appName too long", func(c *Config) { c.AppName = "a23456789012345678901" }, `appName: "a23456789012345678901" must be 1–20 characters`},
		{"appName trailing hyphen", func(c *Config) { c.AppName = "trucks-" }, `appName: "trucks-" must not end with a hyphen`},
		{"indexAlias empty", func(c *Config) { c.IndexAlias = "" }, `indexAlias: "" must not be empty`},
		{"indexAlias upper case", func(c *Config) { c.IndexAlias = "SFData" }, `indexAlias: "SFData" must be lower-case`},
		{"indexAlias wildcard", func(c *Config) { c.IndexAlias = "sf*" }, `indexAlias: "sf*" must not contain`},
		{"indexAlias leading underscore", func(c *Config) { c.IndexAlias = "_sf" }, `indexAlias: "_sf" must not start with -, _, + or .`},
		{"dataUrl not a URL", func(c *Config) { c.DataURL = "permits.csv" }, `dataUrl: "permits.csv" is not an http or https URL`},
		{"dataUrl ftp", func(c *Config) { c.DataURL = "ftp://example.org/x.csv" }, `dataUrl: "ftp://example.org/x.csv" is not an http or https URL`},
		{"refreshInterval words", func(c *Config) { c.RefreshInterval = "daily" }, `refreshInterval: "daily" is not a positive Go duration (e.g. 30m, 24h) or "0" (never refresh)`},
		{"refreshInterval negative", func(c *Config) { c.RefreshInterval = "-1h" }, `refreshInterval: "-1h" is not a positive Go duration`},
		{"logLevel", func(c *Config) { c.LogLevel = "verbose" }, `logLevel: "verbose" is not one of debug, info, warn, error`},
		{"webPort too high", func(c *Config) { c.WebPort = 70000 }, `webPort: 70000 is not a port (1–65535)`},
		{"webPort zero", func(c *Config) { c.WebPort = 0 }, `webPort: 0 is not a port (1–65535)`},
		{"webReplicas zero", func(c *Config) { c.WebReplicas = 0 }, `webReplicas: 0 must be at least 1`},
		{"replicas run past 65535", func(c *Config) { c.WebPort, c.WebReplicas = 65535, 2 }, `webReplicas: 2 replicas on consecutive host ports from webPort 65535 run past 65535`},
		{"searchCacheMb negative", func(c *Config) { c.SearchCacheMB = -1 }, `searchCacheMb: -1 must be between 0 (no cache) and 4096 MiB (the app's limit)`},
		{"searchCacheMb over the app's limit", func(c *Config) { c.SearchCacheMB = 4097 }, `searchCacheMb: 4097 must be between 0 (no cache) and 4096 MiB (the app's limit)`},
		{"searchMaxInFlight negative", func(c *Config) { c.SearchMaxInFlight = -1 }, `searchMaxInFlight: -1 must be between 0 (no bound) and 10000 (the app's limit)`},
		{"searchMaxInFlight over the app's limit", func(c *Config) { c.SearchMaxInFlight = 10001 }, `searchMaxInFlight: 10001 must be between 0 (no bound) and 10000 (the app's limit)`},
		{"esImage with tag", func(c *Config) { c.ESImage = "elasticsearch:8.19.21" }, `esImage: "elasticsearch:8.19.21" must be a repository without tag or digest; the tag comes from esVersion`},
		{"esImage empty", func(c *Config) { c.ESImage = "" }, `esImage: must name an image repository`},
		{"esVersion 7", func(c *Config) { c.ESVersion = "7.17.0" }, `esVersion: "7.17.0" is not an Elasticsearch 8 release (8.x.y, e.g. 8.19.21)`},
		{"esVersion latest", func(c *Config) { c.ESVersion = "latest" }, `esVersion: "latest" is not an Elasticsearch 8 release`},
		{"heap over half", func(c *Config) { c.ESHeapMB = 900 }, `esHeapMb: 900 is more than half of esMemoryMb (1024); use at most 512`},
		{"heap negative", func(c *Config) { c.ESHeapMB = -1 }, `esHeapMb: -1 must be 0 (let Elasticsearch size it) or a positive number of MiB`},
		{"heap automatic locally", func(c *Config) { c.ESHeapMB = 0 }, `esHeapMb: 0 (automatic sizing) is only for target aws; locally set a heap of at most 512 (half of esMemoryMb)`},
		{"memory too small", func(c *Config) { c.ESMemoryMB, c.ESHeapMB = 256, 128 }, `esMemoryMb: 256 is too small for Elasticsearch; use at least 512`},
		{"security without password", func(c *Config) { c.ESSecurity = true }, "esPassword: esSecurity is on, so set the elastic user's password (at least 6 characters) with `pulumi config set --secret esPassword <value>`"},
		{"bind address not an IP", func(c *Config) { c.Local.BindAddress = "localhost" }, `localBindAddress: "localhost" is not an IP address`},
		{"ES port not a port", func(c *Config) { c.Local.ESPublishPort = 99999 }, `localEsPublishPort: 99999 is not 0 (not published) or a port (1–65535)`},
		{"ES port on the web port", func(c *Config) { c.Local.ESPublishPort = 5000 }, `localEsPublishPort: 5000 collides with the web host ports 5000; pick another port or 0`},
		{"ES port among replicas", func(c *Config) { c.WebReplicas, c.Local.ESPublishPort = 3, 5002 }, `localEsPublishPort: 5002 collides with the web host ports 5000–5002`},
		{"wait timeout zero", func(c *Config) { c.Local.WaitTimeout = 0 }, `localWaitTimeout: 0 must be between 1 and 3600 seconds`},
		{"nofile too low", func(c *Config) { c.Local.ESNoFile = 100 }, `localEsNoFile: 100 must be 0 (the engine's default) or between 1024 and 1048576`},
		{"nofile negative", func(c *Config) { c.Local.ESNoFile = -1 }, `localEsNoFile: -1 must be 0`},
		{"platform without arch", func(c *Config) { c.Local.Platform = "amd64" }, `localPlatform: "amd64" is not os/arch[/variant]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validLocal()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v\nwant a message containing %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := validLocal()
	c.Target, c.WebPort, c.LogLevel = "gcp", 70000, "loud"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for three bad keys")
	}
	for _, key := range []string{"target:", "webPort:", "logLevel:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("message lacks %s:\n%v", key, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Errorf("want one line per problem (3), got %d:\n%v", n, err)
	}
}

func TestNameAndLabelsTraceEveryResourceToItsStack(t *testing.T) {
	c := validLocal()
	for _, tc := range []struct{ stack, want string }{
		{"dev", "foodtrucks-dev-search"},
		{"Feature_X.1", "foodtrucks-feature-x-1-search"},
	} {
		c.Stack = tc.stack
		if got := c.Name("search"); got != tc.want {
			t.Errorf("stack %q: Name(search) = %q, want %q", tc.stack, got, tc.want)
		}
	}
	c.Stack = "dev"
	other := c
	other.Stack = "prod"
	if c.Name("network") == other.Name("network") {
		t.Error("two stacks share a physical name")
	}
	want := map[string]string{"project": "foodtrucks", "stack": "dev", "component": "web", "managed-by": "pulumi"}
	got := c.Labels("web")
	if len(got) != len(want) {
		t.Errorf("Labels = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Labels[%s] = %q, want %q", k, got[k], v)
		}
	}
}
