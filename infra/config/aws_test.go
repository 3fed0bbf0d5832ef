package config

import (
	"strings"
	"testing"
)

// validAWS is the prod stack's configuration: Pulumi.yaml's defaults with
// Pulumi.prod.yaml's overrides and a password, as `make up-prod` leaves it.
func validAWS() Config {
	c := validLocal()
	c.Stack, c.Target = "prod", TargetAWS
	c.ESSecurity, c.ESPassword = true, "generated-password"
	c.ESHeapMB, c.ESMemoryMB = 0, 2048
	c.WebReplicas = 2
	c.AWS = AWSConfig{
		Region: "us-east-1", AZCount: 2, NATGateways: 1, Architecture: ArchitectureX86,
		WebCPU: 512, WebMemoryMB: 1024, WebMinTasks: 2, WebMaxTasks: 6, ESCPU: 1024,
		ECRKeepImages: 10, ECRForceDelete: true,
		SearchMode: SearchModeFargate, SearchStorage: SearchStorageEphemeral,
		Edge: EdgeCloudFront, LogRetentionDays: 30,
	}
	return c
}

func TestValidateAWSAcceptsTheProdDefaultsAndSensibleVariations(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"defaults":                  func(*Config) {},
		"EFS storage with backups":  func(c *Config) { c.AWS.SearchStorage, c.AWS.EFSBackups = SearchStorageEFS, true },
		"Graviton":                  func(c *Config) { c.AWS.Architecture = ArchitectureARM64 },
		"one NAT per zone":          func(c *Config) { c.AWS.AZCount, c.AWS.NATGateways = 3, 3 },
		"six zones":                 func(c *Config) { c.AWS.AZCount = 6 },
		"web 1 vCPU 8 GiB":          func(c *Config) { c.AWS.WebCPU, c.AWS.WebMemoryMB = 1024, 8192 },
		"web 512 with 4 GiB":        func(c *Config) { c.AWS.WebMemoryMB = 4096 },
		"ES 8 vCPU 20 GiB":          func(c *Config) { c.AWS.ESCPU, c.ESMemoryMB = 8192, 20480 },
		"ES heap leaves proxy room": func(c *Config) { c.ESHeapMB = 992 },
		"replicas at the ceiling":   func(c *Config) { c.WebReplicas = 6 },
		"log retention one year":    func(c *Config) { c.AWS.LogRetentionDays = 365 },
		"alarm e-mail":              func(c *Config) { c.AWS.AlarmEmail = "ops@example.org" },
		"custom domain on CloudFront, certificate in us-east-1": func(c *Config) {
			c.AWS.DomainName, c.AWS.CertificateARN = "trucks.example.org", certificateIn("us-east-1")
		},
		"custom domain on CloudFront with the stack in another region": func(c *Config) {
			c.AWS.Region = "eu-central-1"
			c.AWS.DomainName, c.AWS.CertificateARN = "trucks.example.org", certificateIn("us-east-1")
		},
		"CloudFront with WAF": func(c *Config) { c.AWS.WAF = true },
		"no edge where CloudFront has no VPC origins": func(c *Config) {
			c.AWS.Region, c.AWS.Edge = "us-gov-west-1", EdgeNone
		},
		"no edge, certificate in region": func(c *Config) {
			c.AWS.Edge, c.AWS.CertificateARN = EdgeNone, certificateIn("us-east-1")
		},
		"no edge, domain and certificate in region": func(c *Config) {
			c.AWS.Region, c.AWS.Edge = "eu-central-1", EdgeNone
			c.AWS.DomainName, c.AWS.CertificateARN = "trucks.example.org", certificateIn("eu-central-1")
		},
		"own VPC behind CloudFront: private subnets only": func(c *Config) {
			c.AWS.VPCID = "vpc-0a1b2c3d4e5f60718"
			c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"}
		},
		"own VPC without edge": func(c *Config) {
			c.AWS.Edge = EdgeNone
			c.AWS.VPCID = "vpc-0a1b2c3d4e5f60718"
			c.AWS.PublicSubnetIDs = []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
			c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"}
		},
		"external cluster": func(c *Config) {
			c.AWS.SearchMode = SearchModeExternal
			c.AWS.ExternalESURL, c.AWS.ExternalAPIKey = "https://trucks.es.us-east-1.aws.elastic.cloud", "a2V5OnNlY3JldA=="
			// The ES task's keys are not judged when no ES task runs.
			c.ESSecurity, c.ESPassword, c.AWS.ESCPU = false, "", 0
		},
		"external cluster, web 256": func(c *Config) {
			c.AWS.SearchMode = SearchModeExternal
			c.AWS.ExternalESURL, c.AWS.ExternalAPIKey = "https://trucks.es.us-east-1.aws.elastic.cloud", "a2V5OnNlY3JldA=="
			c.ESSecurity, c.ESPassword, c.AWS.ESCPU = false, "", 0
			// No Service Connect proxy in the web tasks without an ES service.
			c.AWS.WebCPU, c.AWS.WebMemoryMB = 256, 512
		},
		// Half of the 960 MiB the app keeps beside the proxy.
		"search cache at half the app's memory": func(c *Config) { c.SearchCacheMB = 480 },
		"search cache off":                      func(c *Config) { c.SearchCacheMB = 0 },
		"search cache of 4 GiB on a 16 GiB web task": func(c *Config) {
			c.AWS.WebCPU, c.AWS.WebMemoryMB, c.SearchCacheMB = 2048, 16384, 4096
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := validAWS()
			change(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

// Every aws rule, broken once; the message names the key, the value and
// what is allowed.
func TestValidateAWSNamesTheKeyAndWhatIsAllowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"region missing", func(c *Config) { c.AWS.Region = "" }, "aws:region: not set; the prod stack deploys to one region: `pulumi config set aws:region us-east-1`"},
		{"region malformed", func(c *Config) { c.AWS.Region = "Virginia" }, `aws:region: "Virginia" is not an AWS region name such as us-east-1`},
		{"one zone", func(c *Config) { c.AWS.AZCount = 1 }, "awsAzCount: 1 must be between 2 and 6"},
		{"seven zones", func(c *Config) { c.AWS.AZCount = 7 }, "awsAzCount: 7 must be between 2 and 6"},
		{"no NAT", func(c *Config) { c.AWS.NATGateways = 0 }, "awsNatGateways: 0 must be between 1 (cheaper) and awsAzCount 2 (one per zone, highly available)"},
		{"more NATs than zones", func(c *Config) { c.AWS.NATGateways = 3 }, "awsNatGateways: 3 must be between 1 (cheaper) and awsAzCount 2"},
		{"subnets without VPC", func(c *Config) { c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1"} }, "awsPublicSubnetIds, awsPrivateSubnetIds: subnets are only used with awsVpcId"},
		{"own VPC without subnets, no edge", func(c *Config) { c.AWS.Edge, c.AWS.VPCID = EdgeNone, "vpc-0a1b2c3d4e5f60718" }, "awsPublicSubnetIds: 0 given with awsVpcId, need at least 2: the load balancer needs public subnets in at least two availability zones"},
		{"own VPC without private subnets, no edge", func(c *Config) {
			c.AWS.Edge, c.AWS.VPCID = EdgeNone, "vpc-0a1b2c3d4e5f60718"
			c.AWS.PublicSubnetIDs = []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
		}, "awsPrivateSubnetIds: 0 given with awsVpcId, need at least 1"},
		{"VPC ID malformed", func(c *Config) {
			c.AWS.VPCID = "my-vpc"
			c.AWS.PublicSubnetIDs = []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
			c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1"}
		}, `awsVpcId: "my-vpc" is not a VPC ID (vpc-…)`},
		{"subnet ID malformed", func(c *Config) {
			c.AWS.VPCID = "vpc-0a1b2c3d4e5f60718"
			c.AWS.PublicSubnetIDs = []string{"subnet-0aaaaaaaaaaaaaaa1", "public-b"}
			c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1"}
		}, `awsPublicSubnetIds: "public-b" is not a subnet ID (subnet-…)`},
		{"architecture", func(c *Config) { c.AWS.Architecture = "arm64" }, `awsArchitecture: "arm64" is not one of X86_64, ARM64`},
		{"web memory does not pair", func(c *Config) { c.AWS.WebCPU, c.AWS.WebMemoryMB = 1024, 1024 }, "awsWebMemoryMb: 1024 MiB does not pair with awsWebCpu 1024 on Fargate; 1024 CPU units take 2048–8192 MiB in steps of 1024"},
		{"web 256 with 4 GiB", func(c *Config) { c.AWS.WebCPU, c.AWS.WebMemoryMB = 256, 4096 }, "awsWebMemoryMb: 4096 MiB does not pair with awsWebCpu 256 on Fargate; 256 CPU units take 512, 1024 or 2048 MiB"},
		{"web 256 beside the proxy", func(c *Config) { c.AWS.WebCPU, c.AWS.WebMemoryMB = 256, 512 }, "awsWebCpu: 256 leaves the web app nothing beside the Service Connect proxy's 256 CPU units (searchMode fargate); use at least 512 with awsWebMemoryMb 1024"},
		{"web memory off the step", func(c *Config) { c.AWS.WebCPU, c.AWS.WebMemoryMB = 8192, 20000 }, "awsWebMemoryMb: 20000 MiB does not pair with awsWebCpu 8192 on Fargate; 8192 CPU units take 16384–61440 MiB in steps of 4096"},
		{"web cpu not a size", func(c *Config) { c.AWS.WebCPU = 300 }, "awsWebCpu: 300 is not a Fargate CPU size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384"},
		{"ES memory does not pair", func(c *Config) { c.ESMemoryMB = 1024 }, "esMemoryMb: 1024 MiB does not pair with awsEsCpu 1024 on Fargate; 1024 CPU units take 2048–8192 MiB in steps of 1024"},
		{"ES cpu not a size", func(c *Config) { c.AWS.ESCPU = 1000 }, "awsEsCpu: 1000 is not a Fargate CPU size"},
		{"ES heap crowds the proxy", func(c *Config) { c.ESHeapMB = 1024 }, "esHeapMb: 1024 leaves no room for the Service Connect proxy (64 MiB of esMemoryMb 2048); use at most 992, or 0 to let Elasticsearch size it"},
		{"search cache over half the app's memory", func(c *Config) { c.SearchCacheMB = 481 }, "searchCacheMb: 481 is more than half of the web app's memory (960 MiB: awsWebMemoryMb 1024 less the Service Connect proxy's 64); use at most 480, or raise awsWebMemoryMb"},
		{"search cache over half a small task without proxy", func(c *Config) {
			c.AWS.SearchMode = SearchModeExternal
			c.AWS.ExternalESURL, c.AWS.ExternalAPIKey = "https://trucks.es.us-east-1.aws.elastic.cloud", "a2V5OnNlY3JldA=="
			c.AWS.WebCPU, c.AWS.WebMemoryMB, c.SearchCacheMB = 256, 512, 300
		}, "searchCacheMb: 300 is more than half of the web app's memory (512 MiB: awsWebMemoryMb 512); use at most 256, or raise awsWebMemoryMb"},
		{"min tasks zero", func(c *Config) { c.AWS.WebMinTasks = 0 }, "awsWebMinTasks: 0 must be at least 1"},
		{"CloudFront where VPC origins are not offered", func(c *Config) { c.AWS.Region = "us-gov-west-1" },
			"awsEdge: cloudfront puts a CloudFront VPC origin in aws:region us-gov-west-1, where CloudFront does not offer VPC origins; deploy to a region that has them"},
		{"max below min", func(c *Config) { c.AWS.WebMaxTasks = 1 }, "awsWebMaxTasks: 1 is below awsWebMinTasks 2"},
		{"replicas below min", func(c *Config) { c.WebReplicas = 1 }, "webReplicas: 1 (the initial task count) must lie between awsWebMinTasks 2 and awsWebMaxTasks 6"},
		{"replicas above max", func(c *Config) { c.WebReplicas = 7 }, "webReplicas: 7 (the initial task count) must lie between awsWebMinTasks 2 and awsWebMaxTasks 6"},
		{"keep no images", func(c *Config) { c.AWS.ECRKeepImages = 0 }, "awsEcrKeepImages: 0 must be at least 1"},
		{"search mode", func(c *Config) { c.AWS.SearchMode = "opensearch" }, `searchMode: "opensearch" is not one of fargate, external`},
		{"search storage", func(c *Config) { c.AWS.SearchStorage = "ebs" }, `searchStorage: "ebs" is not one of efs, ephemeral`},
		{"fargate without security", func(c *Config) { c.ESSecurity = false }, "esSecurity: false, but searchMode fargate runs Elasticsearch with security on in AWS: `pulumi config set esSecurity true`"},
		{"fargate without password", func(c *Config) { c.ESPassword = "" }, "esPassword: not set; searchMode fargate needs the elastic user's password: `make up-prod` generates one on first use, or `pulumi config set --secret esPassword <value>`"},
		{"external without URL", func(c *Config) { c.AWS.SearchMode, c.AWS.ExternalAPIKey = SearchModeExternal, "a2V5" }, `externalEsUrl: "" must be the https URL of an Elasticsearch 8 cluster`},
		{"external over http", func(c *Config) {
			c.AWS.SearchMode, c.AWS.ExternalAPIKey, c.AWS.ExternalESURL = SearchModeExternal, "a2V5", "http://10.0.0.5:9200"
		}, `externalEsUrl: "http://10.0.0.5:9200" must be the https URL of an Elasticsearch 8 cluster`},
		{"external with credentials in the URL", func(c *Config) {
			c.AWS.SearchMode, c.AWS.ExternalAPIKey, c.AWS.ExternalESURL = SearchModeExternal, "a2V5", "https://elastic:pw@es.example.org"
		}, `externalEsUrl: "https://elastic:pw@es.example.org" must be the https URL of an Elasticsearch 8 cluster (e.g. https://my-deployment.es.us-east-1.aws.elastic.cloud), without credentials`},
		{"external without API key", func(c *Config) {
			c.AWS.SearchMode, c.AWS.ExternalESURL = SearchModeExternal, "https://es.example.org"
		}, "externalEsApiKey: not set; searchMode external authenticates with an API key: `pulumi config set --secret externalEsApiKey <key>`"},
		{"certificate ARN malformed", func(c *Config) { c.AWS.CertificateARN = "arn:aws:iam::123456789012:server-certificate/foodtrucks" },
			`awsCertificateArn: "arn:aws:iam::123456789012:server-certificate/foodtrucks" is not an ACM certificate ARN (arn:aws:acm:<region>:<12-digit account>:certificate/<id>)`},
		{"certificate ARN short account", func(c *Config) {
			c.AWS.CertificateARN = "arn:aws:acm:us-east-1:1234:certificate/0e9b6c7a-1f3e-4a8b-9c2d-5e6f7a8b9c0d"
		}, "awsCertificateArn: \"arn:aws:acm:us-east-1:1234:certificate/"},
		{"no edge, certificate in another region", func(c *Config) {
			c.AWS.Edge, c.AWS.CertificateARN = EdgeNone, certificateIn("eu-west-1")
		}, "awsCertificateArn: the certificate is in eu-west-1, the load balancer in aws:region us-east-1; request or import it in us-east-1"},
		{"CloudFront, certificate outside us-east-1", func(c *Config) {
			c.AWS.Region = "eu-west-1"
			c.AWS.DomainName, c.AWS.CertificateARN = "trucks.example.org", certificateIn("eu-west-1")
		}, "awsCertificateArn: the certificate is in eu-west-1, but CloudFront takes certificates only from us-east-1; request or import it there"},
		{"domain without certificate", func(c *Config) { c.AWS.DomainName = "trucks.example.org" },
			"awsDomainName: trucks.example.org needs awsCertificateArn, an ACM certificate that covers it (in us-east-1 with awsEdge cloudfront, in aws:region with awsEdge none)"},
		{"CloudFront, certificate without domain", func(c *Config) { c.AWS.CertificateARN = certificateIn("us-east-1") },
			"awsCertificateArn: set, but awsDomainName is not; with awsEdge cloudfront the certificate serves your domain"},
		{"domain with scheme", func(c *Config) {
			c.AWS.DomainName, c.AWS.CertificateARN = "https://trucks.example.org", certificateIn("us-east-1")
		}, `awsDomainName: "https://trucks.example.org" is not a domain name such as trucks.example.org`},
		{"wildcard domain", func(c *Config) {
			c.AWS.DomainName, c.AWS.CertificateARN = "*.example.org", certificateIn("us-east-1")
		}, `awsDomainName: "*.example.org" is not a domain name`},
		{"domain in upper case", func(c *Config) {
			c.AWS.DomainName, c.AWS.CertificateARN = "Trucks.Example.org", certificateIn("us-east-1")
		}, `awsDomainName: "Trucks.Example.org" is not a domain name`},
		{"unknown edge", func(c *Config) { c.AWS.Edge = "cloudflare" }, `awsEdge: "cloudflare" is not one of cloudfront, none`},
		{"WAF without CloudFront", func(c *Config) { c.AWS.Edge, c.AWS.WAF = EdgeNone, true },
			"awsWaf: true needs awsEdge cloudfront (the web ACL is attached to the CloudFront distribution)"},
		{"own VPC behind CloudFront with one private subnet", func(c *Config) {
			c.AWS.VPCID = "vpc-0a1b2c3d4e5f60718"
			c.AWS.PrivateSubnetIDs = []string{"subnet-0bbbbbbbbbbbbbbb1"}
		}, "awsPrivateSubnetIds: 1 given with awsVpcId, need at least 2: the internal load balancer needs private subnets in at least two availability zones"},
		{"alarm e-mail", func(c *Config) { c.AWS.AlarmEmail = "ops at example.org" }, `awsAlarmEmail: "ops at example.org" is not an e-mail address`},
		{"log retention 0", func(c *Config) { c.AWS.LogRetentionDays = 0 }, "awsLogRetentionDays: 0 is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90,"},
		{"log retention 10", func(c *Config) { c.AWS.LogRetentionDays = 10 }, "awsLogRetentionDays: 10 is not a retention CloudWatch Logs accepts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validAWS()
			tc.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate() accepted the config; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() =\n%v\nwant a line containing\n%s", err, tc.want)
			}
		})
	}
}

// certificateIn is a well-formed ACM certificate ARN in region.
func certificateIn(region string) string {
	return "arn:aws:acm:" + region + ":123456789012:certificate/0e9b6c7a-1f3e-4a8b-9c2d-5e6f7a8b9c0d"
}

// The Fargate table as AWS documents it, checked at its edges.
func TestFargateTaskSizeValid(t *testing.T) {
	for _, tc := range []struct {
		cpu, memoryMB int
		valid         bool
	}{
		{256, 512, true}, {256, 1024, true}, {256, 2048, true}, {256, 1536, false}, {256, 3072, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false}, {512, 5120, false},
		{1024, 2048, true}, {1024, 8192, true}, {1024, 1024, false}, {1024, 2560, false},
		{2048, 4096, true}, {2048, 16384, true}, {2048, 17408, false},
		{4096, 8192, true}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 16384, true}, {8192, 20480, true}, {8192, 17408, false}, {8192, 61440, true}, {8192, 65536, false},
		{16384, 32768, true}, {16384, 40960, true}, {16384, 36864, false}, {16384, 122880, true},
		{128, 512, false}, {0, 0, false},
	} {
		if got := FargateTaskSizeValid(tc.cpu, tc.memoryMB); got != tc.valid {
			t.Errorf("FargateTaskSizeValid(%d, %d) = %v, want %v", tc.cpu, tc.memoryMB, got, tc.valid)
		}
	}
}

func TestAppPasswordIsDerivedFromTheElasticPasswordOneWay(t *testing.T) {
	c := validAWS()
	first := c.ESAppPassword()
	if len(first) != 64 || strings.Contains(first, c.ESPassword) {
		t.Errorf("app password %q: want 64 hex characters that do not contain esPassword", first)
	}
	if again := c.ESAppPassword(); again != first {
		t.Errorf("derivation is not stable: %q then %q", first, again)
	}
	c.ESPassword = "rotated-password"
	if c.ESAppPassword() == first {
		t.Errorf("rotating esPassword left the app password unchanged")
	}
	c.ESPassword = ""
	if got := c.ESAppPassword(); got != "" {
		t.Errorf("no esPassword, yet app password %q", got)
	}
}
