package aws_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/infra/stack"
)

// The app's liveness route (webapp: GET /healthz answers without touching
// Elasticsearch), so the load balancer never drains tasks for an ES outage.
const appLivenessPath = "/healthz"

// A certificate in us-east-1 (where the test stack runs, and the one
// region CloudFront takes certificates from) and the domain it covers.
const (
	testCertificate = "arn:aws:acm:us-east-1:123456789012:certificate/0e9b6c7a-1f3e-4a8b-9c2d-5e6f7a8b9c0d"
	testDomain      = "trucks.example.org"
)

func TestSearchServiceRunsOneTaskAndNeverTwo(t *testing.T) {
	for choice, overrides := range map[string]map[string]any{"efs": efsStorage, "ephemeral": nil} {
		p := deployProd(t, overrides)
		es := p.Must(t, "aws:ecs/service:Service", name+"es")
		if got := []int{num(es.Inputs, "desiredCount"), num(es.Inputs, "deploymentMinimumHealthyPercent"), num(es.Inputs, "deploymentMaximumPercent")}; !slices.Equal(got, []int{1, 0, 100}) {
			t.Errorf("%s: ES service desired/min%%/max%% = %v, want [1 0 100]: two nodes must never share a data path", choice, got)
		}
	}
}

func TestLoadBalancerChecksTheAppsLivenessRoute(t *testing.T) {
	p := deployProd(t, nil)
	tg := p.Must(t, "aws:lb/targetGroup:TargetGroup", name+"web")
	if got := str(tg.Inputs, "healthCheck", "path"); got != appLivenessPath {
		t.Errorf("target group health check path %q, want the app's liveness route %s", got, appLivenessPath)
	}
	if str(tg.Inputs, "targetType") != "ip" || num(tg.Inputs, "port") != p.cfg.WebPort {
		t.Errorf("target group type %q port %d, want ip and webPort %d", str(tg.Inputs, "targetType"), num(tg.Inputs, "port"), p.cfg.WebPort)
	}
	if d := num(tg.Inputs, "deregistrationDelay"); d < 0 || d > 60 {
		t.Errorf("deregistration delay %d s; keep it short so deployments do not wait minutes", d)
	}
	web := p.Must(t, "aws:ecs/service:Service", name+"web")
	lb := in(web.Inputs, "loadBalancers", 0)
	if str(lb, "containerName") != "web" || num(lb, "containerPort") != p.cfg.WebPort || str(lb, "targetGroupArn") == "" {
		t.Errorf("web service load balancer binding %v", lb)
	}
}

func TestBothServicesUseServiceConnectWithAliasES(t *testing.T) {
	p := deployProd(t, nil)
	namespace := computed(p.Must(t, "aws:servicediscovery/httpNamespace:HttpNamespace", name+"internal"), "arn")
	es := p.Must(t, "aws:ecs/service:Service", name+"es")
	web := p.Must(t, "aws:ecs/service:Service", name+"web")
	for _, svc := range []*stacktest.Resource{es, web} {
		sc := in(svc.Inputs, "serviceConnectConfiguration")
		if in(sc, "enabled") != true || str(sc, "namespace") != namespace {
			t.Errorf("%s: Service Connect %v, want enabled in namespace %s", svc.Name, sc, namespace)
		}
	}
	server := in(es.Inputs, "serviceConnectConfiguration", "services", 0)
	alias := in(server, "clientAlias", 0)
	if str(alias, "dnsName") != "es" || num(alias, "port") != 9200 {
		t.Errorf("ES client alias %v, want es:9200", alias)
	}
	// The alias names the port mapping of the ES container.
	esPort := in(p.container(t, "es", "es"), "portMappings", 0)
	if str(server, "portName") != str(esPort, "name") || num(esPort, "containerPort") != 9200 {
		t.Errorf("Service Connect port %q, container port mapping %v", str(server, "portName"), esPort)
	}
	if got := env(p.container(t, "web", "web"))["ES_URL"]; got != "http://es:9200" {
		t.Errorf("web ES_URL %q, want http://es:9200 as on the local stack", got)
	}
	if len(list(web.Inputs, "serviceConnectConfiguration", "services")) != 0 {
		t.Errorf("web offers Service Connect services; it is a client only")
	}
	if !slices.Contains(web.DependsOn, es.URN) {
		t.Errorf("web service does not wait for the ES service (dependsOn %v)", web.DependsOn)
	}
}

func TestExternalSearchUsesTheClusterURLWithoutServiceConnect(t *testing.T) {
	p := deployProd(t, externalSearch)
	web := p.Must(t, "aws:ecs/service:Service", name+"web")
	if sc := in(web.Inputs, "serviceConnectConfiguration"); sc != nil {
		t.Errorf("web uses Service Connect without an ES service: %v", sc)
	}
	e := env(p.container(t, "web", "web"))
	if e["ES_URL"] != externalSearch["externalEsUrl"] {
		t.Errorf("web ES_URL %q, want %v", e["ES_URL"], externalSearch["externalEsUrl"])
	}
	if _, ok := e["ES_USERNAME"]; ok {
		t.Errorf("ES_USERNAME set with an API key")
	}
	if got := p.await(t, p.out.ESEndpoint); got != externalSearch["externalEsUrl"] {
		t.Errorf("esEndpoint output %v", got)
	}
}

func TestWebContainerRunsHardened(t *testing.T) {
	p := deployProd(t, nil)
	c := p.container(t, "web", "web")
	if str(c, "user") != "65532:65532" || in(c, "readonlyRootFilesystem") != true {
		t.Errorf("web user %q readonlyRootFilesystem %v, want 65532:65532 and true", str(c, "user"), in(c, "readonlyRootFilesystem"))
	}
	if drop := list(c, "linuxParameters", "capabilities", "drop"); len(drop) != 1 || drop[0] != "ALL" {
		t.Errorf("web drops capabilities %v, want [ALL]", drop)
	}
	if cmd := list(c, "healthCheck", "command"); !slices.Equal(cmd, []any{"CMD", "/foodtrucks", "healthcheck"}) {
		t.Errorf("web health check %v, want the image's own probe", cmd)
	}
	e := env(c)
	want := map[string]string{
		"PORT": fmt.Sprint(p.cfg.WebPort), "ES_URL": "http://es:9200", "INDEX": p.cfg.IndexAlias, "DATA_URL": p.cfg.DataURL,
		"REFRESH_INTERVAL": p.cfg.RefreshInterval, "LOG_LEVEL": p.cfg.LogLevel, "ES_USERNAME": "foodtrucks_web",
		"SEARCH_CACHE_MB": fmt.Sprint(p.cfg.SearchCacheMB), "SEARCH_MAX_IN_FLIGHT": fmt.Sprint(p.cfg.SearchMaxInFlight),
	}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("web env %s = %q, want %q", k, e[k], v)
		}
	}
	if len(e) != len(want) {
		t.Errorf("web env %v has more than %v", e, want)
	}
}

// The search settings reach the web task definition as the app's
// variables, 0 written out (an absent variable gives the app's defaults).
func TestSearchSettingsReachTheWebTask(t *testing.T) {
	e := env(deployProd(t, map[string]any{"searchCacheMb": 0, "searchMaxInFlight": 64}).container(t, "web", "web"))
	if e["SEARCH_CACHE_MB"] != "0" || e["SEARCH_MAX_IN_FLIGHT"] != "64" {
		t.Errorf("web env SEARCH_CACHE_MB=%q SEARCH_MAX_IN_FLIGHT=%q, want 0 and 64 from the stack config", e["SEARCH_CACHE_MB"], e["SEARCH_MAX_IN_FLIGHT"])
	}
}

func TestElasticsearchContainerFitsFargate(t *testing.T) {
	p := deployProd(t, map[string]any{"esHeapMb": 768, "searchStorage": "efs"})
	c := p.container(t, "es", "es")
	if got, want := str(c, "image"), p.cfg.ESImage+":"+p.cfg.ESVersion; got != want {
		t.Errorf("ES image %q, want %q (the same as the local stack)", got, want)
	}
	e := env(c)
	for k, v := range map[string]string{
		"discovery.type": "single-node", "node.store.allow_mmap": "false",
		"xpack.security.enabled": "true", "ES_JAVA_OPTS": "-Xms768m -Xmx768m",
	} {
		if e[k] != v {
			t.Errorf("ES env %s = %q, want %q", k, e[k], v)
		}
	}
	if _, ok := e["bootstrap.memory_lock"]; ok {
		t.Errorf("bootstrap.memory_lock is set; Fargate cannot grant IPC_LOCK")
	}
	nofile := in(c, "ulimits", 0)
	if str(nofile, "name") != "nofile" || num(nofile, "softLimit") != 65535 || num(nofile, "hardLimit") != 65535 {
		t.Errorf("ES ulimits %v, want nofile 65535", list(c, "ulimits"))
	}
	if mp := in(c, "mountPoints", 0); str(mp, "containerPath") != "/usr/share/elasticsearch/data" {
		t.Errorf("ES data mount %v", mp)
	}
	hc := in(c, "healthCheck")
	if num(hc, "startPeriod") < 60 || num(hc, "startPeriod") > 300 {
		t.Errorf("ES health start period %d s; Fargate allows up to 300 and ES needs more than a minute", num(hc, "startPeriod"))
	}

	auto := deployProd(t, nil) // esHeapMb 0 in Pulumi.prod.yaml
	if v, ok := env(auto.container(t, "es", "es"))["ES_JAVA_OPTS"]; ok {
		t.Errorf("esHeapMb 0 still sets ES_JAVA_OPTS=%q", v)
	}
	if m := num(auto.container(t, "es", "es"), "memory"); m != auto.cfg.ESMemoryMB-64 {
		t.Errorf("ES container memory %d, want the task's %d less the proxy's 64", m, auto.cfg.ESMemoryMB)
	}
	ephemeral := deployProd(t, nil)
	if mps := list(ephemeral.container(t, "es", "es"), "mountPoints"); len(mps) != 0 {
		t.Errorf("ephemeral storage mounts %v", mps)
	}
}

func TestServicesRollBackFailedDeploymentsAndWaitForSteadyState(t *testing.T) {
	p := deployProd(t, nil)
	for _, svc := range p.OfType("aws:ecs/service:Service") {
		cb := in(svc.Inputs, "deploymentCircuitBreaker")
		if in(cb, "enable") != true || in(cb, "rollback") != true {
			t.Errorf("%s: circuit breaker %v, want enabled with rollback", svc.Name, cb)
		}
		if in(svc.Inputs, "waitForSteadyState") != true {
			t.Errorf("%s: waitForSteadyState is not true", svc.Name)
		}
		if str(svc.Inputs, "launchType") != "FARGATE" {
			t.Errorf("%s: launch type %q", svc.Name, str(svc.Inputs, "launchType"))
		}
	}
	web := p.Must(t, "aws:ecs/service:Service", name+"web")
	if !slices.Contains(web.IgnoreChanges, "desiredCount") {
		t.Errorf("web service would reset the autoscaled count on every up (ignoreChanges %v)", web.IgnoreChanges)
	}
}

func TestWebScalesOnCPUAndRequestsBetweenMinAndMax(t *testing.T) {
	p := deployProd(t, nil)
	target := p.Must(t, "aws:appautoscaling/target:Target", name+"web")
	if num(target.Inputs, "minCapacity") != p.cfg.AWS.WebMinTasks || num(target.Inputs, "maxCapacity") != p.cfg.AWS.WebMaxTasks {
		t.Errorf("scaling %v–%v, want %d–%d", target.Inputs["minCapacity"], target.Inputs["maxCapacity"], p.cfg.AWS.WebMinTasks, p.cfg.AWS.WebMaxTasks)
	}
	if got, want := str(target.Inputs, "resourceId"), "service/"+name+"cluster/"+name+"web"; got != want {
		t.Errorf("scaling resource %q, want %q", got, want)
	}
	var metrics []string
	for _, pol := range p.OfType("aws:appautoscaling/policy:Policy") {
		spec := in(pol.Inputs, "targetTrackingScalingPolicyConfiguration", "predefinedMetricSpecification")
		metrics = append(metrics, str(spec, "predefinedMetricType"))
		if str(spec, "predefinedMetricType") == "ALBRequestCountPerTarget" {
			label := str(spec, "resourceLabel")
			if !strings.HasPrefix(label, "app/") || !strings.Contains(label, "/targetgroup/") {
				t.Errorf("request count label %q, want app/…/targetgroup/…", label)
			}
		}
	}
	slices.Sort(metrics)
	if !slices.Equal(metrics, []string{"ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"}) {
		t.Errorf("scaling metrics %v", metrics)
	}
}

func TestImageIsBuiltForTheTaskArchitectureAndPushedWithAnECRToken(t *testing.T) {
	for arch, platform := range map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"} {
		p := deployProd(t, map[string]any{"awsArchitecture": arch})
		img := p.Must(t, "docker:index/image:Image", name+"web")
		build := in(img.Inputs, "build")
		if str(build, "platform") != platform {
			t.Errorf("%s: image platform %q, want %s", arch, str(build, "platform"), platform)
		}
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			if got := str(task.Inputs, "runtimePlatform", "cpuArchitecture"); got != arch {
				t.Errorf("%s: task %s runs on %q", arch, task.Name, got)
			}
		}
		if str(build, "args", "BINARY_SOURCE") != "build" {
			t.Errorf("build args %v, want BINARY_SOURCE=build", in(build, "args"))
		}
		repoURL := computed(p.Must(t, "aws:ecr/repository:Repository", name+"web"), "repositoryUrl")
		if !strings.HasPrefix(str(img.Inputs, "imageName"), repoURL+":") {
			t.Errorf("image name %q is not in the repository %s", str(img.Inputs, "imageName"), repoURL)
		}
		reg := in(img.Inputs, "registry")
		if str(reg, "server") != repoURL || str(reg, "username") != "AWS" || str(reg, "password") != "mock-ecr-password" {
			t.Errorf("registry credentials %v, want the ECR token for %s", reg, repoURL)
		}
		if !slices.Contains(img.SecretInputs, "registry") {
			t.Errorf("the ECR password is not marked secret")
		}
		if in(img.Inputs, "skipPush") == true {
			t.Errorf("image is not pushed")
		}
		// Tasks run the pushed image by digest.
		image := str(p.container(t, "web", "web"), "image")
		if !strings.HasPrefix(image, repoURL+"@sha256:") {
			t.Errorf("web task image %q, want %s@sha256:…", image, repoURL)
		}
	}
}

// The program runs with infra/ as working directory (main: infra/), and the
// Docker provider resolves the Dockerfile from there.
func TestImageBuildPathsResolveFromTheProgramDirectory(t *testing.T) {
	p := deployProd(t, nil)
	build := in(p.Must(t, "docker:index/image:Image", name+"web").Inputs, "build")
	root, err := stacktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	infra := filepath.Join(root, "infra")
	dockerfile := filepath.Join(infra, str(build, "dockerfile"))
	if _, err := os.Stat(dockerfile); err != nil {
		t.Errorf("dockerfile %q from infra/: %v", str(build, "dockerfile"), err)
	}
	if ctx := filepath.Clean(filepath.Join(infra, str(build, "context"))); ctx != root {
		t.Errorf("build context %q resolves to %s, want the repository root %s", str(build, "context"), ctx, root)
	}
}

// Behind CloudFront the internal load balancer has one HTTP listener that
// forwards (TLS ends at the edge), whatever the certificate.
func TestBehindCloudFrontTheLoadBalancerListensOnHTTPOnly(t *testing.T) {
	for _, overrides := range []map[string]any{nil, {"awsDomainName": testDomain, "awsCertificateArn": testCertificate}} {
		p := deployProd(t, overrides)
		http := p.Must(t, "aws:lb/listener:Listener", name+"web-http")
		if num(http.Inputs, "port") != 80 || str(http.Inputs, "defaultActions", 0, "type") != "forward" {
			t.Errorf("%v: HTTP listener %v, want port 80 forwarding to the tasks", overrides, http.Inputs)
		}
		if l := p.Find("aws:lb/listener:Listener", name+"web-https"); l != nil {
			t.Errorf("%v: an HTTPS listener on the internal load balancer", overrides)
		}
	}
}

// awsEdge none keeps the public load balancer: HTTP forwards, or with a
// certificate redirects to its HTTPS listener; url follows.
func TestWithoutEdgeHTTPRedirectsToHTTPSWhenACertificateIsSet(t *testing.T) {
	plain := deployProd(t, map[string]any{"awsEdge": "none"})
	http := plain.Must(t, "aws:lb/listener:Listener", name+"web-http")
	if str(http.Inputs, "defaultActions", 0, "type") != "forward" {
		t.Errorf("without a certificate HTTP should forward: %v", http.Inputs["defaultActions"])
	}
	if l := plain.Find("aws:lb/listener:Listener", name+"web-https"); l != nil {
		t.Errorf("HTTPS listener without a certificate")
	}
	if got := plain.await(t, plain.out.URL); got != "http://"+name+"web-1234567890."+testRegion+".elb.amazonaws.com" {
		t.Errorf("url output %v, want the load balancer over http", got)
	}

	tls := deployProd(t, map[string]any{"awsEdge": "none", "awsCertificateArn": testCertificate})
	redirect := in(tls.Must(t, "aws:lb/listener:Listener", name+"web-http").Inputs, "defaultActions", 0)
	if str(redirect, "type") != "redirect" || str(redirect, "redirect", "protocol") != "HTTPS" || str(redirect, "redirect", "statusCode") != "HTTP_301" {
		t.Errorf("HTTP listener with a certificate: %v, want a 301 redirect to HTTPS", redirect)
	}
	https := tls.Must(t, "aws:lb/listener:Listener", name+"web-https")
	if num(https.Inputs, "port") != 443 || str(https.Inputs, "certificateArn") != testCertificate || !strings.HasPrefix(str(https.Inputs, "sslPolicy"), "ELBSecurityPolicy-TLS13") {
		t.Errorf("HTTPS listener %v", https.Inputs)
	}
	if got := tls.await(t, tls.out.URL); got != "https://"+name+"web-1234567890."+testRegion+".elb.amazonaws.com" {
		t.Errorf("url output %v, want the load balancer over https", got)
	}

	domain := deployProd(t, map[string]any{"awsEdge": "none", "awsCertificateArn": testCertificate, "awsDomainName": testDomain})
	if got := domain.await(t, domain.out.URL); got != "https://"+testDomain {
		t.Errorf("url output %v, want https://%s", got, testDomain)
	}
}

func TestProtectDataProtectsAndRetainsFileSystemAndRepository(t *testing.T) {
	for _, tc := range []struct {
		overrides       map[string]any
		protect, retain bool
		retainFSOnly    bool
	}{
		{efsStorage, false, false, false},
		{map[string]any{"searchStorage": "efs", "awsProtectData": true}, true, true, false},
		{map[string]any{"searchStorage": "efs", "retainData": true}, false, false, true},
	} {
		p := deployProd(t, tc.overrides)
		fs := p.Must(t, "aws:efs/fileSystem:FileSystem", name+"es-data")
		repo := p.Must(t, "aws:ecr/repository:Repository", name+"web")
		if fs.Protect != tc.protect || repo.Protect != tc.protect {
			t.Errorf("%v: protect file system %v repository %v, want %v", tc.overrides, fs.Protect, repo.Protect, tc.protect)
		}
		if fs.RetainOnDelete != (tc.retain || tc.retainFSOnly) || repo.RetainOnDelete != tc.retain {
			t.Errorf("%v: retain file system %v repository %v", tc.overrides, fs.RetainOnDelete, repo.RetainOnDelete)
		}
	}
}

func TestBringYourOwnVPCCreatesNoNetwork(t *testing.T) {
	public := []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
	private := []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"}
	p := deployProd(t, map[string]any{"awsVpcId": "vpc-0a1b2c3d4e5f60718", "awsPublicSubnetIds": public, "awsPrivateSubnetIds": private, "searchStorage": "efs"})
	for _, typ := range []string{"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable"} {
		if n := len(p.OfType(typ)); n != 0 {
			t.Errorf("own VPC, yet %d %s created", n, typ)
		}
	}
	// Behind CloudFront the load balancer is internal, in the private subnets.
	if got := list(p.Must(t, "aws:lb/loadBalancer:LoadBalancer", name+"web").Inputs, "subnets"); !slices.Equal(got, private) {
		t.Errorf("load balancer subnets %v, want %v", got, private)
	}
	var mounted []any
	for _, mt := range p.OfType("aws:efs/mountTarget:MountTarget") {
		mounted = append(mounted, mt.Inputs["subnetId"])
	}
	// Registration order under mocks is not stable: compare as sets.
	byText := func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(mounted, byText)
	if !slices.Equal(mounted, private) {
		t.Errorf("mount targets in %v, want one in each of %v", mounted, private)
	}
	for _, g := range p.OfType("aws:ec2/securityGroup:SecurityGroup") {
		if str(g.Inputs, "vpcId") != "vpc-0a1b2c3d4e5f60718" {
			t.Errorf("security group %s in VPC %q", g.Name, str(g.Inputs, "vpcId"))
		}
	}
	if invokes := p.Invokes(); slices.Contains(invokes, "aws:index/getAvailabilityZones:getAvailabilityZones") {
		t.Errorf("zones looked up although the VPC is given")
	}
}

func TestNATGatewaysAndZonesFollowTheConfig(t *testing.T) {
	for _, tc := range []struct{ zones, nats int }{{2, 1}, {3, 1}, {3, 3}} {
		p := deployProd(t, map[string]any{"awsAzCount": tc.zones, "awsNatGateways": tc.nats})
		if n := len(p.OfType("aws:ec2/natGateway:NatGateway")); n != tc.nats {
			t.Errorf("%d zones, %d NAT: %d NAT gateways", tc.zones, tc.nats, n)
		}
		zones := map[string]bool{}
		for _, s := range p.OfType("aws:ec2/subnet:Subnet") {
			zones[str(s.Inputs, "availabilityZone")] = true
		}
		if len(zones) != tc.zones || len(p.OfType("aws:ec2/subnet:Subnet")) != 2*tc.zones {
			t.Errorf("%d zones: subnets in %v", tc.zones, zones)
		}
		// Every private route table routes through a NAT gateway of the stack.
		nats := map[string]bool{}
		for _, n := range p.OfType("aws:ec2/natGateway:NatGateway") {
			nats[n.ID] = true
		}
		for _, rt := range p.OfType("aws:ec2/routeTable:RouteTable") {
			if strings.Contains(rt.Name, "private") && !nats[str(rt.Inputs, "routes", 0, "natGatewayId")] {
				t.Errorf("%s routes %v", rt.Name, in(rt.Inputs, "routes"))
			}
		}
		vpc := p.Must(t, "aws:ec2/vpc:Vpc", name+"vpc")
		if in(vpc.Inputs, "enableDnsSupport") != true || in(vpc.Inputs, "enableDnsHostnames") != true {
			t.Errorf("VPC DNS support/hostnames off: %v", vpc.Inputs)
		}
	}
}

func TestAlarmsNotifyTheTopicAndTheConfiguredAddress(t *testing.T) {
	quiet := deployProd(t, nil)
	if n := len(quiet.OfType("aws:sns/topicSubscription:TopicSubscription")); n != 0 {
		t.Errorf("%d subscriptions without awsAlarmEmail", n)
	}
	p := deployProd(t, map[string]any{"awsAlarmEmail": "ops@example.org"})
	sub := p.Must(t, "aws:sns/topicSubscription:TopicSubscription", name+"alarms-email")
	if str(sub.Inputs, "protocol") != "email" || str(sub.Inputs, "endpoint") != "ops@example.org" {
		t.Errorf("subscription %v", sub.Inputs)
	}
	topic := computed(p.Must(t, "aws:sns/topic:Topic", name+"alarms"), "arn")
	metrics := map[string]bool{}
	for _, a := range p.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if actions := list(a.Inputs, "alarmActions"); len(actions) != 1 || actions[0] != topic {
			t.Errorf("alarm %s notifies %v, want the topic %s", a.Name, actions, topic)
		}
		metrics[str(a.Inputs, "metricName")] = true
		for _, q := range list(a.Inputs, "metricQueries") {
			metrics[str(q, "metric", "metricName")] = true
		}
	}
	for _, m := range []string{"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "RunningTaskCount"} {
		if !metrics[m] {
			t.Errorf("no alarm on %s", m)
		}
	}
}

func TestEFSBackupsFollowTheConfig(t *testing.T) {
	for backups, want := range map[bool]string{true: "ENABLED", false: "DISABLED"} {
		p := deployProd(t, map[string]any{"awsEfsBackups": backups, "searchStorage": "efs"})
		if got := str(p.Must(t, "aws:efs/backupPolicy:BackupPolicy", name+"es-data").Inputs, "backupPolicy", "status"); got != want {
			t.Errorf("awsEfsBackups %v: backup policy %q, want %s", backups, got, want)
		}
	}
}

func TestOutputsNameWhatTheStackMade(t *testing.T) {
	p := deployProd(t, nil)
	got := map[string]any{}
	for key, v := range stack.OutputsOf(p.out) {
		got[key] = p.await(t, pulumi.ToOutput(v))
	}
	want := map[string]any{
		"url":               "https://d111111abcdef8.cloudfront.net",
		"edgeDomainName":    "d111111abcdef8.cloudfront.net",
		"ecrRepositoryUrl":  testAccount + ".dkr.ecr." + testRegion + ".amazonaws.com/" + name + "web",
		"clusterName":       name + "cluster",
		"webServiceName":    name + "web",
		"searchServiceName": name + "es",
		"logGroups":         map[string]any{"web": "/ecs/" + name + "web", "es": "/ecs/" + name + "es"},
		"esEndpoint":        "http://es:9200",
	}
	for key, w := range want {
		if g, ok := got[key]; !ok {
			t.Errorf("no output %s", key)
		} else if !equalJSONish(g, w) {
			t.Errorf("output %s = %#v, want %#v", key, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outputs %v, want exactly %v", got, want)
	}
}

func equalJSONish(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			if !equalJSONish(v, bm[k]) {
				return false
			}
		}
		return true
	}
	if as, ok := a.(map[string]string); ok && bok {
		conv := map[string]any{}
		for k, v := range as {
			conv[k] = v
		}
		return equalJSONish(conv, bm)
	}
	return a == b
}

// CloudFront offers VPC origins in every us-east-1 zone but use1-az3, and
// AWS names zones by ID because us-east-1a is a different zone in each
// account. Behind CloudFront the stack skips the zone whose ID is excluded,
// whatever its name; without CloudFront it may use it.
func TestZonesAreChosenByZoneIDWhereCloudFrontOffersVPCOrigins(t *testing.T) {
	// This account's us-east-1a is use1-az3.
	zones := map[string]stacktest.InvokeFunc{"aws:index/getAvailabilityZones:getAvailabilityZones": stacktest.Canned(map[string]any{
		"id": testRegion, "groupNames": []any{testRegion},
		"names":   []any{"us-east-1a", "us-east-1b", "us-east-1c"},
		"zoneIds": []any{"use1-az3", "use1-az1", "use1-az2"},
	})}
	subnetZones := func(p *prod) []string {
		var out []string
		for _, s := range p.OfType("aws:ec2/subnet:Subnet") {
			if z := str(s.Inputs, "availabilityZone"); !slices.Contains(out, z) {
				out = append(out, z)
			}
		}
		slices.Sort(out)
		return out
	}
	behind := runProdWith(t, nil, zones)
	if behind.Err != nil {
		t.Fatal(behind.Err)
	}
	if got := subnetZones(behind); !slices.Equal(got, []string{"us-east-1b", "us-east-1c"}) {
		t.Errorf("behind CloudFront the subnets are in %v, want us-east-1b and us-east-1c (us-east-1a is use1-az3)", got)
	}
	without := runProdWith(t, map[string]any{"awsEdge": "none"}, zones)
	if without.Err != nil {
		t.Fatal(without.Err)
	}
	if got := subnetZones(without); !slices.Equal(got, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("without CloudFront the subnets are in %v, want the first two zones", got)
	}

	tooMany := runProdWith(t, map[string]any{"awsAzCount": 3}, zones)
	want := "awsAzCount: 3 availability zones asked for, region us-east-1 has 2 that CloudFront offers VPC origins in ([us-east-1b us-east-1c]; not us-east-1a (use1-az3)); set awsAzCount 2, or set awsEdge none"
	if tooMany.Err == nil || !strings.Contains(tooMany.Err.Error(), want) {
		t.Errorf("three zones behind CloudFront: error %v, want %q", tooMany.Err, want)
	}
}

// A failing Elasticsearch rollout must end in ECS's rollback, not in the
// provider's 20-minute "timeout while waiting for state to become
// 'tfSTABLE'". At desired 1 the circuit breaker waits for 3 failed tasks,
// one after the other; each pulls the ~1 GB image (at least two minutes
// through NAT), runs out its health check's start period and retries, and
// takes its stop timeout; then the rollback pulls and starts the previous
// revision. The wait is read from the task definition the stack registers.
func TestServiceWaitsOutlastAFailingRolloutAndItsRollback(t *testing.T) {
	p := deployProd(t, nil)
	es := p.container(t, "es", "es")
	sec := func(path ...any) time.Duration { return time.Duration(num(es, path...)) * time.Second }
	verdict := sec("healthCheck", "startPeriod") + time.Duration(num(es, "healthCheck", "retries"))*(sec("healthCheck", "interval")+sec("healthCheck", "timeout"))
	const pull = 2 * time.Minute
	attempt := pull + verdict + sec("stopTimeout")
	floor := 3*attempt + pull + verdict

	for svc, want := range map[string]time.Duration{"es": floor, "web": 20 * time.Minute} {
		timeouts := p.Must(t, "aws:ecs/service:Service", name+svc).CustomTimeouts
		for op, raw := range map[string]string{"create": timeouts.Create, "update": timeouts.Update} {
			d, err := time.ParseDuration(raw)
			if err != nil || d < want {
				t.Errorf("%s service %s timeout %q, want at least %v", svc, op, raw, want)
			}
		}
	}
	t.Logf("a failing Elasticsearch rollout takes at least %v (3 × %v, then %v for the rollback)", floor, attempt, pull+verdict)
}

// With a VPC of one's own the zones are the given private subnets', where
// the internal load balancer runs: one in a zone CloudFront offers no VPC
// origins in fails before anything is registered.
func TestOwnSubnetsInAZoneWithoutVPCOriginsFailEarly(t *testing.T) {
	ownVPC := map[string]any{
		"awsVpcId":            "vpc-0a1b2c3d4e5f60718",
		"awsPrivateSubnetIds": []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"},
	}
	inAZ3 := map[string]stacktest.InvokeFunc{"aws:ec2/getSubnet:getSubnet": func(args resource.PropertyMap) (resource.PropertyMap, error) {
		id := args["id"].StringValue()
		zone, zoneID := "us-east-1a", "use1-az1"
		if id == "subnet-0bbbbbbbbbbbbbbb2" {
			zone, zoneID = "us-east-1d", "use1-az3"
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": id, "availabilityZone": zone, "availabilityZoneId": zoneID}), nil
	}}
	p := runProdWith(t, ownVPC, inAZ3)
	want := "awsPrivateSubnetIds: subnet-0bbbbbbbbbbbbbbb2 is in us-east-1d (use1-az3), a zone CloudFront offers no VPC origins in"
	if p.Err == nil || !strings.Contains(p.Err.Error(), want) || !strings.Contains(p.Err.Error(), "awsEdge none") {
		t.Fatalf("error %v, want %q and the way out (awsEdge none)", p.Err, want)
	}
	if n := len(p.OfType("aws:ec2/securityGroup:SecurityGroup")); n != 0 {
		t.Errorf("%d security groups registered before the zone was judged", n)
	}
	withoutEdge := maps.Clone(ownVPC)
	withoutEdge["awsEdge"] = "none"
	withoutEdge["awsPublicSubnetIds"] = []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
	if p := runProdWith(t, withoutEdge, inAZ3); p.Err != nil {
		t.Errorf("awsEdge none in the same subnets: %v", p.Err)
	}
}
