package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Load reads every key of the project's config schema (Pulumi.yaml) for the
// current stack. The CLI has already applied the defaults declared in
// Pulumi.yaml, so a missing key means the schema and the program disagree;
// Load reports it instead of guessing a value. All problems are reported at
// once. Load only parses; Validate judges the values.
//
// Secrets: esPassword and externalEsApiKey are carried as plain strings
// inside the program (they must be handed to containers and to Secrets
// Manager as strings); every resource input or output that carries them is
// wrapped with pulumi.ToSecret by the code that uses them. Load refuses a
// non-empty secret that was stored in plaintext in the stack file, so the
// value is never written unencrypted to Pulumi.<stack>.yaml.
func Load(ctx *pulumi.Context) (Config, error) {
	r := reader{ctx: ctx, namespace: ctx.Project()}

	c := Config{Project: ctx.Project(), Stack: ctx.Stack()}
	c.Target = Target(r.str("target"))
	c.AppName = r.str("appName")

	c.IndexAlias = r.str("indexAlias")
	c.DataURL = r.str("dataUrl")
	c.RefreshInterval = r.str("refreshInterval")
	c.LogLevel = r.str("logLevel")
	c.WebPort = r.integer("webPort")
	c.WebReplicas = r.integer("webReplicas")
	c.SearchCacheMB = r.integer("searchCacheMb")
	c.SearchMaxInFlight = r.integer("searchMaxInFlight")

	c.ESImage = r.str("esImage")
	c.ESVersion = r.str("esVersion")
	c.ESHeapMB = r.integer("esHeapMb")
	c.ESMemoryMB = r.integer("esMemoryMb")
	c.ESSecurity = r.boolean("esSecurity")
	c.ESPassword = r.secret("esPassword")
	c.RetainData = r.boolean("retainData")

	c.Local = LocalConfig{
		BindAddress:   r.str("localBindAddress"),
		ESPublishPort: r.integer("localEsPublishPort"),
		DevMode:       r.boolean("localDevMode"),
		WaitTimeout:   r.integer("localWaitTimeout"),
		ESNoFile:      r.integer("localEsNoFile"),
		Platform:      r.str("localPlatform"),
	}

	c.AWS = AWSConfig{
		Region:           awsRegion(ctx), // required only for target aws: its validation says so
		AZCount:          r.integer("awsAzCount"),
		NATGateways:      r.integer("awsNatGateways"),
		VPCID:            r.str("awsVpcId"),
		PublicSubnetIDs:  r.strings("awsPublicSubnetIds"),
		PrivateSubnetIDs: r.strings("awsPrivateSubnetIds"),
		Architecture:     r.str("awsArchitecture"),
		WebCPU:           r.integer("awsWebCpu"),
		WebMemoryMB:      r.integer("awsWebMemoryMb"),
		WebMinTasks:      r.integer("awsWebMinTasks"),
		WebMaxTasks:      r.integer("awsWebMaxTasks"),
		ESCPU:            r.integer("awsEsCpu"),
		ECRKeepImages:    r.integer("awsEcrKeepImages"),
		ECRForceDelete:   r.boolean("awsEcrForceDelete"),
		ESImageMirror:    r.boolean("awsEsImageMirror"),
		SearchMode:       r.str("searchMode"),
		SearchStorage:    r.str("searchStorage"),
		ExternalESURL:    r.str("externalEsUrl"),
		ExternalAPIKey:   r.secret("externalEsApiKey"),
		Edge:             r.str("awsEdge"),
		DomainName:       r.str("awsDomainName"),
		CertificateARN:   r.str("awsCertificateArn"),
		WAF:              r.boolean("awsWaf"),
		AlarmEmail:       r.str("awsAlarmEmail"),
		LogRetentionDays: r.integer("awsLogRetentionDays"),
		ProtectData:      r.boolean("awsProtectData"),
		EFSBackups:       r.boolean("awsEfsBackups"),
	}
	return c, errors.Join(r.errs...)
}

// reader collects every parse problem instead of stopping at the first, so
// a user fixes a stack file in one round.
type reader struct {
	ctx       *pulumi.Context
	namespace string
	errs      []error
}

// raw reads a key of the project's namespace through the context (the
// typed helpers of the SDK's config package would add a module for nothing).
func (r *reader) raw(key string) (string, bool) {
	v, ok := r.ctx.GetConfig(r.namespace + ":" + key)
	if !ok {
		r.errs = append(r.errs, fmt.Errorf("%s: not set; Pulumi.yaml declares it with a default, so the project file and the program disagree", key))
		return "", false
	}
	return v, true
}

func (r *reader) str(key string) string {
	v, _ := r.raw(key)
	return v
}

func (r *reader) integer(key string) int {
	v, ok := r.raw(key)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a whole number", key, v))
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v, ok := r.raw(key)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not true or false", key, v))
	}
	return b
}

// strings reads an array key. The CLI hands arrays to the program as JSON.
func (r *reader) strings(key string) []string {
	v, ok := r.raw(key)
	if !ok {
		return nil
	}
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a list of strings (write it as a YAML list in the stack file)", key, v))
	}
	return list
}

// secret reads a value that must be stored encrypted.
func (r *reader) secret(key string) string {
	full := r.namespace + ":" + key
	v, ok := r.ctx.GetConfig(full)
	if !ok {
		r.errs = append(r.errs, fmt.Errorf("%s: not set; Pulumi.yaml declares it with an empty default, so the project file and the program disagree", key))
		return ""
	}
	if v != "" && !r.ctx.IsConfigSecret(full) {
		r.errs = append(r.errs, fmt.Errorf("%s: stored in plaintext; set it with `pulumi config set --secret %s <value>`", key, key))
	}
	return v
}

// awsRegion is the AWS provider's own key, so it lives in the aws namespace.
func awsRegion(ctx *pulumi.Context) string {
	v, _ := ctx.GetConfig("aws:region")
	return v
}
