//go:build !localonly

package stack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	awstarget "github.com/sf-foodtrucks/foodtrucks/infra/aws"
	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// deployAWS deploys to ECS on Fargate (infra/aws). This file, and with it
// the AWS SDK, is left out of builds with the localonly tag.
func deployAWS(ctx *pulumi.Context, cfg config.Config) (Outputs, error) {
	out, err := awstarget.Deploy(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return OutputsOf(out), nil
}
