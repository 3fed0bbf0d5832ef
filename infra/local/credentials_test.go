package local_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/esstart"
)

// With esSecurity true the dev stack does what prod does: the
// Elasticsearch container runs the shared start script, which gives the
// app its own least-privilege user, and the web containers log in as that
// user. elastic's password stays in the Elasticsearch container.
func TestDevWebLogsInAsTheAppsOwnUserLikeProd(t *testing.T) {
	const elasticPassword = "s3cret-pw"
	dev := runDev(t, map[string]any{"esSecurity": true}, map[string]string{"esPassword": elasticPassword})
	cfg := config.Config{AppName: "foodtrucks", Stack: "dev", ESPassword: elasticPassword}
	appPassword := cfg.ESAppPassword()
	es := dev.Must(t, typeContainer, "elasticsearch")

	start, err := esstart.Command("sfdata")
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(t, es.Inputs["command"]); !slices.Equal(got, start) {
		t.Errorf("Elasticsearch command %q, want the start script both stacks share", got)
	}
	requireContainsAll(t, "ES env", strs(t, es.Inputs["envs"]), "ELASTIC_PASSWORD="+elasticPassword, esstart.AppPasswordEnv+"="+appPassword)

	for _, name := range []string{"web-0"} {
		env := strs(t, dev.Must(t, typeContainer, name).Inputs["envs"])
		requireContainsAll(t, name+" env", env, "ES_USERNAME="+config.ESAppUser, "ES_PASSWORD="+appPassword)
		for _, e := range env {
			if strings.Contains(e, elasticPassword) || e == "ES_USERNAME=elastic" {
				t.Errorf("%s gets the elastic superuser's credentials: %s", name, e)
			}
		}
	}

	// Without security nobody logs in, and Elasticsearch starts as the image says.
	plain := runDev(t, nil, nil).Must(t, typeContainer, "elasticsearch")
	if cmd, ok := plain.Inputs["command"]; ok && cmd != nil {
		t.Errorf("esSecurity false: Elasticsearch command %v, want the image's own", cmd)
	}
}
