package permits_test

import (
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
)

// Redact keeps a URL recognisable (host, path, harmless parameters) and
// drops what authenticates: user-info and secret-named query values.
func TestRedactDropsCredentialsAndKeepsTheRest(t *testing.T) {
	cases := []struct {
		in        string
		want      string
		forbidden []string
	}{
		{"https://user:pa55word@data.example/resource/x.json?$$app_token=TOK123&$limit=5000",
			"https://REDACTED@data.example/resource/x.json?$$app_token=REDACTED&$limit=5000", []string{"pa55word", "TOK123", "user:"}},
		{"https://data.example/x.csv?api_key=K1&Password=P2&accessToken=T3&where=a%3Db",
			"https://data.example/x.csv?api_key=REDACTED&Password=REDACTED&accessToken=REDACTED&where=a%3Db", []string{"K1", "P2", "T3"}},
		{"https://data.example/x.json?%24%24app_token=ENC", "https://data.example/x.json?%24%24app_token=REDACTED", []string{"ENC"}},
		{"https://data.example/x.json#token=frag", "https://data.example/x.json", []string{"frag"}},
		{"../shared/data/sf-mobile-food-permits.json", "../shared/data/sf-mobile-food-permits.json", nil},
	}
	for _, tc := range cases {
		got := permits.Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, f := range tc.forbidden {
			if strings.Contains(got, f) {
				t.Errorf("Redact(%q) = %q still carries %q", tc.in, got, f)
			}
		}
	}
}
