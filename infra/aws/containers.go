package aws

import "encoding/json"

// containerDefinition is one entry of an ECS task definition's
// containerDefinitions, in the ECS API's JSON shape (camelCase keys).
//
// Fields that ECS fills in when they are left out (cpu 0, essential,
// mountPoints [], volumesFrom [], portMappings' hostPort and protocol) are
// written out on purpose: left out, every `pulumi up` would compare the
// stored definition with the shorter one and plan a new revision.
type containerDefinition struct {
	Name                   string            `json:"name"`
	Image                  string            `json:"image"`
	Essential              bool              `json:"essential"`
	CPU                    int               `json:"cpu"`
	Memory                 int               `json:"memory,omitempty"`
	User                   string            `json:"user,omitempty"`
	Command                []string          `json:"command,omitempty"`
	ReadonlyRootFilesystem bool              `json:"readonlyRootFilesystem,omitempty"`
	PortMappings           []portMapping     `json:"portMappings"`
	Environment            []keyValuePair    `json:"environment"`
	Secrets                []containerSecret `json:"secrets"`
	MountPoints            []mountPoint      `json:"mountPoints"`
	VolumesFrom            []volumeFrom      `json:"volumesFrom"`
	Ulimits                []ulimit          `json:"ulimits,omitempty"`
	LinuxParameters        *linuxParameters  `json:"linuxParameters,omitempty"`
	HealthCheck            *healthCheck      `json:"healthCheck,omitempty"`
	LogConfiguration       *logConfiguration `json:"logConfiguration,omitempty"`
	StopTimeout            int               `json:"stopTimeout,omitempty"`
	DockerLabels           map[string]string `json:"dockerLabels,omitempty"`
}

type portMapping struct {
	Name          string `json:"name"` // Service Connect refers to ports by name
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"` // equals containerPort in awsvpc mode
	Protocol      string `json:"protocol"`
	AppProtocol   string `json:"appProtocol"`
}

type keyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// containerSecret is read by ECS from Secrets Manager when the task starts
// and handed to the container as an environment variable; its value never
// appears in the task definition.
type containerSecret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type mountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

type volumeFrom struct {
	SourceContainer string `json:"sourceContainer"`
	ReadOnly        bool   `json:"readOnly"`
}

type ulimit struct {
	Name      string `json:"name"`
	SoftLimit int    `json:"softLimit"`
	HardLimit int    `json:"hardLimit"`
}

type linuxParameters struct {
	Capabilities *kernelCapabilities `json:"capabilities,omitempty"`
}

type kernelCapabilities struct {
	Drop []string `json:"drop,omitempty"`
}

// healthCheck times are in seconds.
type healthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

type logConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// awsLogs sends a container's output to a CloudWatch log group.
func awsLogs(group, region, streamPrefix string) *logConfiguration {
	return &logConfiguration{LogDriver: "awslogs", Options: map[string]string{
		"awslogs-group":         group,
		"awslogs-region":        region,
		"awslogs-stream-prefix": streamPrefix,
	}}
}

func marshalContainers(defs ...containerDefinition) (string, error) {
	b, err := json.Marshal(defs)
	return string(b), err
}
