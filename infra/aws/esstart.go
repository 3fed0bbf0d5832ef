package aws

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// What the Elasticsearch container prepares before Elasticsearch starts.
const (
	// esAppPasswordEnv carries the app user's password into the container
	// (an ECS secret), for the start script and the health check.
	esAppPasswordEnv = "ES_APP_PASSWORD"
	// esHeapDumpDir keeps an OutOfMemoryError's heap dump off the data path
	// (the image's jvm.options points it at data/), on the task's own
	// storage where it neither fills the index's disk nor outlives the task.
	esHeapDumpDir = "/tmp"
	// The image's entrypoint (under tini), found on the image's PATH; with
	// "eswrapper" it sets the bootstrap password and starts Elasticsearch.
	esImageEntrypoint = "docker-entrypoint.sh"
)

// esAppRole is the app's role in roles.yml: manage and read its own
// versioned indices (<alias>-<time>) and the alias, and "monitor" for
// GET / (the app's ping and the container's health check). Nothing else:
// no other index, no security or cluster settings.
type esAppRole struct {
	Cluster []string          `yaml:"cluster"`
	Indices []esIndicesPrivil `yaml:"indices"`
}

type esIndicesPrivil struct {
	Names      []string `yaml:"names"`
	Privileges []string `yaml:"privileges"`
}

func esAppRoles(alias string) (string, error) {
	b, err := yaml.Marshal(map[string]esAppRole{config.ESAppRole: {
		Cluster: []string{"monitor"},
		Indices: []esIndicesPrivil{{
			Names:      []string{alias, alias + "-*"},
			Privileges: []string{"create_index", "delete_index", "manage", "read", "write", "view_index_metadata"},
		}},
	}})
	return string(b), err
}

// esStartCommand is the container's command: a short bash script that
// writes the app's role and user into the file realm, then hands over to
// the image's entrypoint. The file realm needs no running cluster, no API
// call and no .security index: every task starts from the image's config
// directory with the password of its own task definition, so a rotation
// is a new task and nothing else. The elastic password stays with
// Elasticsearch (ELASTIC_PASSWORD, read by the image's entrypoint).
func esStartCommand(alias string) ([]string, error) {
	roles, err := esAppRoles(alias)
	if err != nil {
		return nil, err
	}
	script := strings.Join([]string{
		"set -eu",
		"cat > config/roles.yml <<'ROLES'\n" + roles + "ROLES",
		fmt.Sprintf("elasticsearch-users userdel %s >/dev/null 2>&1 || true", config.ESAppUser),
		fmt.Sprintf(`elasticsearch-users useradd %s -p "$%s" -r %s`, config.ESAppUser, esAppPasswordEnv, config.ESAppRole),
		"mkdir -p config/jvm.options.d",
		fmt.Sprintf("echo '-XX:HeapDumpPath=%s' > config/jvm.options.d/heap-dump-path.options", esHeapDumpDir),
		"unset " + esAppPasswordEnv,
		"exec " + esImageEntrypoint + " eswrapper",
	}, "\n")
	return []string{"bash", "-c", script}, nil
}

// esLivenessCommand asks only whether Elasticsearch's HTTP layer answers:
// GET / as the app user, whose file-realm login works whatever the state
// of the cluster's indices. Cluster health is not liveness: a red index
// (answered with 408 by _cluster/health?wait_for_status) would make ECS
// replace the node forever; it raises an alarm instead (alarms.go).
var esLivenessCommand = []string{"CMD-SHELL",
	fmt.Sprintf(`curl -fsS -o /dev/null -u "%s:$%s" http://localhost:%d/ || exit 1`, config.ESAppUser, esAppPasswordEnv, esPort)}
