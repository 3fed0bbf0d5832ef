package aws

import (
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// CloudFront's managed policies, by the IDs AWS documents for them
// ("Use managed cache policies", "Use managed origin request policies").
const (
	// CachingOptimized: TTL min 1 s, default 1 day, max 1 year; no query
	// string, cookie or header in the key; gzip and Brotli normalised.
	cachingOptimizedPolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	// CachingDisabled: every TTL 0, nothing stored at the edge.
	cachingDisabledPolicyID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	// AllViewerExceptHostHeader: every viewer header, cookie and query
	// string goes to the origin, except Host (the load balancer gets its
	// own name).
	allViewerExceptHostPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

const (
	// vpcOriginsSecurityGroup is the group CloudFront creates in the VPC
	// with the first VPC origin and puts on the network interfaces it
	// sends origin traffic from. The load balancer admits that group and
	// nothing else.
	vpcOriginsSecurityGroup = "CloudFront-VPCOrigins-Service-SG"

	// fingerprintedAssets matches the names the web app gives its static
	// files (webapp/ui: name.<10 hex digits>.ext, served with Cache-Control
	// immutable), and none of its other paths. CloudFront's path patterns
	// know * (any run of characters) and ? (exactly one).
	fingerprintedAssets = "/*.??????????.*"

	edgeOriginID = "web-alb"

	// North America and Europe only: the app is about San Francisco, and
	// the cheapest price class still serves the rest of the world from
	// those edges.
	edgePriceClass = "PriceClass_100"

	// A year of HSTS: viewers always arrive over HTTPS (HTTP redirects).
	hstsMaxAgeSeconds = 31536000

	// WAF: at most this many requests per client IP in any 5 minutes
	// (about 7 per second); the UI sends one search per typed query.
	wafRequestsPer5MinutesPerIP = 2000

	// How long the provider waits for a VPC origin to be Deployed or gone.
	// AWS says deploying takes "up to 15 minutes"; the provider's default
	// is exactly that (internal/service/cloudfront/vpc_origin.go), and an
	// origin that takes longer is left tainted and replaced by the next
	// up, another quarter of an hour.
	vpcOriginTimeout = "45m"
)

// cacheBehaviour is one path of the distribution and what the edge does
// with it.
type cacheBehaviour struct {
	pathPattern   string
	cachePolicy   string
	originRequest string // "" forwards only what the cache policy keys on
}

var (
	// dynamicBehaviour: answered by the app on every request, with every
	// query string and header it may read.
	dynamicBehaviour = cacheBehaviour{cachePolicy: cachingDisabledPolicyID, originRequest: allViewerExceptHostPolicyID}
	// staticBehaviour: fingerprinted files, kept at the edge for as long as
	// their Cache-Control (a year, immutable) allows.
	staticBehaviour = cacheBehaviour{cachePolicy: cachingOptimizedPolicyID}
)

// edgeBehaviours are the ordered cache behaviours; CloudFront takes the
// first match, and the default behaviour (dynamic) takes the rest. The
// app's API paths come first, so no future name under them is ever cached
// as an asset.
func edgeBehaviours() []cacheBehaviour {
	var out []cacheBehaviour
	for _, path := range []string{"/search", "/api/*", "/readyz", "/healthz"} {
		b := dynamicBehaviour
		b.pathPattern = path
		out = append(out, b)
	}
	static := staticBehaviour
	static.pathPattern = fingerprintedAssets
	return append(out, static)
}

// Edge is the app's door to the internet with awsEdge cloudfront: a
// CloudFront distribution (HTTPS on its own *.cloudfront.net name, or on
// awsDomainName) whose only origin is a VPC origin on the internal load
// balancer.
type Edge struct {
	pulumi.ResourceState

	URL        pulumi.StringOutput // https://<awsDomainName> or https://<id>.cloudfront.net
	DomainName pulumi.StringOutput // <id>.cloudfront.net, where a custom domain's DNS points
}

// edgeArgs is what the edge reads.
type edgeArgs struct {
	Naming config.Naming
	// DomainName is an alias of the distribution, with CertificateARN
	// (us-east-1) as its certificate; empty for the cloudfront.net name.
	DomainName     string
	CertificateARN string
	// WAF puts a web ACL, made with USEast1, in front of the distribution.
	WAF     bool
	USEast1 *awsp.Provider

	// From the network: the VPC, the load balancer's security group, and
	// the stack's internet gateway (nil with awsVpcId).
	VpcID           pulumi.StringOutput
	LoadBalancerSG  pulumi.StringOutput
	InternetGateway *ec2.InternetGateway
	// From the web tier: the internal load balancer.
	LoadBalancerARN     pulumi.StringOutput
	LoadBalancerDNSName pulumi.StringOutput
}

func newEdge(ctx *pulumi.Context, name string, args edgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	e := &Edge{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Edge", name, e, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(e)
	originName := args.Naming.Name("web")

	// AWS requires an internet gateway in a VPC with VPC origins. The
	// origin waits for the stack's gateway, and on destroy goes first, so
	// the gateway is not detached while CloudFront still removes its
	// network interfaces (DependencyViolation).
	var afterGateway []pulumi.Resource
	if args.InternetGateway != nil {
		afterGateway = append(afterGateway, args.InternetGateway)
	}
	// CloudFront reaches the internal load balancer from inside the VPC.
	// Plain HTTP on that hop: it never leaves AWS's network, and an
	// internal load balancer without a domain has no certificate to offer.
	vpcOrigin, err := cloudfront.NewVpcOrigin(ctx, originName, &cloudfront.VpcOriginArgs{
		VpcOriginEndpointConfig: &cloudfront.VpcOriginVpcOriginEndpointConfigArgs{
			Name:                 pulumi.String(originName),
			Arn:                  args.LoadBalancerARN,
			HttpPort:             pulumi.Int(httpPort),
			HttpsPort:            pulumi.Int(httpsPort),
			OriginProtocolPolicy: pulumi.String("http-only"),
			// Required by the API even when only HTTP is used.
			OriginSslProtocols: &cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs{
				Items: pulumi.StringArray{pulumi.String("TLSv1.2")}, Quantity: pulumi.Int(1),
			},
		},
		Timeouts: &cloudfront.VpcOriginTimeoutsArgs{
			Create: pulumi.String(vpcOriginTimeout),
			Update: pulumi.String(vpcOriginTimeout),
			Delete: pulumi.String(vpcOriginTimeout),
		},
		Tags: componentTags("edge", originName),
	}, child, pulumi.DependsOn(afterGateway))
	if err != nil {
		return nil, err
	}
	if err := admitVPCOrigin(ctx, args, vpcOrigin, child); err != nil {
		return nil, err
	}

	hstsName := args.Naming.Name("hsts")
	hsts, err := cloudfront.NewResponseHeadersPolicy(ctx, hstsName, &cloudfront.ResponseHeadersPolicyArgs{
		Name:    pulumi.String(hstsName),
		Comment: pulumi.String("HSTS only; every other header is the app's own"),
		SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
			StrictTransportSecurity: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
				AccessControlMaxAgeSec: pulumi.Int(hstsMaxAgeSeconds),
				Override:               pulumi.Bool(false), // an HSTS header from the app wins
			},
		},
	}, child)
	if err != nil {
		return nil, err
	}

	var webACL pulumi.StringPtrInput
	if args.WAF {
		acl, err := newWebACL(ctx, args.Naming.Name("edge"), args.USEast1, child)
		if err != nil {
			return nil, err
		}
		webACL = acl.Arn
	}

	behaviour := func(b cacheBehaviour) (cache, origin pulumi.StringPtrInput) {
		cache = pulumi.String(b.cachePolicy)
		if b.originRequest != "" {
			origin = pulumi.String(b.originRequest)
		}
		return cache, origin
	}
	getHead := pulumi.StringArray{pulumi.String("GET"), pulumi.String("HEAD")}
	// Compress is on everywhere; CloudFront acts on it where the cache
	// policy normalises Accept-Encoding (CachingOptimized: the static
	// files). Under CachingDisabled, Accept-Encoding is a viewer header like
	// any other, which AllViewerExceptHostHeader forwards: the app gzips
	// its answers itself, and CloudFront and the load balancer pass them on.
	var ordered cloudfront.DistributionOrderedCacheBehaviorArray
	for _, b := range edgeBehaviours() {
		cache, origin := behaviour(b)
		ordered = append(ordered, cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern:             pulumi.String(b.pathPattern),
			TargetOriginId:          pulumi.String(edgeOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          getHead,
			CachedMethods:           getHead,
			Compress:                pulumi.Bool(true),
			CachePolicyId:           cache,
			OriginRequestPolicyId:   origin,
			ResponseHeadersPolicyId: hsts.ID(),
		})
	}
	defaultCache, defaultOrigin := behaviour(dynamicBehaviour)

	certificate := cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)}
	var aliases pulumi.StringArray
	if args.DomainName != "" {
		aliases = pulumi.StringArray{pulumi.String(args.DomainName)}
		certificate = cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      pulumi.String(args.CertificateARN),
			SslSupportMethod:       pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String("TLSv1.2_2021"),
		}
	}

	distName := args.Naming.Name("edge")
	distribution, err := cloudfront.NewDistribution(ctx, distName, &cloudfront.DistributionArgs{
		Enabled:       pulumi.Bool(true),
		Comment:       pulumi.String(distName),
		IsIpv6Enabled: pulumi.Bool(true),
		HttpVersion:   pulumi.String("http2and3"),
		PriceClass:    pulumi.String(edgePriceClass),
		Aliases:       aliases,
		Origins: cloudfront.DistributionOriginArray{cloudfront.DistributionOriginArgs{
			OriginId:   pulumi.String(edgeOriginID),
			DomainName: args.LoadBalancerDNSName,
			VpcOriginConfig: &cloudfront.DistributionOriginVpcOriginConfigArgs{
				VpcOriginId: vpcOrigin.ID(),
			},
		}},
		DefaultCacheBehavior: cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String(edgeOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          getHead,
			CachedMethods:           getHead,
			Compress:                pulumi.Bool(true),
			CachePolicyId:           defaultCache,
			OriginRequestPolicyId:   defaultOrigin,
			ResponseHeadersPolicyId: hsts.ID(),
		},
		OrderedCacheBehaviors: ordered,
		Restrictions: cloudfront.DistributionRestrictionsArgs{
			GeoRestriction: cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")},
		},
		ViewerCertificate: certificate,
		WebAclId:          webACL,
		Tags:              componentTags("edge", distName),
	}, child)
	if err != nil {
		return nil, err
	}

	e.DomainName = distribution.DomainName
	if args.DomainName != "" {
		e.URL = pulumi.Sprintf("https://%s", args.DomainName)
	} else {
		e.URL = pulumi.Sprintf("https://%s", distribution.DomainName)
	}
	return e, ctx.RegisterResourceOutputs(e, pulumi.Map{
		"url":        e.URL,
		"domainName": e.DomainName,
	})
}

// admitVPCOrigin lets CloudFront's VPC-origin interfaces, and only them,
// reach the load balancer's listener. Their security group exists once the
// VPC origin is deployed, so it is looked up after it.
func admitVPCOrigin(ctx *pulumi.Context, args edgeArgs, vpcOrigin *cloudfront.VpcOrigin, child pulumi.ResourceOption) error {
	vpcAfterOrigin := pulumi.All(args.VpcID, vpcOrigin.ID()).ApplyT(func(v []any) string {
		return v[0].(string)
	}).(pulumi.StringOutput)
	originGroup := ec2.LookupSecurityGroupOutput(ctx, ec2.LookupSecurityGroupOutputArgs{
		VpcId: vpcAfterOrigin,
		Name:  pulumi.String(vpcOriginsSecurityGroup),
	}, pulumi.Parent(vpcOrigin))
	_, err := ec2.NewSecurityGroupRule(ctx, args.Naming.Name("alb-in-cloudfront"), &ec2.SecurityGroupRuleArgs{
		Type:                  pulumi.String("ingress"),
		SecurityGroupId:       args.LoadBalancerSG,
		Protocol:              pulumi.String("tcp"),
		FromPort:              pulumi.Int(httpPort),
		ToPort:                pulumi.Int(httpPort),
		SourceSecurityGroupId: originGroup.Id(),
		Description:           pulumi.String("CloudFront's VPC origin"),
	}, child)
	return err
}

// newWebACL is AWS WAF in front of the distribution: AWS's common rule set
// and a rate limit per client IP. Web ACLs for CloudFront live in
// us-east-1. name is its name and its metrics' prefix.
func newWebACL(ctx *pulumi.Context, name string, usEast1 *awsp.Provider, child pulumi.ResourceOption) (*wafv2.WebAcl, error) {
	visibility := func(metric string) wafv2.WebAclRuleVisibilityConfigArgs {
		return wafv2.WebAclRuleVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true),
			MetricName: pulumi.String(name + "-" + metric),
		}
	}
	return wafv2.NewWebAcl(ctx, name, &wafv2.WebAclArgs{
		Name:          pulumi.String(name),
		Description:   pulumi.String("AWS common rule set and a per-IP rate limit in front of the app"),
		Scope:         pulumi.String("CLOUDFRONT"),
		DefaultAction: wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules: wafv2.WebAclRuleArray{
			wafv2.WebAclRuleArgs{
				Name:           pulumi.String("aws-common-rule-set"),
				Priority:       pulumi.Int(0),
				OverrideAction: &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}},
				Statement: wafv2.WebAclRuleStatementArgs{
					ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
						VendorName: pulumi.String("AWS"), Name: pulumi.String("AWSManagedRulesCommonRuleSet"),
					},
				},
				VisibilityConfig: visibility("common"),
			},
			wafv2.WebAclRuleArgs{
				Name:     pulumi.String("rate-per-ip"),
				Priority: pulumi.Int(1),
				Action:   &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
				Statement: wafv2.WebAclRuleStatementArgs{
					RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
						Limit: pulumi.Int(wafRequestsPer5MinutesPerIP), AggregateKeyType: pulumi.String("IP"),
					},
				},
				VisibilityConfig: visibility("rate"),
			},
		},
		VisibilityConfig: wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true),
			MetricName: pulumi.String(name),
		},
		Tags: componentTags("edge", name),
	}, child, pulumi.Provider(usEast1))
}
