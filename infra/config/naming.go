package config

import "strings"

// Naming is what names and labels a stack's resources: its project, stack
// and appName. The components of both targets get it instead of the whole
// Config, so what else they read is written out in their arguments.
type Naming struct {
	Project string
	Stack   string
	AppName string
}

// Naming is the naming of c's stack.
func (c Config) Naming() Naming {
	return Naming{Project: c.Project, Stack: c.Stack, AppName: c.AppName}
}

// Name is the physical name of a resource: <appName>-<stack>-<component>.
// Project (appName) and stack are both in it, so two stacks, or two copies
// of the project with different appNames, never collide on one Docker
// engine or in one AWS account.
func (n Naming) Name(component string) string {
	return n.AppName + "-" + nameSafe(n.Stack) + "-" + component
}

// Labels are put on every resource (Docker labels locally, AWS tags in
// prod), so anything found on a host or in an account can be traced back to
// the stack that made it.
func (n Naming) Labels(component string) map[string]string {
	return map[string]string{
		"project":    n.Project,
		"stack":      n.Stack,
		"component":  component,
		"managed-by": "pulumi",
	}
}

// Name is c.Naming().Name.
func (c Config) Name(component string) string { return c.Naming().Name(component) }

// Labels is c.Naming().Labels.
func (c Config) Labels(component string) map[string]string { return c.Naming().Labels(component) }

// nameSafe lowers a stack name to the characters every target accepts in
// physical names (Docker: [a-zA-Z0-9_.-]; AWS load balancers and target
// groups: letters, digits and hyphens).
func nameSafe(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
