package dockertest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var fixedLabels = map[string]string{TestLabel: "1"}

func TestCreateArgsTranslatesEveryField(t *testing.T) {
	spec := ContainerSpec{
		Image:       "sha256:abc",
		Env:         []string{"ES_URL=http://es:9200", "PORT=5000"},
		User:        "65532:65532",
		ReadOnly:    true,
		Tmpfs:       map[string]string{"/tmp": "rw,size=16m", "/run": ""},
		CapDrop:     []string{"ALL"},
		CapAdd:      []string{"NET_BIND_SERVICE"},
		SecurityOpt: []string{"no-new-privileges"},
		Ports:       []Port{{ContainerPort: 5000}, {HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}},
		Network:     "net1",
		Aliases:     []string{"es"},
		ExtraHosts:  []string{"host.docker.internal:172.18.0.1"},
		Mounts: []Mount{
			{Source: "/data/permits.json", Target: "/data/permits.json", ReadOnly: true},
			{Type: "volume", Source: "esdata", Target: "/usr/share/elasticsearch/data"},
		},
		Health:   &Healthcheck{Test: []string{"CMD-SHELL", "curl -fsS localhost:9200"}, Interval: 10 * time.Second, Timeout: 3 * time.Second, StartPeriod: 1500 * time.Millisecond, Retries: 5},
		Ulimits:  []string{"nofile=65535:65535"},
		MemoryMB: 512,
		Restart:  "unless-stopped",
		Labels:   map[string]string{"app": "web"},
		Cmd:      []string{"serve", "--debug"},
	}
	got, err := createArgs(spec, "ft-x", fixedLabels)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"create", "--name", "ft-x",
		"--label", "foodtrucks.test=1", "--label", "app=web",
		"--env", "ES_URL=http://es:9200", "--env", "PORT=5000",
		"--user", "65532:65532", "--read-only",
		"--tmpfs", "/run", "--tmpfs", "/tmp:rw,size=16m",
		"--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
		"--security-opt", "no-new-privileges",
		"--publish", "127.0.0.1::5000/tcp", "--publish", "[::1]:8080:80/udp",
		"--network", "net1", "--network-alias", "es",
		"--add-host", "host.docker.internal:172.18.0.1",
		"--mount", "type=bind,source=/data/permits.json,target=/data/permits.json,readonly",
		"--mount", "type=volume,source=esdata,target=/usr/share/elasticsearch/data",
		"--health-cmd", "curl -fsS localhost:9200", "--health-interval", "10s", "--health-timeout", "3s",
		"--health-start-period", "1.5s", "--health-retries", "5",
		"--ulimit", "nofile=65535:65535", "--memory", "512m", "--restart", "unless-stopped",
		"sha256:abc", "serve", "--debug"}
	if !slices.Equal(got, want) {
		t.Errorf("createArgs:\n got %q\nwant %q", got, want)
	}
}

func TestCreateArgsHealthcheckForms(t *testing.T) {
	tests := []struct {
		name   string
		health Healthcheck
		want   []string
	}{
		{"exec form keeps the image's command, passes timings", Healthcheck{Test: []string{"CMD", "/foodtrucks", "healthcheck"}, Interval: time.Second}, []string{"--health-interval", "1s"}},
		{"timings only", Healthcheck{Retries: 2}, []string{"--health-retries", "2"}},
		{"NONE disables", Healthcheck{Test: []string{"NONE"}, Interval: time.Second}, []string{"--no-healthcheck"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := createArgs(ContainerSpec{Image: "img", Health: &tt.health}, "n", nil)
			if err != nil {
				t.Fatal(err)
			}
			got = got[3 : len(got)-1] // between "create --name n" and the image
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCreateArgsRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name    string
		spec    ContainerSpec
		wantErr string
	}{
		{"no image", ContainerSpec{}, "no image"},
		{"env without =", ContainerSpec{Image: "i", Env: []string{"ES_URL"}}, `env "ES_URL" is not KEY=VALUE`},
		{"container port 0", ContainerSpec{Image: "i", Ports: []Port{{}}}, "container port 0 out of range"},
		{"host port too big", ContainerSpec{Image: "i", Ports: []Port{{ContainerPort: 1, HostPort: 70000}}}, "host port 70000 out of range"},
		{"host IP a name", ContainerSpec{Image: "i", Ports: []Port{{ContainerPort: 1, HostIP: "localhost"}}}, `host IP "localhost" is not an IP address`},
		{"protocol sctp", ContainerSpec{Image: "i", Ports: []Port{{ContainerPort: 1, Protocol: "sctp"}}}, `protocol "sctp"`},
		{"aliases without network", ContainerSpec{Image: "i", Aliases: []string{"es"}}, "need a network"},
		{"extra host without IP", ContainerSpec{Image: "i", ExtraHosts: []string{"host.docker.internal"}}, "is not name:IP"},
		{"extra host with a name for IP", ContainerSpec{Image: "i", ExtraHosts: []string{"es:gateway"}}, "is not name:IP"},
		{"mount type tmpfs", ContainerSpec{Image: "i", Mounts: []Mount{{Type: "tmpfs", Source: "a", Target: "/b"}}}, `mount type "tmpfs"`},
		{"mount without target", ContainerSpec{Image: "i", Mounts: []Mount{{Source: "a"}}}, "needs a source and a target"},
		{"mount path with comma", ContainerSpec{Image: "i", Mounts: []Mount{{Source: "/a,b", Target: "/b"}}}, "contain a comma"},
		{"health shell form with two commands", ContainerSpec{Image: "i", Health: &Healthcheck{Test: []string{"CMD-SHELL", "a", "b"}}}, "is not [CMD"},
		{"health unknown form", ContainerSpec{Image: "i", Health: &Healthcheck{Test: []string{"RUN", "x"}}}, "is not [CMD"},
		{"negative interval", ContainerSpec{Image: "i", Health: &Healthcheck{Interval: -time.Second}}, "--health-interval -1s is negative"},
		{"negative retries", ContainerSpec{Image: "i", Health: &Healthcheck{Retries: -1}}, "retries -1 is negative"},
		{"ulimit without value", ContainerSpec{Image: "i", Ulimits: []string{"nofile"}}, `ulimit "nofile" is not name=soft[:hard]`},
		{"negative memory", ContainerSpec{Image: "i", MemoryMB: -1}, "memory -1 MB is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := createArgs(tt.spec, "n", nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("createArgs(%+v) = %q, %v; want an error containing %q", tt.spec, args, err, tt.wantErr)
			}
		})
	}
}

func TestUniqueNameIsAValidDockerNameAndUnique(t *testing.T) {
	t.Run("sub test/with spaces & symbols", func(t *testing.T) {
		a, b := uniqueName(t, "web/1"), uniqueName(t, "web/1")
		if a == b {
			t.Errorf("two names for the same test are equal: %s", a)
		}
		for _, name := range []string{a, b} {
			if !validName.MatchString(name) {
				t.Errorf("%q is not a valid container name", name)
			}
		}
	})
}

func TestMajorVersion(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{{"20.10.24+dfsg1\n", 20, true}, {"28.2.2", 28, true}, {"", 0, false}, {"dev", 0, false}}
	for _, tt := range tests {
		got, ok := majorVersion(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("majorVersion(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
