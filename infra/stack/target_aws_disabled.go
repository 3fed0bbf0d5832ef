//go:build localonly

package stack

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// deployAWS: this build leaves the AWS SDK out (it dominates compile time),
// so `make up` for the local stack starts faster.
func deployAWS(*pulumi.Context, config.Config) (Outputs, error) {
	return nil, errors.New(`target "aws" needs the program built without the localonly tag (unset GOFLAGS=-tags=localonly)`)
}
