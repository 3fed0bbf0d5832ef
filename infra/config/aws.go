package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Values of the aws keys the program branches on.
const (
	SearchModeFargate  = "fargate"  // Elasticsearch runs in the stack, one Fargate task
	SearchModeExternal = "external" // an existing Elasticsearch 8 cluster (externalEsUrl)

	SearchStorageEFS       = "efs"       // data on an EFS file system, kept across tasks
	SearchStorageEphemeral = "ephemeral" // data on the task's own storage; the app reloads it

	ArchitectureX86   = "X86_64"
	ArchitectureARM64 = "ARM64" // Graviton

	EdgeCloudFront = "cloudfront" // CloudFront with a VPC origin in front of an internal load balancer
	EdgeNone       = "none"       // a public load balancer, as before CloudFront

	// CloudFrontCertificateRegion is the only region CloudFront takes ACM
	// certificates from, wherever the rest of the stack runs.
	CloudFrontCertificateRegion = "us-east-1"
)

// The share of a task ECS Service Connect's proxy needs: AWS advises
// adding 256 CPU units and 64 MiB to a task for it. Container limits leave
// the memory free; task sizes must leave the CPU.
const (
	ServiceConnectProxyMemoryMB = 64
	ServiceConnectProxyCPU      = 256
)

var (
	searchModes    = []string{SearchModeFargate, SearchModeExternal}
	searchStorages = []string{SearchStorageEFS, SearchStorageEphemeral}
	architectures  = []string{ArchitectureX86, ArchitectureARM64}
	edges          = []string{EdgeCloudFront, EdgeNone}

	// CloudWatch Logs accepts only these retention periods (days). 0,
	// "never expire", is left out on purpose: logs must not grow forever.
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

	certificateARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	vpcIDPattern          = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDPattern       = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	regionPattern         = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	// A host name of at least two labels, lower case, no wildcard: the url
	// output is built from it.
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
)

const (
	minAZs = 2 // an Application Load Balancer needs subnets in two zones
	maxAZs = 6
)

// vpcOriginRegions are the regions CloudFront offers VPC origins in, each
// with the zones, by AZ ID, it does not offer them in (CloudFront Developer
// Guide, "Supported AWS Regions for VPC origins"). An AZ name such as
// us-east-1a is a different zone in every account; the ID is the zone.
var vpcOriginRegions = map[string][]string{
	"us-east-1": {"use1-az3"}, "us-east-2": nil, "us-west-1": {"usw1-az2"}, "us-west-2": nil,
	"af-south-1": nil, "ap-east-1": nil, "ap-east-2": nil, "ap-south-1": nil, "ap-south-2": nil,
	"ap-northeast-1": {"apne1-az3"}, "ap-northeast-2": nil, "ap-northeast-3": nil,
	"ap-southeast-1": nil, "ap-southeast-2": nil, "ap-southeast-3": nil, "ap-southeast-4": nil,
	"ap-southeast-5": nil, "ap-southeast-7": nil,
	"ca-central-1": {"cac1-az3"}, "ca-west-1": nil,
	"eu-central-1": nil, "eu-central-2": nil, "eu-north-1": nil, "eu-south-1": nil, "eu-south-2": nil,
	"eu-west-1": nil, "eu-west-2": nil, "eu-west-3": nil,
	"il-central-1": nil, "me-central-1": nil, "me-south-1": nil, "mx-central-1": nil, "sa-east-1": nil,
}

// VPCOriginZone reports whether CloudFront offers VPC origins in the zone
// with this AZ ID of region.
func VPCOriginZone(region, zoneID string) bool {
	except, ok := vpcOriginRegions[region]
	return ok && !slices.Contains(except, zoneID)
}

// fargateSize is one Fargate CPU size and the task memory it takes.
type fargateSize struct {
	cpu                  int
	minMB, maxMB, stepMB int
}

// fargateSizes are the task sizes Fargate accepts (Linux).
var fargateSizes = []fargateSize{
	{256, 512, 2048, 0}, // 512, 1024 or 2048: listed below
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

func (s fargateSize) fits(memoryMB int) bool {
	if s.cpu == 256 {
		return memoryMB == 512 || memoryMB == 1024 || memoryMB == 2048
	}
	return memoryMB >= s.minMB && memoryMB <= s.maxMB && (memoryMB-s.minMB)%s.stepMB == 0
}

func (s fargateSize) String() string {
	if s.cpu == 256 {
		return "512, 1024 or 2048 MiB"
	}
	return fmt.Sprintf("%d–%d MiB in steps of %d", s.minMB, s.maxMB, s.stepMB)
}

// FargateTaskSizeValid reports whether cpu units and memory MiB are a task
// size Fargate accepts.
func FargateTaskSizeValid(cpu, memoryMB int) bool {
	for _, s := range fargateSizes {
		if s.cpu == cpu {
			return s.fits(memoryMB)
		}
	}
	return false
}

// checkFargateSize names the keys of one task's cpu and memory.
func checkFargateSize(cpuKey string, cpu int, memoryKey string, memoryMB int) error {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		if s.fits(memoryMB) {
			return nil
		}
		return fmt.Errorf("%s: %d MiB does not pair with %s %d on Fargate; %d CPU units take %s", memoryKey, memoryMB, cpuKey, cpu, cpu, s)
	}
	cpus := make([]string, len(fargateSizes))
	for i, s := range fargateSizes {
		cpus[i] = fmt.Sprint(s.cpu)
	}
	return fmt.Errorf("%s: %d is not a Fargate CPU size; use one of %s", cpuKey, cpu, strings.Join(cpus, ", "))
}

// validateAWS checks the keys only the aws target reads. It runs only when
// target is aws.
func (c Config) validateAWS() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := c.AWS

	if a.Region == "" {
		add("aws:region: not set; the prod stack deploys to one region: `pulumi config set aws:region us-east-1` (or another region)")
	} else if !regionPattern.MatchString(a.Region) {
		add("aws:region: %q is not an AWS region name such as us-east-1 or eu-central-1", a.Region)
	}

	errs = append(errs, c.validateAWSNetwork()...)

	if !slices.Contains(architectures, a.Architecture) {
		add("awsArchitecture: %q is not one of %s", a.Architecture, strings.Join(architectures, ", "))
	}
	if err := checkFargateSize("awsWebCpu", a.WebCPU, "awsWebMemoryMb", a.WebMemoryMB); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateAWSSearchCache()...)
	if a.WebMinTasks < 1 {
		add("awsWebMinTasks: %d must be at least 1", a.WebMinTasks)
	}
	if a.WebMaxTasks < a.WebMinTasks {
		add("awsWebMaxTasks: %d is below awsWebMinTasks %d", a.WebMaxTasks, a.WebMinTasks)
	}
	if c.WebReplicas >= 1 && a.WebMinTasks >= 1 && (c.WebReplicas < a.WebMinTasks || c.WebReplicas > a.WebMaxTasks) {
		add("webReplicas: %d (the initial task count) must lie between awsWebMinTasks %d and awsWebMaxTasks %d", c.WebReplicas, a.WebMinTasks, a.WebMaxTasks)
	}
	if a.ECRKeepImages < 1 {
		add("awsEcrKeepImages: %d must be at least 1 (the running image must stay in the repository)", a.ECRKeepImages)
	}

	errs = append(errs, c.validateAWSSearch()...)
	// The web tasks are Service Connect clients only when Elasticsearch
	// runs in the stack; then their proxy takes its 256 units off the task.
	if a.SearchMode == SearchModeFargate && a.WebCPU > 0 && a.WebCPU < 2*ServiceConnectProxyCPU {
		add("awsWebCpu: %d leaves the web app nothing beside the Service Connect proxy's %d CPU units (searchMode %s); use at least %d with awsWebMemoryMb 1024",
			a.WebCPU, ServiceConnectProxyCPU, SearchModeFargate, 2*ServiceConnectProxyCPU)
	}

	errs = append(errs, c.validateAWSEdge()...)
	if a.AlarmEmail != "" {
		if addr, err := mail.ParseAddress(a.AlarmEmail); err != nil || addr.Address != a.AlarmEmail {
			add("awsAlarmEmail: %q is not an e-mail address (leave it empty for no e-mail)", a.AlarmEmail)
		}
	}
	if !slices.Contains(logRetentionDays, a.LogRetentionDays) {
		days := make([]string, len(logRetentionDays))
		for i, d := range logRetentionDays {
			days[i] = fmt.Sprint(d)
		}
		add("awsLogRetentionDays: %d is not a retention CloudWatch Logs accepts; use one of %s", a.LogRetentionDays, strings.Join(days, ", "))
	}
	return errs
}

// validateAWSSearchCache keeps the app's answer cache to at most half of
// the memory its container gets, so the cache, the garbage collector's
// headroom over it, and requests in flight fit beside each other. Only a
// valid task size is judged; checkFargateSize names a bad one.
func (c Config) validateAWSSearchCache() []error {
	a := c.AWS
	if c.SearchCacheMB <= 0 || c.SearchCacheMB > MaxSearchCacheMB || !FargateTaskSizeValid(a.WebCPU, a.WebMemoryMB) {
		return nil
	}
	appMemoryMB, source := a.WebMemoryMB, fmt.Sprintf("awsWebMemoryMb %d", a.WebMemoryMB)
	if a.SearchMode == SearchModeFargate {
		// A Service Connect client: the proxy in the task keeps its share.
		appMemoryMB -= ServiceConnectProxyMemoryMB
		source += fmt.Sprintf(" less the Service Connect proxy's %d", ServiceConnectProxyMemoryMB)
	}
	if limit := appMemoryMB / 2; c.SearchCacheMB > limit {
		return []error{fmt.Errorf("searchCacheMb: %d is more than half of the web app's memory (%d MiB: %s); use at most %d, or raise awsWebMemoryMb",
			c.SearchCacheMB, appMemoryMB, source, limit)}
	}
	return nil
}

// validateAWSEdge checks how clients reach the app: the edge choice, the
// custom domain and its certificate, whose region depends on the edge.
func (c Config) validateAWSEdge() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := c.AWS

	if !slices.Contains(edges, a.Edge) {
		add("awsEdge: %q is not one of %s", a.Edge, strings.Join(edges, ", "))
	}
	if a.DomainName != "" {
		if len(a.DomainName) > 253 || !domainPattern.MatchString(a.DomainName) {
			add("awsDomainName: %q is not a domain name such as trucks.example.org (lower case, no scheme, no path, no wildcard)", a.DomainName)
		}
		if a.CertificateARN == "" {
			add("awsDomainName: %s needs awsCertificateArn, an ACM certificate that covers it (in %s with awsEdge %s, in aws:region with awsEdge %s)",
				a.DomainName, CloudFrontCertificateRegion, EdgeCloudFront, EdgeNone)
		}
	}
	if a.CertificateARN != "" {
		m := certificateARNPattern.FindStringSubmatch(a.CertificateARN)
		switch {
		case m == nil:
			add("awsCertificateArn: %q is not an ACM certificate ARN (arn:aws:acm:<region>:<12-digit account>:certificate/<id>)", a.CertificateARN)
		case a.Edge == EdgeCloudFront && m[1] != CloudFrontCertificateRegion:
			add("awsCertificateArn: the certificate is in %s, but CloudFront takes certificates only from %s; request or import it there (the rest of the stack stays in aws:region)", m[1], CloudFrontCertificateRegion)
		case a.Edge == EdgeNone && a.Region != "" && m[1] != a.Region:
			add("awsCertificateArn: the certificate is in %s, the load balancer in aws:region %s; request or import it in %s", m[1], a.Region, a.Region)
		}
		if a.Edge == EdgeCloudFront && a.DomainName == "" {
			add("awsCertificateArn: set, but awsDomainName is not; with awsEdge %s the certificate serves your domain (https://<id>.cloudfront.net needs none): set awsDomainName or remove the certificate", EdgeCloudFront)
		}
	}
	if _, ok := vpcOriginRegions[a.Region]; a.Edge == EdgeCloudFront && a.Region != "" && !ok {
		add("awsEdge: %s puts a CloudFront VPC origin in aws:region %s, where CloudFront does not offer VPC origins; deploy to a region that has them (us-east-1, eu-central-1 and others: CloudFront Developer Guide, \"Supported AWS Regions for VPC origins\"), or set awsEdge %s (a public load balancer)",
			EdgeCloudFront, a.Region, EdgeNone)
	}
	if a.WAF && a.Edge != EdgeCloudFront {
		add("awsWaf: true needs awsEdge %s (the web ACL is attached to the CloudFront distribution)", EdgeCloudFront)
	}
	return errs
}

func (c Config) validateAWSNetwork() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := c.AWS

	if a.VPCID == "" {
		if len(a.PublicSubnetIDs) > 0 || len(a.PrivateSubnetIDs) > 0 {
			add("awsPublicSubnetIds, awsPrivateSubnetIds: subnets are only used with awsVpcId; set awsVpcId or remove the subnet lists")
		}
		if a.AZCount < minAZs || a.AZCount > maxAZs {
			add("awsAzCount: %d must be between %d and %d", a.AZCount, minAZs, maxAZs)
		}
		if a.NATGateways < 1 || a.NATGateways > max(a.AZCount, 1) {
			add("awsNatGateways: %d must be between 1 (cheaper) and awsAzCount %d (one per zone, highly available)", a.NATGateways, a.AZCount)
		}
		return errs
	}

	if !vpcIDPattern.MatchString(a.VPCID) {
		add("awsVpcId: %q is not a VPC ID (vpc-…)", a.VPCID)
	}
	subnets := []struct {
		key string
		ids []string
		min int
		use string
	}{
		{"awsPublicSubnetIds", a.PublicSubnetIDs, minAZs, "the load balancer needs public subnets in at least two availability zones"},
		{"awsPrivateSubnetIds", a.PrivateSubnetIDs, 1, "the tasks and the file system need private subnets with a route to a NAT gateway"},
	}
	if a.Edge == EdgeCloudFront {
		// The load balancer is internal: it lives in the private subnets,
		// and no public subnet of the stack is used.
		subnets[0].min = 0
		subnets[1].min, subnets[1].use = minAZs, "the internal load balancer needs private subnets in at least two availability zones (with a route to a NAT gateway for the tasks)"
	}
	for _, s := range subnets {
		if len(s.ids) < s.min {
			add("%s: %d given with awsVpcId, need at least %d: %s", s.key, len(s.ids), s.min, s.use)
		}
		seen := map[string]bool{}
		for _, id := range s.ids {
			if !subnetIDPattern.MatchString(id) {
				add("%s: %q is not a subnet ID (subnet-…)", s.key, id)
			}
			if seen[id] {
				add("%s: %q is listed twice", s.key, id)
			}
			seen[id] = true
		}
	}
	return errs
}

func (c Config) validateAWSSearch() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := c.AWS

	switch a.SearchMode {
	case SearchModeFargate:
		if !slices.Contains(searchStorages, a.SearchStorage) {
			add("searchStorage: %q is not one of %s", a.SearchStorage, strings.Join(searchStorages, ", "))
		}
		if err := checkFargateSize("awsEsCpu", a.ESCPU, "esMemoryMb", c.ESMemoryMB); err != nil {
			errs = append(errs, err)
		}
		// The proxy's share comes off the container's memory; the heap may
		// take at most half of what is left.
		if room := (c.ESMemoryMB - ServiceConnectProxyMemoryMB) / 2; c.ESHeapMB > room && c.ESHeapMB <= c.ESMemoryMB/2 {
			add("esHeapMb: %d leaves no room for the Service Connect proxy (%d MiB of esMemoryMb %d); use at most %d, or 0 to let Elasticsearch size it",
				c.ESHeapMB, ServiceConnectProxyMemoryMB, c.ESMemoryMB, room)
		}
		if !c.ESSecurity {
			add("esSecurity: false, but searchMode %s runs Elasticsearch with security on in AWS: `pulumi config set esSecurity true`", SearchModeFargate)
		}
		if c.ESPassword == "" {
			add("esPassword: not set; searchMode %s needs the elastic user's password: `make up-prod` generates one on first use, or `pulumi config set --secret esPassword <value>`", SearchModeFargate)
		}
	case SearchModeExternal:
		if u, err := url.Parse(a.ExternalESURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			add("externalEsUrl: %q must be the https URL of an Elasticsearch 8 cluster (e.g. https://my-deployment.es.us-east-1.aws.elastic.cloud), without credentials", a.ExternalESURL)
		}
		if a.ExternalAPIKey == "" {
			add("externalEsApiKey: not set; searchMode %s authenticates with an API key: `pulumi config set --secret externalEsApiKey <key>`", SearchModeExternal)
		}
	default:
		add("searchMode: %q is not one of %s", a.SearchMode, strings.Join(searchModes, ", "))
	}
	return errs
}
