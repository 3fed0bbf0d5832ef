package config

import "strings"

// Name is the physical name of a resource: <appName>-<stack>-<component>.
// Project (appName) and stack are both in it, so two stacks, or two copies
// of the project with different appNames, never collide on one Docker
// engine or in one AWS account.
func (c Config) Name(component string) string {
	return c.AppName + "-" + nameSafe(c.Stack) + "-" + component
}

// Labels are put on every resource (Docker labels locally, AWS tags in
// prod), so anything found on a host or in an account can be traced back to
// the stack that made it.
func (c Config) Labels(component string) map[string]string {
	return map[string]string{
		"project":    c.Project,
		"stack":      c.Stack,
		"component":  component,
		"managed-by": "pulumi",
	}
}

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
