package aws

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// The VPC the stack builds when it does not bring its own. /20 subnets
// leave room for 4,000 task addresses per AZ; public subnets count up from
// 10.0.0.0, private ones from 10.0.128.0, so up to six AZs fit.
const (
	vpcCIDR            = "10.0.0.0/16"
	subnetThirdOctet   = 16  // a /20 spans 16 values of the third octet
	privateThirdOctet0 = 128 // first private subnet: 10.0.128.0/20
	anywhereIPv4       = "0.0.0.0/0"
	esPort             = 9200
	nfsPort            = 2049
	httpPort           = 80
	httpsPort          = 443
)

// Network is the private network of the stack and its isolation: the
// equivalent of the local stack's user-defined bridge network. Tasks,
// storage and (behind CloudFront) the load balancer live in private
// subnets. Security groups allow exactly the paths the app uses:
// CloudFront's VPC origin → ALB (80), or with awsEdge none internet → ALB
// (80/443); then ALB → web (app port) → ES (9200) → EFS (2049).
type Network struct {
	pulumi.ResourceState

	VpcID          pulumi.StringOutput
	PublicSubnets  []pulumi.StringOutput // NAT gateways, and the load balancer with awsEdge none
	PrivateSubnets []pulumi.StringOutput // tasks, EFS mount targets, the internal load balancer

	LoadBalancerSG pulumi.StringOutput
	WebSG          pulumi.StringOutput
	SearchSG       pulumi.StringOutput // empty unless searchMode=fargate
	StorageSG      pulumi.StringOutput // empty unless searchMode=fargate with efs storage

	// InternetGateway is the stack's gateway; nil with awsVpcId (a VPC of
	// one's own brings its gateway).
	InternetGateway *ec2.InternetGateway
}

// networkArgs is what the network reads: the VPC to build or bring, and
// what decides which paths its security groups allow.
type networkArgs struct {
	Naming config.Naming
	Region string

	// A VPC of one's own (awsVpcId and its subnets), or the zones and NAT
	// gateways of the one the stack builds.
	VPCID            string
	PublicSubnetIDs  []string
	PrivateSubnetIDs []string
	AZCount          int
	NATGateways      int

	Edge           string // awsEdge: who may reach the load balancer
	CertificateARN string // with awsEdge none, the load balancer also listens on HTTPS
	WebPort        int
	SearchMode     string
	SearchStorage  string
	// The web tasks reach these on the internet, on their URLs' ports.
	DataURL       string
	ExternalESURL string // searchMode=external only
}

func newNetwork(ctx *pulumi.Context, name string, args networkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	n := &Network{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Network", name, n, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(n)

	if args.VPCID != "" {
		if err := checkVPCOriginSubnets(ctx, args, pulumi.Parent(n)); err != nil {
			return nil, err
		}
		n.VpcID = pulumi.String(args.VPCID).ToStringOutput()
		for _, id := range args.PublicSubnetIDs {
			n.PublicSubnets = append(n.PublicSubnets, pulumi.String(id).ToStringOutput())
		}
		for _, id := range args.PrivateSubnetIDs {
			n.PrivateSubnets = append(n.PrivateSubnets, pulumi.String(id).ToStringOutput())
		}
	} else if err := n.buildVPC(ctx, args, child); err != nil {
		return nil, err
	}
	if err := n.buildSecurityGroups(ctx, args, child); err != nil {
		return nil, err
	}
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":          n.VpcID,
		"publicSubnets":  pulumi.ToStringArrayOutput(n.PublicSubnets),
		"privateSubnets": pulumi.ToStringArrayOutput(n.PrivateSubnets),
	})
}

func (n *Network) buildVPC(ctx *pulumi.Context, args networkArgs, child pulumi.ResourceOption) error {
	azs, err := awsp.GetAvailabilityZones(ctx, &awsp.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Local and Wavelength zones cannot host Fargate tasks or NAT gateways.
		Filters: []awsp.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Parent(n))
	if err != nil {
		return fmt.Errorf("look up availability zones: %w", err)
	}
	zones, err := pickZones(args, azs.Names, azs.ZoneIds)
	if err != nil {
		return err
	}

	vpcName := args.Naming.Name("vpc")
	vpc, err := ec2.NewVpc(ctx, vpcName, &ec2.VpcArgs{
		CidrBlock: pulumi.String(vpcCIDR),
		// Service Connect, EFS mount target names and private endpoints all
		// resolve through the VPC's DNS.
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               componentTags("network", vpcName),
	}, child)
	if err != nil {
		return err
	}
	n.VpcID = vpc.ID().ToStringOutput()

	igwName := args.Naming.Name("igw")
	igw, err := ec2.NewInternetGateway(ctx, igwName, &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  componentTags("network", igwName),
	}, child)
	if err != nil {
		return err
	}
	n.InternetGateway = igw
	publicRTName := args.Naming.Name("public")
	publicRT, err := ec2.NewRouteTable(ctx, publicRTName, &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String(anywhereIPv4), GatewayId: igw.ID(),
		}},
		Tags: componentTags("network", publicRTName),
	}, child)
	if err != nil {
		return err
	}

	var nats []*ec2.NatGateway
	for i, zone := range zones {
		publicName := args.Naming.Name(fmt.Sprintf("public-%d", i))
		public, err := ec2.NewSubnet(ctx, publicName, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(zone),
			CidrBlock:        pulumi.String(fmt.Sprintf("10.0.%d.0/20", i*subnetThirdOctet)),
			// Only NAT gateways (and the load balancer with awsEdge none)
			// live here; they get their addresses explicitly.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                componentTags("network", publicName),
		}, child)
		if err != nil {
			return err
		}
		n.PublicSubnets = append(n.PublicSubnets, public.ID().ToStringOutput())
		if _, err := ec2.NewRouteTableAssociation(ctx, publicName, &ec2.RouteTableAssociationArgs{
			SubnetId: public.ID(), RouteTableId: publicRT.ID(),
		}, child); err != nil {
			return err
		}
		if i < args.NATGateways {
			natName := args.Naming.Name(fmt.Sprintf("nat-%d", i))
			eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   componentTags("network", natName),
			}, child)
			if err != nil {
				return err
			}
			nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
				AllocationId: eip.AllocationId,
				SubnetId:     public.ID(),
				Tags:         componentTags("network", natName),
			}, child, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return err
			}
			nats = append(nats, nat)
		}
	}

	for i, zone := range zones {
		privateName := args.Naming.Name(fmt.Sprintf("private-%d", i))
		private, err := ec2.NewSubnet(ctx, privateName, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(zone),
			CidrBlock:           pulumi.String(fmt.Sprintf("10.0.%d.0/20", privateThirdOctet0+i*subnetThirdOctet)),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                componentTags("network", privateName),
		}, child)
		if err != nil {
			return err
		}
		n.PrivateSubnets = append(n.PrivateSubnets, private.ID().ToStringOutput())
		// With fewer NAT gateways than AZs, zones share them round-robin:
		// cheaper, at the price of cross-AZ traffic and a shared failure.
		nat := nats[i%len(nats)]
		rt, err := ec2.NewRouteTable(ctx, privateName, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
				CidrBlock: pulumi.String(anywhereIPv4), NatGatewayId: nat.ID(),
			}},
			Tags: componentTags("network", privateName),
		}, child)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, privateName, &ec2.RouteTableAssociationArgs{
			SubnetId: private.ID(), RouteTableId: rt.ID(),
		}, child); err != nil {
			return err
		}
	}
	return nil
}

// pickZones is the first awsAzCount zones of the region the stack can use.
// Behind CloudFront the internal load balancer's zones must be zones
// CloudFront offers VPC origins in; AWS lists the exceptions by AZ ID, and
// an AZ name is a different zone in every account.
func pickZones(args networkArgs, names, ids []string) ([]string, error) {
	if len(ids) != len(names) {
		return nil, fmt.Errorf("look up availability zones: %d names but %d zone IDs", len(names), len(ids))
	}
	var usable, unsupported []string
	for i, zone := range names {
		if args.Edge == config.EdgeCloudFront && !config.VPCOriginZone(args.Region, ids[i]) {
			unsupported = append(unsupported, fmt.Sprintf("%s (%s)", zone, ids[i]))
			continue
		}
		usable = append(usable, zone)
	}
	if len(usable) >= args.AZCount {
		return usable[:args.AZCount], nil
	}
	if len(unsupported) > 0 {
		fix := fmt.Sprintf("set awsEdge %s (a public load balancer)", config.EdgeNone)
		if len(usable) >= 2 {
			fix = fmt.Sprintf("set awsAzCount %d, or %s", len(usable), fix)
		}
		return nil, fmt.Errorf("awsAzCount: %d availability zones asked for, region %s has %d that CloudFront offers VPC origins in (%v; not %s); %s",
			args.AZCount, args.Region, len(usable), usable, strings.Join(unsupported, ", "), fix)
	}
	return nil, fmt.Errorf("awsAzCount: %d availability zones asked for, region %s offers %d (%v)", args.AZCount, args.Region, len(usable), usable)
}

// checkVPCOriginSubnets judges a VPC of one's own as pickZones judges the
// stack's: behind CloudFront, the private subnets (the internal load
// balancer's) must be in zones CloudFront offers VPC origins in.
func checkVPCOriginSubnets(ctx *pulumi.Context, args networkArgs, opts ...pulumi.InvokeOption) error {
	if args.Edge != config.EdgeCloudFront {
		return nil
	}
	for _, id := range args.PrivateSubnetIDs {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(id)}, opts...)
		if err != nil {
			return fmt.Errorf("awsPrivateSubnetIds: look up %s: %w", id, err)
		}
		if !config.VPCOriginZone(args.Region, subnet.AvailabilityZoneId) {
			return fmt.Errorf("awsPrivateSubnetIds: %s is in %s (%s), a zone CloudFront offers no VPC origins in, and the internal load balancer runs there; use private subnets in other zones, or set awsEdge %s (a public load balancer)",
				id, subnet.AvailabilityZone, subnet.AvailabilityZoneId, config.EdgeNone)
		}
	}
	return nil
}

// buildSecurityGroups makes one group per tier with no inline rules, then
// each allowed path as its own rule, so groups can refer to each other
// without a cycle. AWS's default allow-all egress is removed on creation;
// every egress is listed below.
func (n *Network) buildSecurityGroups(ctx *pulumi.Context, args networkArgs, child pulumi.ResourceOption) error {
	group := func(component, description string) (*ec2.SecurityGroup, error) {
		name := args.Naming.Name(component)
		return ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
			VpcId:       n.VpcID,
			Description: pulumi.String(description),
			// Rules are separate resources; delete them with the group.
			RevokeRulesOnDelete: pulumi.Bool(true),
			Tags:                componentTags("network", name),
		}, child)
	}
	anywhere := pulumi.StringArray{pulumi.String(anywhereIPv4)}

	albDescription := "Load balancer: HTTP(S) from the internet, to the web tasks"
	if args.Edge == config.EdgeCloudFront {
		albDescription = "Internal load balancer: HTTP from CloudFront's VPC origin only, to the web tasks"
	}
	alb, err := group("alb", albDescription)
	if err != nil {
		return err
	}
	web, err := group("web", "Web tasks: from the load balancer only")
	if err != nil {
		return err
	}
	n.LoadBalancerSG, n.WebSG = alb.ID().ToStringOutput(), web.ID().ToStringOutput()
	n.SearchSG, n.StorageSG = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()

	// Every allowed path is one rule: TCP on one port, to or from a peer
	// group, or the internet when peer is nil.
	type path struct {
		name        string
		group       *ec2.SecurityGroup
		direction   string
		port        int
		peer        *ec2.SecurityGroup
		description string
	}
	var paths []path

	// Behind CloudFront nothing on the internet may reach the load
	// balancer: the edge admits CloudFront's VPC origin (admitVPCOrigin).
	if args.Edge == config.EdgeNone {
		paths = append(paths, path{fmt.Sprintf("alb-in-%d", httpPort), alb, "ingress", httpPort, nil, "clients on the internet"})
		if args.CertificateARN != "" {
			paths = append(paths, path{fmt.Sprintf("alb-in-%d", httpsPort), alb, "ingress", httpsPort, nil, "clients on the internet"})
		}
	}
	paths = append(paths,
		path{"alb-out-web", alb, "egress", args.WebPort, web, "requests and health checks to the web tasks"},
		path{"web-in-alb", web, "ingress", args.WebPort, alb, "the load balancer"},
	)
	// Out to the internet through NAT: HTTPS for image pulls from ECR,
	// Secrets Manager and CloudWatch Logs, plus the ports of the permit
	// data set and of an external Elasticsearch cluster.
	for _, port := range webInternetPorts(args) {
		paths = append(paths, path{fmt.Sprintf("web-out-%d", port), web, "egress", port, nil,
			"AWS APIs, image registry, permit data, external Elasticsearch"})
	}

	if args.SearchMode == config.SearchModeFargate {
		es, err := group("es", "Elasticsearch tasks: from the web tasks only, on 9200")
		if err != nil {
			return err
		}
		n.SearchSG = es.ID().ToStringOutput()
		paths = append(paths,
			path{"web-out-es", web, "egress", esPort, es, "Elasticsearch through Service Connect"},
			path{"es-in-web", es, "ingress", esPort, web, "the web tasks"},
			path{"es-out-https", es, "egress", httpsPort, nil, "image pull, Secrets Manager, CloudWatch Logs"},
		)
		if args.SearchStorage == config.SearchStorageEFS {
			efs, err := group("efs", "Elasticsearch data (EFS): from the Elasticsearch tasks only, on 2049")
			if err != nil {
				return err
			}
			n.StorageSG = efs.ID().ToStringOutput()
			paths = append(paths,
				path{"es-out-efs", es, "egress", nfsPort, efs, "the data file system (NFS)"},
				path{"efs-in-es", efs, "ingress", nfsPort, es, "the Elasticsearch tasks"},
			)
		}
	}

	for _, p := range paths {
		rule := &ec2.SecurityGroupRuleArgs{
			Type: pulumi.String(p.direction), SecurityGroupId: p.group.ID(), Protocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(p.port), ToPort: pulumi.Int(p.port), Description: pulumi.String(p.description),
		}
		if p.peer == nil {
			rule.CidrBlocks = anywhere
		} else {
			rule.SourceSecurityGroupId = p.peer.ID().ToStringOutput()
		}
		if _, err := ec2.NewSecurityGroupRule(ctx, args.Naming.Name(p.name), rule, child); err != nil {
			return err
		}
	}
	return nil
}

// webInternetPorts lists, once each and in order, the ports the web tasks
// reach on the internet.
func webInternetPorts(args networkArgs) []int {
	ports := []int{httpsPort, externalPort(args.DataURL)}
	if args.SearchMode == config.SearchModeExternal {
		ports = append(ports, externalPort(args.ExternalESURL))
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// externalPort is the TCP port an http(s) URL connects to. Config
// validation has checked the URL already.
func externalPort(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return httpsPort
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "http" {
		return httpPort
	}
	return httpsPort
}
