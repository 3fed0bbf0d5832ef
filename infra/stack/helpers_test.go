package stack_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

func loadValid(ctx *pulumi.Context) (config.Config, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}
