// Command infra is the Pulumi program of the foodtrucks project (Pulumi.yaml
// main: infra/). Everything lives in package stack, so tests can run it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/stack"
)

func main() { pulumi.Run(stack.Run) }
