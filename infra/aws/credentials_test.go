package aws_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The web tasks log in as the app's own user; the elastic password never
// reaches them, neither in their task definition nor through their
// execution role.
func TestWebTasksUseTheirOwnElasticsearchUserNotElastic(t *testing.T) {
	p := deployProd(t, nil)
	elastic := computed(p.Must(t, "aws:secretsmanager/secret:Secret", name+"es-password"), "arn")
	app := computed(p.Must(t, "aws:secretsmanager/secret:Secret", name+"es-app-password"), "arn")

	web := p.container(t, "web", "web")
	if got := env(web)["ES_USERNAME"]; got == "elastic" || got != "foodtrucks_web" {
		t.Errorf("web ES_USERNAME %q, want the app's own user foodtrucks_web", got)
	}
	for _, s := range list(web, "secrets") {
		if arn, _, _, _ := splitValueFrom(str(s, "valueFrom")); arn != app {
			t.Errorf("web secret %s comes from %s, want only the app user's password %s", str(s, "name"), arn, app)
		}
	}
	readable := func(role string) []string {
		var out []string
		for _, s := range policy(t, str(p.Must(t, "aws:iam/rolePolicy:RolePolicy", name+role).Inputs, "policy")).Statement {
			if slices.Contains(s.Action, "secretsmanager:GetSecretValue") {
				out = append(out, s.Resource...)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := readable("web-execution"); !slices.Equal(got, []string{app}) {
		t.Errorf("web execution role reads secrets %v, want only %s", got, app)
	}
	want := []string{elastic, app}
	slices.Sort(want)
	if got := readable("es-execution"); !slices.Equal(got, want) {
		t.Errorf("ES execution role reads secrets %v, want both passwords %v", got, want)
	}
	// The ES container gets both: elastic's for itself, the app's to create its user.
	var names []string
	for _, s := range list(p.container(t, "es", "es"), "secrets") {
		names = append(names, str(s, "name"))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ELASTIC_PASSWORD", "ES_APP_PASSWORD"}) {
		t.Errorf("ES container secrets %v", names)
	}
}

// A new esPassword is a new secret version of both passwords, so both task
// definitions change and both services roll out; the web service waits for
// Elasticsearch's. The same password twice changes nothing.
func TestPasswordChangeRollsOutBothServicesElasticsearchFirst(t *testing.T) {
	definitions := func(password string) (es, web string, p *prod) {
		p = deployProd(t, map[string]any{"esPassword": password})
		es = str(p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"es").Inputs, "containerDefinitions")
		web = str(p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"web").Inputs, "containerDefinitions")
		return es, web, p
	}
	es1, web1, p := definitions("first-password-1234")
	es1again, web1again, _ := definitions("first-password-1234")
	es2, web2, _ := definitions("rotated-password-5678")
	if es1 != es1again || web1 != web1again {
		t.Errorf("the same password gave different task definitions: every up would roll out")
	}
	if es1 == es2 {
		t.Errorf("a new password leaves the Elasticsearch task definition unchanged: running tasks would keep the old one")
	}
	if web1 == web2 {
		t.Errorf("a new password leaves the web task definition unchanged: new web tasks would read a password ES does not have yet")
	}
	for _, secret := range []string{"rotated-password-5678", "first-password-1234"} {
		if strings.Contains(es2+web2+es1+web1, secret) {
			t.Errorf("the password itself appears in a task definition")
		}
	}
	es := p.Must(t, "aws:ecs/service:Service", name+"es")
	if web := p.Must(t, "aws:ecs/service:Service", name+"web"); !slices.Contains(web.DependsOn, es.URN) {
		t.Errorf("web service does not wait for the Elasticsearch service")
	}
}

// The container's command, run with bash for real: stand-ins for the two
// programs of the image it calls (elasticsearch-users and the image's
// entrypoint) record what they were asked.
func runESStartCommand(t *testing.T, command []any, failUseradd bool) (home string, out []byte, err error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	home, stubs := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil { // as in the image
		t.Fatal(err)
	}
	exit := "0"
	if failUseradd {
		exit = `$([ "$1" = useradd ] && echo 1 || echo 0)`
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("elasticsearch-users", `echo "$*" >> users.calls; exit `+exit+"\n")
	write("docker-entrypoint.sh", `echo "$* ES_APP_PASSWORD=${ES_APP_PASSWORD:-} ELASTIC_PASSWORD=${ELASTIC_PASSWORD:-}" > entrypoint.calls`+"\n")
	var argv []string
	for _, a := range command {
		argv = append(argv, a.(string))
	}
	if len(argv) < 1 || argv[0] != "bash" {
		t.Fatalf("ES command %v does not run bash", argv)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = home // the image's working directory, /usr/share/elasticsearch
	cmd.Env = []string{"PATH=" + stubs + ":" + os.Getenv("PATH"), "ES_APP_PASSWORD=app-secret-value", "ELASTIC_PASSWORD=elastic-secret-value"}
	out, err = cmd.CombinedOutput()
	return home, out, err
}

func TestElasticsearchStartCommandCreatesTheAppUserThenStartsElasticsearch(t *testing.T) {
	p := deployProd(t, nil)
	home, out, err := runESStartCommand(t, list(p.container(t, "es", "es"), "command"), false)
	if err != nil {
		t.Fatalf("start command failed: %v\n%s", err, out)
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(home, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return string(b)
	}

	var roles map[string]struct {
		Cluster []string `yaml:"cluster"`
		Indices []struct {
			Names      []string `yaml:"names"`
			Privileges []string `yaml:"privileges"`
		} `yaml:"indices"`
		RunAs        []string `yaml:"run_as"`
		Applications []any    `yaml:"applications"`
	}
	if err := yaml.Unmarshal([]byte(read("config/roles.yml")), &roles); err != nil {
		t.Fatalf("roles.yml: %v", err)
	}
	role, ok := roles["foodtrucks_web"]
	if !ok || len(roles) != 1 {
		t.Fatalf("roles.yml defines %v, want the one role foodtrucks_web", roles)
	}
	alias := p.cfg.IndexAlias
	if len(role.Indices) != 1 || !slices.Equal(role.Indices[0].Names, []string{alias, alias + "-*"}) {
		t.Errorf("role covers indices %+v, want only the alias %s and its versions %s-*", role.Indices, alias, alias)
	}
	for _, priv := range role.Indices[0].Privileges {
		if priv == "all" || strings.HasPrefix(priv, "manage_") {
			t.Errorf("index privilege %q is wider than managing and reading the app's indices", priv)
		}
	}
	if !slices.Equal(role.Cluster, []string{"monitor"}) || len(role.RunAs) > 0 || len(role.Applications) > 0 {
		t.Errorf("role's cluster privileges %v run_as %v applications %v, want monitor only (GET /)", role.Cluster, role.RunAs, role.Applications)
	}

	calls := strings.Split(strings.TrimSpace(read("users.calls")), "\n")
	if want := []string{"userdel foodtrucks_web", "useradd foodtrucks_web -p app-secret-value -r foodtrucks_web"}; !slices.Equal(calls, want) {
		t.Errorf("elasticsearch-users was called %q, want %q", calls, want)
	}
	// Heap dumps off the data path (the image's jvm.options says data/).
	if got := strings.TrimSpace(read("config/jvm.options.d/heap-dump-path.options")); got != "-XX:HeapDumpPath=/tmp" {
		t.Errorf("heap dump options %q, want -XX:HeapDumpPath=/tmp", got)
	}
	// Elasticsearch starts through the image's own entrypoint, with the
	// elastic password (bootstrap) and without the app's.
	if got := strings.TrimSpace(read("entrypoint.calls")); got != "eswrapper ES_APP_PASSWORD= ELASTIC_PASSWORD=elastic-secret-value" {
		t.Errorf("entrypoint called as %q", got)
	}
}

func TestElasticsearchDoesNotStartWithoutTheAppUser(t *testing.T) {
	p := deployProd(t, nil)
	home, out, err := runESStartCommand(t, list(p.container(t, "es", "es"), "command"), true)
	if err == nil {
		t.Errorf("start command succeeded although elasticsearch-users useradd failed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(home, "entrypoint.calls")); err == nil {
		t.Errorf("Elasticsearch was started without the app's user; the web tasks could not log in")
	}
}

// Liveness is "the HTTP layer answers": GET / as the app user (file realm,
// independent of any index), never cluster health.
func TestElasticsearchLivenessAsksOnlyTheHTTPLayer(t *testing.T) {
	p := deployProd(t, nil)
	cmd := list(p.container(t, "es", "es"), "healthCheck", "command")
	if len(cmd) != 2 || cmd[0] != "CMD-SHELL" {
		t.Fatalf("ES health check %v", cmd)
	}
	check := cmd[1].(string)
	for _, want := range []string{`-u "foodtrucks_web:$ES_APP_PASSWORD"`, "http://localhost:9200/ ", "curl -fsS"} {
		if !strings.Contains(check, want) {
			t.Errorf("health check %q lacks %q", check, want)
		}
	}
	if strings.Contains(check, "_cluster") || strings.Contains(check, "ELASTIC_PASSWORD") {
		t.Errorf("health check %q asks the cluster or logs in as elastic", check)
	}
}
