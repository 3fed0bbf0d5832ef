package aws_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// The app's longest Elasticsearch call; Service Connect's default
// per-request timeout, 15 s, would cut it short with a 504 of the proxy's.
const appLongestESCallSeconds = int(contract.LongestElasticsearchCall / time.Second)

func TestServiceConnectTimeoutsCoverTheAppsLongestElasticsearchCall(t *testing.T) {
	p := deployProd(t, nil)
	timeout := in(p.Must(t, "aws:ecs/service:Service", name+"es").Inputs, "serviceConnectConfiguration", "services", 0, "timeout")
	perRequest, idle := num(timeout, "perRequestTimeoutSeconds"), num(timeout, "idleTimeoutSeconds")
	if perRequest < appLongestESCallSeconds {
		t.Errorf("Service Connect per-request timeout %d s, below the app's longest Elasticsearch call (%d s)", perRequest, appLongestESCallSeconds)
	}
	// Go's HTTP client closes idle connections after 90 s; the proxy must not do it first.
	if idle < perRequest || idle < 90 {
		t.Errorf("Service Connect idle timeout %d s, want at least the per-request timeout %d s and the app's 90 s keep-alive", idle, perRequest)
	}
	t.Logf("Service Connect to Elasticsearch: per request %d s, idle %d s", perRequest, idle)
}

// AWS advises 256 CPU units and 64 MiB for the Service Connect proxy in a
// task: the web task has room for both, and the app's container limit
// leaves the proxy its memory.
func TestWebTaskLeavesTheServiceConnectProxyItsShare(t *testing.T) {
	p := deployProd(t, nil)
	task := p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"web")
	if cpu := p.cfg.AWS.WebCPU; str(task.Inputs, "cpu") != "512" || cpu < 2*256 {
		t.Errorf("web task %s CPU units; with the proxy's 256 the app needs a task of at least 512", str(task.Inputs, "cpu"))
	}
	if got, want := num(p.container(t, "web", "web"), "memory"), p.cfg.AWS.WebMemoryMB-64; got != want {
		t.Errorf("web container memory %d MiB, want the task's %d less the proxy's 64", got, p.cfg.AWS.WebMemoryMB)
	}
	// Without Elasticsearch in the stack there is no proxy in the web task.
	external := deployProd(t, externalSearch)
	if m, ok := external.container(t, "web", "web")["memory"]; ok {
		t.Errorf("external search: web container limited to %v MiB, with no proxy to leave room for", m)
	}
}

// The index is derived data the app reloads in seconds: by default it lives
// on the task's own storage, and EFS (slower, advised against by Elastic,
// with backups that outlive destroy) is an opt-in.
func TestEphemeralStorageIsTheDefaultAndEFSAnOptIn(t *testing.T) {
	p := deployProd(t, nil)
	if p.cfg.AWS.SearchStorage != "ephemeral" || p.cfg.AWS.EFSBackups {
		t.Errorf("defaults searchStorage %q awsEfsBackups %v, want ephemeral and false", p.cfg.AWS.SearchStorage, p.cfg.AWS.EFSBackups)
	}
	for _, typ := range []string{"aws:efs/fileSystem:FileSystem", "aws:efs/backupPolicy:BackupPolicy", "aws:efs/mountTarget:MountTarget", "foodtrucks:aws:Storage"} {
		if n := len(p.OfType(typ)); n != 0 {
			t.Errorf("default stack has %d %s", n, typ)
		}
	}
	if vols := list(p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"es").Inputs, "volumes"); len(vols) != 0 {
		t.Errorf("ES task mounts %v by default", vols)
	}
	efs := deployProd(t, efsStorage)
	if len(efs.OfType("aws:efs/fileSystem:FileSystem")) != 1 {
		t.Errorf("searchStorage efs makes no file system")
	}
	if got := str(efs.Must(t, "aws:efs/backupPolicy:BackupPolicy", name+"es-data").Inputs, "backupPolicy", "status"); got != "DISABLED" {
		t.Errorf("EFS opt-in backs up by default (%s); recovery points would outlive destroy", got)
	}
}

// Container Insights creates its performance log group itself when it is
// missing, and such a group outlives destroy. The stack makes it first,
// with its retention, so destroy removes it.
func TestContainerInsightsLogGroupBelongsToTheStack(t *testing.T) {
	p := deployProd(t, nil)
	group := p.Must(t, "aws:cloudwatch/logGroup:LogGroup", name+"container-insights")
	if got, want := str(group.Inputs, "name"), "/aws/ecs/containerinsights/"+name+"cluster/performance"; got != want {
		t.Errorf("log group %q, want %q (where Container Insights writes)", got, want)
	}
	if num(group.Inputs, "retentionInDays") != p.cfg.AWS.LogRetentionDays {
		t.Errorf("retention %d days", num(group.Inputs, "retentionInDays"))
	}
	cluster := p.Must(t, "aws:ecs/cluster:Cluster", name+"cluster")
	if !slices.Contains(cluster.DependsOn, group.URN) {
		t.Errorf("the cluster does not wait for its Container Insights log group; ECS could create it first")
	}
}

// Destroy deletes in reverse dependency order: both services (the provider
// waits for each to be INACTIVE) before the Cloud Map namespace whose
// Service Connect services they own.
func TestNamespaceIsDeletedAfterTheServicesThatUseIt(t *testing.T) {
	p := deployProd(t, nil)
	namespace := p.Must(t, "aws:servicediscovery/httpNamespace:HttpNamespace", name+"internal")
	for _, svc := range p.OfType("aws:ecs/service:Service") {
		if !slices.Contains(svc.DependsOn, namespace.URN) {
			t.Errorf("service %s does not depend on the namespace %s: destroy could delete the namespace first (dependsOn %v)", svc.Name, namespace.Name, svc.DependsOn)
		}
	}
}
