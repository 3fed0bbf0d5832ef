package aws_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// searchChoices are the configurations whose task definitions differ.
var searchChoices = map[string]map[string]any{
	"fargate-ephemeral": nil, // the default
	"fargate-efs":       efsStorage,
	"external":          externalSearch,
	"arm64":             {"awsArchitecture": "ARM64"},
}

// The AWS provider reads containerDefinitions with encoding/json into the
// AWS SDK's ecs/types.ContainerDefinition. Those types carry no json tags,
// so encoding/json matches keys to Go field names without regard to case;
// a strict decode therefore catches unknown keys and wrong types, and a
// second pass checks every key is spelled exactly as the ECS API does
// (the field name with a lower-case first letter: cpu, mountPoints,
// readonlyRootFilesystem …).
func TestContainerDefinitionsDecodeStrictlyIntoTheECSTypes(t *testing.T) {
	for choice, overrides := range searchChoices {
		p := deployProd(t, overrides)
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			raw := str(task.Inputs, "containerDefinitions")
			t.Run(choice+"/"+task.Name, func(t *testing.T) {
				dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
				dec.DisallowUnknownFields()
				var defs []ecstypes.ContainerDefinition
				if err := dec.Decode(&defs); err != nil {
					t.Fatalf("containerDefinitions does not decode strictly into []ecs/types.ContainerDefinition: %v\n%s", err, raw)
				}
				if dec.More() {
					t.Fatalf("trailing data after the container list")
				}
				if len(defs) == 0 {
					t.Fatal("no container definitions")
				}
				var generic any
				if err := json.Unmarshal([]byte(raw), &generic); err != nil {
					t.Fatal(err)
				}
				for _, problem := range keysAsECSSpellsThem(generic, reflect.TypeOf(defs), "containerDefinitions") {
					t.Error(problem)
				}
				for _, d := range defs {
					checkEnums(t, d)
				}
			})
		}
	}
}

// keysAsECSSpellsThem walks JSON alongside the SDK type and reports keys
// that are not exactly the lower-camel name of a field.
func keysAsECSSpellsThem(v any, typ reflect.Type, path string) []string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	var problems []string
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T where ECS expects an object", path, v)}
		}
		fields := map[string]reflect.Type{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.IsExported() && !f.Anonymous {
				fields[strings.ToLower(f.Name[:1])+f.Name[1:]] = f.Type
			}
		}
		for key, val := range obj {
			ft, ok := fields[key]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: not a field of %s as the ECS API spells it", path, key, typ.Name()))
				continue
			}
			problems = append(problems, keysAsECSSpellsThem(val, ft, path+"."+key)...)
		}
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			problems = append(problems, keysAsECSSpellsThem(item, typ.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for key, val := range obj {
			problems = append(problems, keysAsECSSpellsThem(val, typ.Elem(), path+"["+key+"]")...)
		}
	}
	return problems
}

// checkEnums: encoding/json accepts any string for the SDK's enum types;
// the SDK lists the values ECS accepts.
func checkEnums(t *testing.T, d ecstypes.ContainerDefinition) {
	t.Helper()
	for _, pm := range d.PortMappings {
		if !slices.Contains(pm.Protocol.Values(), pm.Protocol) {
			t.Errorf("%s: port protocol %q is not one of %v", *d.Name, pm.Protocol, pm.Protocol.Values())
		}
		if !slices.Contains(pm.AppProtocol.Values(), pm.AppProtocol) {
			t.Errorf("%s: appProtocol %q is not one of %v", *d.Name, pm.AppProtocol, pm.AppProtocol.Values())
		}
	}
	for _, u := range d.Ulimits {
		if !slices.Contains(u.Name.Values(), u.Name) {
			t.Errorf("%s: ulimit %q is not one of %v", *d.Name, u.Name, u.Name.Values())
		}
	}
	if lc := d.LogConfiguration; lc == nil {
		t.Errorf("%s: no log configuration", *d.Name)
	} else if !slices.Contains(lc.LogDriver.Values(), lc.LogDriver) {
		t.Errorf("%s: log driver %q is not one of %v", *d.Name, lc.LogDriver, lc.LogDriver.Values())
	}
}

// ECS fills in these fields when a definition leaves them out; the stored
// definition then differs from the program's and every `pulumi up` plans a
// new revision. They must be written out.
func TestContainerDefinitionsSpellOutWhatECSFillsIn(t *testing.T) {
	for choice, overrides := range searchChoices {
		p := deployProd(t, overrides)
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			for _, c := range containers(t, task) {
				where := choice + "/" + task.Name + "/" + str(c, "name")
				if _, ok := c["cpu"].(float64); !ok {
					t.Errorf("%s: cpu is missing (ECS stores 0)", where)
				}
				if _, ok := c["essential"].(bool); !ok {
					t.Errorf("%s: essential is missing (ECS stores true)", where)
				}
				for _, key := range []string{"mountPoints", "volumesFrom", "portMappings"} {
					if _, ok := c[key].([]any); !ok {
						t.Errorf("%s: %s is missing (ECS stores [])", where, key)
					}
				}
				for i, pm := range list(c, "portMappings") {
					if num(pm, "hostPort") != num(pm, "containerPort") {
						t.Errorf("%s: portMappings[%d] hostPort %v, want containerPort %v (awsvpc)", where, i, in(pm, "hostPort"), in(pm, "containerPort"))
					}
					if str(pm, "protocol") != "tcp" {
						t.Errorf("%s: portMappings[%d] protocol %q, want tcp", where, i, str(pm, "protocol"))
					}
				}
			}
		}
	}
}

func TestTaskSizesArePairsFargateAccepts(t *testing.T) {
	for choice, overrides := range searchChoices {
		p := deployProd(t, overrides)
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			cpu, err1 := strconv.Atoi(str(task.Inputs, "cpu"))
			memory, err2 := strconv.Atoi(str(task.Inputs, "memory"))
			if err1 != nil || err2 != nil {
				t.Fatalf("%s/%s: cpu %q memory %q are not numbers", choice, task.Name, str(task.Inputs, "cpu"), str(task.Inputs, "memory"))
			}
			if !config.FargateTaskSizeValid(cpu, memory) {
				t.Errorf("%s/%s: %d CPU units with %d MiB is not a Fargate task size", choice, task.Name, cpu, memory)
			}
			if got := list(task.Inputs, "requiresCompatibilities"); len(got) != 1 || got[0] != "FARGATE" {
				t.Errorf("%s/%s: requiresCompatibilities %v, want [FARGATE]", choice, task.Name, got)
			}
			if str(task.Inputs, "networkMode") != "awsvpc" {
				t.Errorf("%s/%s: networkMode %q, want awsvpc", choice, task.Name, str(task.Inputs, "networkMode"))
			}
			// Container limits plus the Service Connect proxy's share fit the task.
			used := 0
			for _, c := range containers(t, task) {
				if m := num(c, "memory"); m > 0 {
					used += m
				}
			}
			if used+config.ServiceConnectProxyMemoryMB > memory {
				t.Errorf("%s/%s: containers take %d MiB, with the proxy's %d more than the task's %d", choice, task.Name, used, config.ServiceConnectProxyMemoryMB, memory)
			}
		}
	}
}

// splitValueFrom cuts a secrets entry's valueFrom into the secret's ARN
// and what follows it: ARN:json-key:version-stage:version-id.
func splitValueFrom(valueFrom string) (arn, jsonKey, stage, versionID string) {
	parts := strings.Split(valueFrom, ":")
	if len(parts) < 4 {
		return valueFrom, "", "", ""
	}
	n := len(parts)
	return strings.Join(parts[:n-3], ":"), parts[n-3], parts[n-2], parts[n-1]
}

// Credentials reach containers only as ECS secrets (read from Secrets
// Manager at start), never as environment values in the task definition,
// and always pinned to the version this update wrote.
func TestCredentialsAreSecretsNeverEnvironment(t *testing.T) {
	credentialNames := []string{"ES_PASSWORD", "ES_API_KEY", "ELASTIC_PASSWORD", "ES_APP_PASSWORD"}
	for choice, overrides := range searchChoices {
		p := deployProd(t, overrides)
		// secret ARN → the version ID the mocks gave its version
		versionOf := map[string]string{}
		for _, v := range p.OfType("aws:secretsmanager/secretVersion:SecretVersion") {
			if !slices.Contains(v.SecretInputs, "secretString") {
				t.Errorf("%s: secret version %s: secretString is not marked secret in the state", choice, v.Name)
			}
			arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret/%s", testRegion, testAccount, v.Name)
			versionOf[arn] = computed(v, "versionId")
		}
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			raw := str(task.Inputs, "containerDefinitions")
			for _, value := range []string{testPassword, testAPIKey, p.cfg.ESAppPassword()} {
				if value != "" && strings.Contains(raw, value) {
					t.Errorf("%s/%s: a credential's value appears in the task definition", choice, task.Name)
				}
			}
			for _, c := range containers(t, task) {
				for _, n := range credentialNames {
					if _, ok := env(c)[n]; ok {
						t.Errorf("%s/%s: %s is in environment; it must be a secret", choice, task.Name, n)
					}
				}
				secrets := list(c, "secrets")
				if len(secrets) == 0 {
					t.Errorf("%s/%s/%s: no secrets; the container needs its Elasticsearch credential", choice, task.Name, str(c, "name"))
				}
				for _, s := range secrets {
					if !slices.Contains(credentialNames, str(s, "name")) {
						t.Errorf("%s/%s: unexpected secret %q", choice, task.Name, str(s, "name"))
					}
					arn, jsonKey, stage, versionID := splitValueFrom(str(s, "valueFrom"))
					want, ours := versionOf[arn]
					if !ours {
						t.Errorf("%s/%s: secret %s comes from %q, not from a Secrets Manager secret of this stack", choice, task.Name, str(s, "name"), str(s, "valueFrom"))
					} else if jsonKey != "" || stage != "" || versionID != want || want == "" {
						t.Errorf("%s/%s: secret %s is %q, want the whole secret at version %q (ARN:::version-id)", choice, task.Name, str(s, "name"), str(s, "valueFrom"), want)
					}
				}
			}
		}
	}
	// And the right one per mode.
	webSecret := func(overrides map[string]any) string {
		p := deployProd(t, overrides)
		return str(p.container(t, "web", "web"), "secrets", 0, "name")
	}
	if got := webSecret(nil); got != "ES_PASSWORD" {
		t.Errorf("fargate: web gets secret %q, want ES_PASSWORD", got)
	}
	if got := webSecret(externalSearch); got != "ES_API_KEY" {
		t.Errorf("external: web gets secret %q, want ES_API_KEY", got)
	}
}
