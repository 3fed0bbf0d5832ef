// Package depswarm pins modules in go.mod until real code imports them.
// Temporary: delete once every module below is imported by real code.
package depswarm

import (
	_ "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	_ "github.com/chromedp/chromedp"
	_ "github.com/elastic/go-elasticsearch/v8"
	_ "github.com/elastic/go-elasticsearch/v8/esutil"
	_ "github.com/elastic/go-elasticsearch/v8/typedapi/types"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	_ "github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)
