// Package config is the one typed configuration shared by the dev (local
// Docker) and prod (AWS) stacks. Keys are flat and typed in Pulumi.yaml;
// per-target keys carry a prefix (local*, aws*, search*, web*, es*).
// Load reads and validates everything before any resource is registered.
package config

// Target says where a stack deploys.
type Target string

const (
	TargetLocal Target = "local" // the user's Docker engine (pulumi-docker)
	TargetAWS   Target = "aws"   // ECS on Fargate (pulumi-aws)
)

// Config is the validated configuration of one stack.
type Config struct {
	Project string // Pulumi project name (from the context, not a key)
	Stack   string // Pulumi stack name (from the context, not a key)

	Target  Target // key "target": local | aws
	AppName string // key "appName": prefix of every physical name, [a-z][a-z0-9-]{0,19}

	// The app (same meaning on both targets; handed to the web containers as env).
	IndexAlias      string // key "indexAlias" → INDEX
	DataURL         string // key "dataUrl" → DATA_URL
	RefreshInterval string // key "refreshInterval" → REFRESH_INTERVAL, Go duration or "0"
	LogLevel        string // key "logLevel" → LOG_LEVEL: debug|info|warn|error
	WebPort         int    // key "webPort": the port the app listens on in its container (and the first host port locally)
	WebReplicas     int    // key "webReplicas": local containers / initial ECS desired count, ≥ 1

	// The app's search settings, per web container (env, like the keys above).
	SearchCacheMB     int // key "searchCacheMb" → SEARCH_CACHE_MB: MiB of cached answers; 0 = no cache
	SearchMaxInFlight int // key "searchMaxInFlight" → SEARCH_MAX_IN_FLIGHT: searches at Elasticsearch at once; 0 = no bound

	// Elasticsearch, same version and image on both targets.
	ESImage    string // key "esImage": repository without tag
	ESVersion  string // key "esVersion": tag, 8.x.y
	ESHeapMB   int    // key "esHeapMb": JVM heap; ≤ half of ESMemoryMB; 0 = let ES size it (aws only)
	ESMemoryMB int    // key "esMemoryMb": container memory limit (local) / task memory (aws)
	ESSecurity bool   // key "esSecurity": xpack security on; always on for aws searchMode=fargate
	ESPassword string // key "esPassword" (secret): the elastic user's password when security is on
	RetainData bool   // key "retainData": keep the data volume / file system on destroy

	Local LocalConfig
	AWS   AWSConfig
}

// LocalConfig holds the keys only the local (Docker) target reads.
type LocalConfig struct {
	BindAddress   string // key "localBindAddress": host address for published ports, default 127.0.0.1
	ESPublishPort int    // key "localEsPublishPort": 0 = ES not published; else host port on BindAddress
	DevMode       bool   // key "localDevMode": bind-mount webapp/ui and the server's development builds from the host, debug logs
	WaitTimeout   int    // key "localWaitTimeout": seconds pulumi up waits for containers to be healthy
	ESNoFile      int    // key "localEsNoFile": Elasticsearch's open-files limit; 0 = the engine's default
	Platform      string // key "localPlatform": os/arch the web image is built for; "" = the engine's own
}

// AWSConfig holds the keys only the aws target reads. The region is the
// provider's own key, aws:region.
type AWSConfig struct {
	Region string // aws:region (required for target aws)

	// Network
	AZCount          int      // key "awsAzCount": 2–6
	NATGateways      int      // key "awsNatGateways": 1 … AZCount
	VPCID            string   // key "awsVpcId": bring your own VPC (then both subnet lists are required)
	PublicSubnetIDs  []string // key "awsPublicSubnetIds" (array)
	PrivateSubnetIDs []string // key "awsPrivateSubnetIds" (array)

	// Image and tasks
	Architecture   string // key "awsArchitecture": X86_64 | ARM64
	WebCPU         int    // key "awsWebCpu": Fargate CPU units
	WebMemoryMB    int    // key "awsWebMemoryMb": must pair with WebCPU
	WebMinTasks    int    // key "awsWebMinTasks": autoscaling floor, ≥ 1, ≤ WebReplicas
	WebMaxTasks    int    // key "awsWebMaxTasks": autoscaling ceiling, ≥ WebReplicas
	ESCPU          int    // key "awsEsCpu": Fargate CPU units of the ES task; ESMemoryMB must pair with it
	ECRKeepImages  int    // key "awsEcrKeepImages": lifecycle policy keeps the newest N
	ECRForceDelete bool   // key "awsEcrForceDelete": destroy deletes the repository with its images
	ESImageMirror  bool   // key "awsEsImageMirror": copy the Elasticsearch image into the stack's ECR

	// Search engine
	SearchMode     string // key "searchMode": fargate | external
	SearchStorage  string // key "searchStorage": efs | ephemeral (searchMode=fargate)
	ExternalESURL  string // key "externalEsUrl": https URL of an existing Elasticsearch 8 cluster
	ExternalAPIKey string // key "externalEsApiKey" (secret)

	// Edge: how clients reach the web tier
	Edge           string // key "awsEdge": cloudfront (internal ALB behind a CloudFront VPC origin) | none (public ALB)
	DomainName     string // key "awsDomainName": custom domain; an alias of the distribution (cloudfront) or the url (none)
	CertificateARN string // key "awsCertificateArn": ACM certificate for awsDomainName (us-east-1 with cloudfront) or for the ALB's HTTPS listener (none)
	WAF            bool   // key "awsWaf": AWS WAF web ACL on the distribution (cloudfront only)

	// Operations, protection
	AlarmEmail       string // key "awsAlarmEmail": SNS e-mail subscription for alarms
	LogRetentionDays int    // key "awsLogRetentionDays": one of CloudWatch's allowed values
	ProtectData      bool   // key "awsProtectData": Protect + RetainOnDelete on EFS and ECR
	EFSBackups       bool   // key "awsEfsBackups": AWS Backup policy on the file system
}
