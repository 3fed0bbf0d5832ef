//go:build !localonly

package stack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// deployAWS is wired to the aws target (infra/aws) once it exists.
func deployAWS(ctx *pulumi.Context, cfg config.Config) (Outputs, error) {
	return nil, fmt.Errorf("target %q is not available yet in this build", cfg.Target)
}
