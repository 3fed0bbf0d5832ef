//go:build !localonly

package stack_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/stack"
)

func TestRunProdStackReachesTheAWSTarget(t *testing.T) {
	opts := stacktest.Options{
		Stack:   "prod",
		Secrets: map[string]string{"esPassword": "test-elastic-password"},
		Invokes: stacktest.AWSInvokes("us-east-1", 6),
		// EFS is an opt-in (the default is the task's own storage); with it
		// every noun has its component.
		Overrides: map[string]any{"searchStorage": "efs"},
	}
	run := stacktest.RunProgram(t, opts, stack.Run)
	if run.Err != nil {
		t.Fatalf("stack.Run with Pulumi.prod.yaml: %v", run.Err)
	}
	for _, noun := range []string{"Network", "Storage", "Search", "Web"} {
		if len(run.OfType("foodtrucks:aws:"+noun)) != 1 {
			t.Errorf("no foodtrucks:aws:%s component; tree:\n%s", noun, run.Tree())
		}
	}

	var outputs stack.Outputs
	run = stacktest.RunProgram(t, opts, func(ctx *pulumi.Context) error {
		cfg, err := loadValid(ctx)
		if err != nil {
			return err
		}
		outputs, err = stack.Deploy(ctx, cfg)
		return err
	})
	if run.Err != nil {
		t.Fatal(run.Err)
	}
	want := []string{"clusterName", "ecrRepositoryUrl", "edgeDomainName", "esEndpoint", "logGroups", "searchServiceName", "url", "webServiceName"}
	if got := outputs.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("prod outputs = %v, want %v", got, want)
	}
}
