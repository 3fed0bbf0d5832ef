// Package esstart is what the Elasticsearch container of either stack runs
// before Elasticsearch starts when security is on: it gives the web app its
// own least-privilege user and role, so the app never logs in as elastic.
// Both stacks hand it the same script (a container command), so dev with
// esSecurity true exercises the role prod uses.
package esstart

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

const (
	// AppPasswordEnv carries the app user's password into the Elasticsearch
	// container, for the start script (and, in prod, its health check).
	AppPasswordEnv = "ES_APP_PASSWORD"
	// heapDumpDir keeps an OutOfMemoryError's heap dump off the data path
	// (the image's jvm.options points it at data/), on the container's own
	// storage where it neither fills the index's disk nor outlives it.
	heapDumpDir = "/tmp"
	// The image's entrypoint (under tini), found on the image's PATH; with
	// "eswrapper" it sets the bootstrap password and starts Elasticsearch.
	imageEntrypoint = "docker-entrypoint.sh"
)

// appRole is the app's role in roles.yml: manage and read its own
// versioned indices (<alias>-<time>) and the alias, and "monitor" for
// GET / (the app's ping). Nothing else: no other index, no security or
// cluster settings.
type appRole struct {
	Cluster []string           `yaml:"cluster"`
	Indices []indicesPrivilege `yaml:"indices"`
}

type indicesPrivilege struct {
	Names      []string `yaml:"names"`
	Privileges []string `yaml:"privileges"`
}

func appRoles(alias string) (string, error) {
	b, err := yaml.Marshal(map[string]appRole{config.ESAppRole: {
		Cluster: []string{"monitor"},
		Indices: []indicesPrivilege{{
			Names:      []string{alias, alias + "-*"},
			Privileges: []string{"create_index", "delete_index", "manage", "read", "write", "view_index_metadata"},
		}},
	}})
	return string(b), err
}

// Command is the container's command: a short bash script that writes the
// app's role and user into the file realm, then hands over to the image's
// entrypoint. The file realm needs no running cluster, no API call and no
// .security index: every start begins from the image's config directory
// with the password the container was given, so a rotation is a new
// container and nothing else. The elastic password stays with
// Elasticsearch (ELASTIC_PASSWORD, read by the image's entrypoint).
func Command(alias string) ([]string, error) {
	roles, err := appRoles(alias)
	if err != nil {
		return nil, err
	}
	script := strings.Join([]string{
		"set -eu",
		"cat > config/roles.yml <<'ROLES'\n" + roles + "ROLES",
		fmt.Sprintf("elasticsearch-users userdel %s >/dev/null 2>&1 || true", config.ESAppUser),
		fmt.Sprintf(`elasticsearch-users useradd %s -p "$%s" -r %s`, config.ESAppUser, AppPasswordEnv, config.ESAppRole),
		"mkdir -p config/jvm.options.d",
		fmt.Sprintf("echo '-XX:HeapDumpPath=%s' > config/jvm.options.d/heap-dump-path.options", heapDumpDir),
		"unset " + AppPasswordEnv,
		"exec " + imageEntrypoint + " eswrapper",
	}, "\n")
	return []string{"bash", "-c", script}, nil
}
