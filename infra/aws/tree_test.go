package aws_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden resource trees in testdata/")

// The resource set of each search choice, as a reviewed golden tree (type,
// logical name, nesting). A change to what the prod stack creates shows up
// here as a diff; `go test ./infra/aws -run TestResourceTree -update`
// rewrites the files after review.
func TestResourceTreePerSearchChoice(t *testing.T) {
	for _, tc := range []struct {
		golden    string
		overrides map[string]any
	}{
		{"tree-fargate-ephemeral.golden", nil}, // the default
		{"tree-fargate-efs.golden", efsStorage},
		{"tree-external.golden", externalSearch},
	} {
		t.Run(strings.TrimSuffix(tc.golden, ".golden"), func(t *testing.T) {
			p := deployProd(t, tc.overrides)
			tree := p.Tree()
			t.Logf("resources of the prod stack with %v:\n%s", tc.overrides, tree)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(tree), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if tree != string(want) {
				t.Errorf("resource tree differs from %s:\n got:\n%s\nwant:\n%s", path, tree, want)
			}
		})
	}
}

// What each search choice adds or leaves out, stated directly.
func TestSearchChoicesDifferOnlyInSearchAndStorage(t *testing.T) {
	count := func(p *prod, typ string) int { return len(p.OfType(typ)) }
	efs := deployProd(t, efsStorage)
	ephemeral := deployProd(t, nil)
	external := deployProd(t, externalSearch)

	for _, tc := range []struct {
		typ                      string
		efs, ephemeral, external int
	}{
		{"foodtrucks:aws:Storage", 1, 0, 0},
		{"aws:efs/fileSystem:FileSystem", 1, 0, 0},
		{"aws:efs/accessPoint:AccessPoint", 1, 0, 0},
		{"aws:efs/mountTarget:MountTarget", 2, 0, 0}, // one per private subnet (awsAzCount 2)
		{"aws:efs/fileSystemPolicy:FileSystemPolicy", 1, 0, 0},
		{"aws:efs/backupPolicy:BackupPolicy", 1, 0, 0},
		{"aws:ecs/service:Service", 2, 2, 1},
		{"aws:ecs/taskDefinition:TaskDefinition", 2, 2, 1},
		{"aws:ec2/securityGroup:SecurityGroup", 4, 3, 2},
		{"aws:iam/role:Role", 3, 2, 1}, // execution roles per service + the ES task role with EFS
		// Each service's, plus Container Insights' own.
		{"aws:cloudwatch/logGroup:LogGroup", 3, 3, 2},
		// The elastic and the app user's passwords, or the external API key.
		{"aws:secretsmanager/secret:Secret", 2, 2, 1},
		{"aws:cloudwatch/metricAlarm:MetricAlarm", 6, 6, 4},
		{"aws:cloudwatch/logMetricFilter:LogMetricFilter", 1, 1, 0}, // cluster health RED
		{"aws:cloudwatch/eventRule:EventRule", 2, 2, 1},             // failed deployments; ES task stops
		{"aws:cloudwatch/eventTarget:EventTarget", 2, 2, 1},
		{"aws:lb/loadBalancer:LoadBalancer", 1, 1, 1},
		{"aws:ecr/repository:Repository", 1, 1, 1},
		{"docker:index/image:Image", 1, 1, 1},
	} {
		got := []int{count(efs, tc.typ), count(ephemeral, tc.typ), count(external, tc.typ)}
		if want := []int{tc.efs, tc.ephemeral, tc.external}; !slices.Equal(got, want) {
			t.Errorf("%s: efs/ephemeral/external registered %v, want %v", tc.typ, got, want)
		}
	}
	if p := external.Find("aws:secretsmanager/secret:Secret", name+"es-api-key"); p == nil {
		t.Errorf("external mode stores no API key secret")
	}
}
