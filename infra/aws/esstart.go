package aws

import (
	"fmt"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/esstart"
)

// esLivenessCommand asks only whether Elasticsearch's HTTP layer answers:
// GET / as the app user, whose file-realm login (esstart.Command) works
// whatever the state of the cluster's indices. Cluster health is not
// liveness: a red index (answered with 408 by
// _cluster/health?wait_for_status) would make ECS replace the node
// forever; it raises an alarm instead (alarms.go).
var esLivenessCommand = []string{"CMD-SHELL",
	fmt.Sprintf(`curl -fsS -o /dev/null -u "%s:$%s" http://localhost:%d/ || exit 1`, config.ESAppUser, esstart.AppPasswordEnv, esPort)}
