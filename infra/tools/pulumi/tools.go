//go:build tools

// Package pulumi pins the Pulumi CLI that the tests and `make pulumi` build.
package pulumi

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
