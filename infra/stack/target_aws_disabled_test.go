//go:build localonly

package stack_test

import (
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/stack"
)

func TestLocalOnlyBuildRefusesTheAWSTargetClearly(t *testing.T) {
	run := stacktest.RunProgram(t, stacktest.Options{
		Stack:   "prod",
		Secrets: map[string]string{"esPassword": "test-elastic-password"},
	}, stack.Run)
	want := `target "aws" needs the program built without the localonly tag`
	if run.Err == nil || !strings.Contains(run.Err.Error(), want) {
		t.Fatalf("stack.Run of prod in a localonly build: %v, want %q", run.Err, want)
	}
	if n := len(run.Resources()); n != 0 {
		t.Errorf("%d resources registered:\n%s", n, run.Tree())
	}
}
