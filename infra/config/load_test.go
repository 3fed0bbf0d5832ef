package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

func load(t *testing.T, o stacktest.Options) (config.Config, error) {
	t.Helper()
	var cfg config.Config
	var loadErr error
	run := stacktest.RunProgram(t, o, func(ctx *pulumi.Context) error {
		cfg, loadErr = config.Load(ctx)
		return nil
	})
	if run.Err != nil {
		t.Fatal(run.Err)
	}
	return cfg, loadErr
}

func TestLoadReadsPulumiYamlDefaultsUnderTheDevStack(t *testing.T) {
	cfg, err := load(t, stacktest.Options{Stack: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the dev stack's config is invalid: %v", err)
	}
	want := config.Config{
		Project: "foodtrucks", Stack: "dev", Target: config.TargetLocal, AppName: "foodtrucks",
		IndexAlias: "sfdata", DataURL: "https://data.sfgov.org/resource/rqzj-sfat.json",
		RefreshInterval: "24h", LogLevel: "info", WebPort: 8080, WebReplicas: 1,
		SearchCacheMB: 32, SearchMaxInFlight: 16,
		ESImage: "docker.elastic.co/elasticsearch/elasticsearch", ESVersion: "8.19.21",
		ESHeapMB: 512, ESMemoryMB: 1024,
		Local: config.LocalConfig{BindAddress: "127.0.0.1", WaitTimeout: 180, ESNoFile: 65535, Platform: stacktest.MockEnginePlatform},
		AWS: config.AWSConfig{
			AZCount: 2, NATGateways: 1, PublicSubnetIDs: []string{}, PrivateSubnetIDs: []string{},
			Architecture: "X86_64", WebCPU: 256, WebMemoryMB: 512, WebMinTasks: 1, WebMaxTasks: 4,
			ESCPU: 1024, ECRKeepImages: 10, ECRForceDelete: true, SearchMode: "fargate", SearchStorage: "ephemeral",
			Edge: "cloudfront", LogRetentionDays: 30, EFSBackups: false,
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestLoadReadsTheProdStackFileAndArrays(t *testing.T) {
	cfg, err := load(t, stacktest.Options{Stack: "prod", Overrides: map[string]any{
		"awsPrivateSubnetIds": []string{"subnet-a", "subnet-b"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Target != config.TargetAWS || cfg.AWS.Region != "us-east-1" {
		t.Errorf("target %q region %q, want aws us-east-1 from Pulumi.prod.yaml", cfg.Target, cfg.AWS.Region)
	}
	if !reflect.DeepEqual(cfg.AWS.PrivateSubnetIDs, []string{"subnet-a", "subnet-b"}) {
		t.Errorf("awsPrivateSubnetIds = %q", cfg.AWS.PrivateSubnetIDs)
	}
}

func TestLoadReportsEveryUnparsableValue(t *testing.T) {
	_, err := load(t, stacktest.Options{Stack: "dev", Overrides: map[string]any{
		"webPort":            "five thousand",
		"esSecurity":         "yes please",
		"awsPublicSubnetIds": "subnet-a",
	}})
	if err == nil {
		t.Fatal("Load accepted three unparsable values")
	}
	for _, want := range []string{
		`webPort: "five thousand" is not a whole number`,
		`esSecurity: "yes please" is not true or false`,
		`awsPublicSubnetIds: "subnet-a" is not a list of strings`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestLoadTakesSecretsOnlyEncrypted(t *testing.T) {
	cfg, err := load(t, stacktest.Options{Stack: "dev", Secrets: map[string]string{"esPassword": "s3cret-pw"}})
	if err != nil || cfg.ESPassword != "s3cret-pw" {
		t.Fatalf("secret esPassword: cfg.ESPassword=%q err=%v", cfg.ESPassword, err)
	}
	_, err = load(t, stacktest.Options{Stack: "dev", Overrides: map[string]any{"esPassword": "in-the-clear"}})
	want := "esPassword: stored in plaintext; set it with `pulumi config set --secret esPassword <value>`"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("plaintext esPassword: err = %v, want %q", err, want)
	}
}

func TestLoadNamesAKeyMissingFromTheSchema(t *testing.T) {
	// The CLI always supplies declared keys; a missing one means Pulumi.yaml
	// and the program disagree.
	var loadErr error
	cfgValues := map[string]string{"foodtrucks:target": "local"}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, loadErr = config.Load(ctx)
		return nil
	}, pulumi.WithMocks("foodtrucks", "dev", &stacktest.Recorder{}), func(info *pulumi.RunInfo) { info.Config = cfgValues })
	if err != nil {
		t.Fatal(err)
	}
	want := "webPort: not set; Pulumi.yaml declares it with a default, so the project file and the program disagree"
	if loadErr == nil || !strings.Contains(loadErr.Error(), want) {
		t.Errorf("Load with only target set: %v\nwant it to contain %q", loadErr, want)
	}
}
