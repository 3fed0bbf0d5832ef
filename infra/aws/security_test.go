package aws_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
)

// The network isolation the app asked for, and the other guarantees of the
// prod stack, each checked on every search choice, with a custom domain,
// with AWS WAF, in the own-VPC shape, and without CloudFront (awsEdge none,
// with and without HTTPS).
var securityChoices = map[string]map[string]any{
	"fargate-ephemeral": nil, // the default
	"fargate-efs":       efsStorage,
	"external":          externalSearch,
	"custom-domain":     {"awsDomainName": testDomain, "awsCertificateArn": testCertificate},
	"waf":               {"awsWaf": true},
	"edge-none":         {"awsEdge": "none"},
	"edge-none-https":   {"awsEdge": "none", "awsCertificateArn": testCertificate},
	"own-vpc": {
		"awsVpcId":            "vpc-0a1b2c3d4e5f60718",
		"awsPublicSubnetIds":  []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"},
		"awsPrivateSubnetIds": []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"},
	},
}

func forEachChoice(t *testing.T, check func(t *testing.T, p *prod)) {
	for choice, overrides := range securityChoices {
		t.Run(choice, func(t *testing.T) { check(t, deployProd(t, overrides)) })
	}
}

// sgRule is one security group rule as registered.
type sgRule struct {
	name, kind, group, source string
	from, to                  int
	cidrs                     []string
}

func rules(p *prod) []sgRule {
	var out []sgRule
	for _, r := range p.OfType("aws:ec2/securityGroupRule:SecurityGroupRule") {
		rule := sgRule{
			name: r.Name, kind: str(r.Inputs, "type"), group: str(r.Inputs, "securityGroupId"),
			source: str(r.Inputs, "sourceSecurityGroupId"), from: num(r.Inputs, "fromPort"), to: num(r.Inputs, "toPort"),
		}
		for _, key := range []string{"cidrBlocks", "ipv6CidrBlocks"} {
			for _, c := range list(r.Inputs, key) {
				rule.cidrs = append(rule.cidrs, fmt.Sprint(c))
			}
		}
		out = append(out, rule)
	}
	return out
}

func groupID(t *testing.T, p *prod, component string) string {
	t.Helper()
	return p.Must(t, "aws:ec2/securityGroup:SecurityGroup", name+component).ID
}

func ingressTo(p *prod, group string) []sgRule {
	var out []sgRule
	for _, r := range rules(p) {
		if r.kind == "ingress" && r.group == group {
			out = append(out, r)
		}
	}
	return out
}

func TestSecurityGroupsHaveNoInlineRules(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		for _, g := range p.OfType("aws:ec2/securityGroup:SecurityGroup") {
			if len(list(g.Inputs, "ingress")) > 0 || len(list(g.Inputs, "egress")) > 0 {
				t.Errorf("%s has inline rules; every path must be a separate, named rule", g.Name)
			}
		}
	})
}

// Behind CloudFront (the default) no security group admits any address of
// the internet, the load balancer's included. Only awsEdge none opens the
// load balancer, and only on 80 (and 443 with a certificate).
func TestNoIngressFromTheInternetBehindCloudFrontAndOnlyTheLoadBalancerWithoutIt(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		alb := groupID(t, p, "alb")
		opened := []int{}
		for _, r := range rules(p) {
			if r.kind != "ingress" {
				continue
			}
			public := slices.ContainsFunc(r.cidrs, func(c string) bool { return c == "0.0.0.0/0" || c == "::/0" })
			if !public {
				continue
			}
			if p.cfg.AWS.Edge == "cloudfront" {
				t.Errorf("%s opens %s ports %d-%d to %v; behind CloudFront nothing admits the internet", r.name, r.group, r.from, r.to, r.cidrs)
				continue
			}
			if r.group != alb || r.from != r.to || (r.from != 80 && r.from != 443) {
				t.Errorf("%s opens %s ports %d-%d to %v; only the load balancer may face the internet, on 80/443", r.name, r.group, r.from, r.to, r.cidrs)
			}
			opened = append(opened, r.from)
		}
		want := []int{}
		if p.cfg.AWS.Edge == "none" {
			want = []int{80}
			if p.cfg.AWS.CertificateARN != "" {
				want = []int{80, 443}
			}
		}
		slices.Sort(opened)
		if !slices.Equal(opened, want) {
			t.Errorf("the load balancer is open to the internet on %v, want %v", opened, want)
		}
	})
}

// Behind CloudFront the load balancer admits exactly one source: the
// security group CloudFront puts on its VPC-origin interfaces, looked up by
// its name in the stack's VPC, on the listener port.
func TestLoadBalancerAdmitsOnlyCloudFrontsVPCOrigin(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		got := ingressTo(p, groupID(t, p, "alb"))
		if p.cfg.AWS.Edge != "cloudfront" {
			for _, r := range got {
				if r.source != "" {
					t.Errorf("awsEdge none: load balancer admits group %s (%s)", r.source, r.name)
				}
			}
			return
		}
		vpc := p.cfg.AWS.VPCID
		if vpc == "" {
			vpc = p.Must(t, "aws:ec2/vpc:Vpc", name+"vpc").ID
		}
		originGroup := stacktest.LookedUpSecurityGroupID(vpc, "CloudFront-VPCOrigins-Service-SG")
		if len(got) != 1 || got[0].source != originGroup || got[0].from != 80 || got[0].to != 80 || len(got[0].cidrs) > 0 {
			t.Errorf("load balancer ingress = %+v, want exactly one rule: from %s (CloudFront-VPCOrigins-Service-SG of %s) on 80", got, originGroup, vpc)
		}
		// The group is looked up after the VPC origin exists (CloudFront
		// creates it with the origin): the rule depends on the origin.
		rule := p.Must(t, "aws:ec2/securityGroupRule:SecurityGroupRule", name+"alb-in-cloudfront")
		origin := p.Must(t, "aws:cloudfront/vpcOrigin:VpcOrigin", name+"web")
		if !slices.Contains(rule.DependsOn, origin.URN) {
			t.Errorf("the ingress rule does not wait for the VPC origin (dependsOn %v)", rule.DependsOn)
		}
	})
}

func TestLoadBalancerIsInternalBehindCloudFrontAndPublicWithout(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		alb := p.Must(t, "aws:lb/loadBalancer:LoadBalancer", name+"web")
		// Switching awsEdge replaces it; its target group cannot belong to
		// the old and the new one at once (TargetGroupAssociationLimit).
		if !alb.DeleteBeforeReplace {
			t.Errorf("load balancer is replaced create-before-delete; the new listener could not take over the target group")
		}
		behindCloudFront := p.cfg.AWS.Edge == "cloudfront"
		if in(alb.Inputs, "internal") != behindCloudFront {
			t.Errorf("awsEdge %s: load balancer internal = %v", p.cfg.AWS.Edge, in(alb.Inputs, "internal"))
		}
		private := func(subnet any) bool {
			id := fmt.Sprint(subnet)
			if slices.Contains(p.cfg.AWS.PrivateSubnetIDs, id) {
				return true
			}
			for _, s := range p.OfType("aws:ec2/subnet:Subnet") {
				if s.ID == id {
					return strings.Contains(s.Name, "-private-")
				}
			}
			return false
		}
		subnets := list(alb.Inputs, "subnets")
		if len(subnets) < 2 {
			t.Errorf("load balancer in %d subnets, an ALB needs two zones", len(subnets))
		}
		for _, s := range subnets {
			if private(s) != behindCloudFront {
				t.Errorf("awsEdge %s: load balancer subnet %v private = %v", p.cfg.AWS.Edge, s, private(s))
			}
		}
	})
}

func TestWebAcceptsOnlyTheLoadBalancerOnTheAppPort(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		got := ingressTo(p, groupID(t, p, "web"))
		if len(got) != 1 || got[0].source != groupID(t, p, "alb") || got[0].from != p.cfg.WebPort || got[0].to != p.cfg.WebPort || len(got[0].cidrs) > 0 {
			t.Errorf("web ingress = %+v, want exactly one rule: from the ALB group on %d", got, p.cfg.WebPort)
		}
	})
}

func TestElasticsearchAcceptsOnlyTheWebTasksOn9200(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		if p.cfg.AWS.SearchMode == "external" {
			if g := p.Find("aws:ec2/securityGroup:SecurityGroup", name+"es"); g != nil {
				t.Errorf("external mode has an Elasticsearch security group")
			}
			return
		}
		got := ingressTo(p, groupID(t, p, "es"))
		if len(got) != 1 || got[0].source != groupID(t, p, "web") || got[0].from != 9200 || got[0].to != 9200 || len(got[0].cidrs) > 0 {
			t.Errorf("Elasticsearch ingress = %+v, want exactly one rule: from the web group on 9200", got)
		}
		// The service really sits in that group.
		es := p.Must(t, "aws:ecs/service:Service", name+"es")
		if sgs := list(es.Inputs, "networkConfiguration", "securityGroups"); len(sgs) != 1 || sgs[0] != groupID(t, p, "es") {
			t.Errorf("ES service security groups %v, want only the es group", sgs)
		}
	})
}

func TestFileSystemAcceptsOnlyElasticsearchOn2049(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		if p.cfg.AWS.SearchMode != "fargate" || p.cfg.AWS.SearchStorage != "efs" {
			if len(p.OfType("aws:efs/fileSystem:FileSystem")) > 0 {
				t.Errorf("a file system without efs storage")
			}
			return
		}
		got := ingressTo(p, groupID(t, p, "efs"))
		if len(got) != 1 || got[0].source != groupID(t, p, "es") || got[0].from != 2049 || got[0].to != 2049 || len(got[0].cidrs) > 0 {
			t.Errorf("EFS ingress = %+v, want exactly one rule: from the es group on 2049", got)
		}
		for _, mt := range p.OfType("aws:efs/mountTarget:MountTarget") {
			if sgs := list(mt.Inputs, "securityGroups"); len(sgs) != 1 || sgs[0] != groupID(t, p, "efs") {
				t.Errorf("mount target %s in groups %v, want only the efs group", mt.Name, sgs)
			}
		}
	})
}

func TestTasksGetNoPublicIPAndRunInPrivateSubnets(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		private := map[string]bool{}
		if ids := p.cfg.AWS.PrivateSubnetIDs; len(ids) > 0 {
			for _, id := range ids {
				private[id] = true
			}
		} else {
			for _, s := range p.OfType("aws:ec2/subnet:Subnet") {
				if strings.Contains(s.Name, "-private-") {
					private[s.ID] = true
				}
				if in(s.Inputs, "mapPublicIpOnLaunch") != false {
					t.Errorf("subnet %s hands out public addresses on launch", s.Name)
				}
			}
		}
		for _, svc := range p.OfType("aws:ecs/service:Service") {
			if in(svc.Inputs, "networkConfiguration", "assignPublicIp") != false {
				t.Errorf("service %s: assignPublicIp is not false", svc.Name)
			}
			subnets := list(svc.Inputs, "networkConfiguration", "subnets")
			if len(subnets) == 0 {
				t.Errorf("service %s has no subnets", svc.Name)
			}
			for _, s := range subnets {
				if !private[fmt.Sprint(s)] {
					t.Errorf("service %s runs in %v, which is not a private subnet", svc.Name, s)
				}
			}
		}
	})
}

func TestFileSystemIsEncryptedAtRestAndInTransit(t *testing.T) {
	p := deployProd(t, efsStorage)
	fs := p.Must(t, "aws:efs/fileSystem:FileSystem", name+"es-data")
	if in(fs.Inputs, "encrypted") != true {
		t.Errorf("file system not encrypted at rest: %v", fs.Inputs["encrypted"])
	}
	task := p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"es")
	volume := in(task.Inputs, "volumes", 0, "efsVolumeConfiguration")
	if str(volume, "transitEncryption") != "ENABLED" || str(volume, "authorizationConfig", "iam") != "ENABLED" {
		t.Errorf("ES data volume = %v, want transitEncryption and IAM authorization ENABLED", volume)
	}
	if str(volume, "authorizationConfig", "accessPointId") != p.Must(t, "aws:efs/accessPoint:AccessPoint", name+"es-data").ID {
		t.Errorf("ES data volume does not mount through the access point: %v", volume)
	}
	if root := in(volume, "rootDirectory"); root != nil && root != "/" {
		t.Errorf("rootDirectory %v with an access point; ECS requires / or none", root)
	}
	// The file system's policy refuses clients without TLS.
	doc := policy(t, str(p.Must(t, "aws:efs/fileSystemPolicy:FileSystemPolicy", name+"es-data").Inputs, "policy"))
	denies := false
	for _, s := range doc.Statement {
		if s.Effect == "Deny" && fmt.Sprint(s.Condition["Bool"]["aws:SecureTransport"]) == "false" {
			denies = true
		}
	}
	if !denies {
		t.Errorf("file system policy does not deny aws:SecureTransport=false: %+v", doc)
	}
	ap := p.Must(t, "aws:efs/accessPoint:AccessPoint", name+"es-data")
	if num(ap.Inputs, "posixUser", "uid") != 1000 || num(ap.Inputs, "posixUser", "gid") != 0 ||
		str(ap.Inputs, "rootDirectory", "creationInfo", "permissions") != "0775" {
		t.Errorf("access point %v, want uid 1000 gid 0 and a 0775 root directory", ap.Inputs)
	}
}

func TestRepositoryScansImagesOnPush(t *testing.T) {
	p := deployProd(t, nil)
	repo := p.Must(t, "aws:ecr/repository:Repository", name+"web")
	if in(repo.Inputs, "imageScanningConfiguration", "scanOnPush") != true {
		t.Errorf("ECR repository does not scan on push: %v", repo.Inputs["imageScanningConfiguration"])
	}
	var lifecycle struct {
		Rules []struct {
			Selection struct {
				CountType   string `json:"countType"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
			Action struct{ Type string } `json:"action"`
		} `json:"rules"`
	}
	raw := str(p.Must(t, "aws:ecr/lifecyclePolicy:LifecyclePolicy", name+"web").Inputs, "policy")
	if err := json.Unmarshal([]byte(raw), &lifecycle); err != nil || len(lifecycle.Rules) != 1 {
		t.Fatalf("lifecycle policy %s: %v", raw, err)
	}
	if r := lifecycle.Rules[0]; r.Selection.CountType != "imageCountMoreThan" || r.Selection.CountNumber != p.cfg.AWS.ECRKeepImages || r.Action.Type != "expire" {
		t.Errorf("lifecycle rule %+v, want expire beyond the newest %d", r, p.cfg.AWS.ECRKeepImages)
	}
}

func TestEveryLogGroupHasTheConfiguredRetention(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		groups := p.OfType("aws:cloudwatch/logGroup:LogGroup")
		if len(groups) == 0 {
			t.Fatal("no log groups")
		}
		for _, g := range groups {
			if got := num(g.Inputs, "retentionInDays"); got != p.cfg.AWS.LogRetentionDays || got <= 0 {
				t.Errorf("log group %s keeps logs %d days, want %d", g.Name, got, p.cfg.AWS.LogRetentionDays)
			}
		}
		// Every container logs to one of them.
		for _, task := range p.OfType("aws:ecs/taskDefinition:TaskDefinition") {
			for _, c := range containers(t, task) {
				group := str(c, "logConfiguration", "options", "awslogs-group")
				if !slices.ContainsFunc(groups, func(g *stacktest.Resource) bool { return str(g.Inputs, "name") == group }) {
					t.Errorf("%s/%s logs to %q, not a log group of the stack", task.Name, str(c, "name"), group)
				}
			}
		}
	})
}

// iamPolicy is an IAM policy document as the tests read it; Action,
// Resource and Principal may be a string or a list.
type iamPolicy struct {
	Statement []struct {
		Sid       string
		Effect    string
		Action    stringOrList
		Resource  stringOrList
		Principal any
		Condition map[string]map[string]any
	}
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

func policy(t *testing.T, raw string) iamPolicy {
	t.Helper()
	var doc iamPolicy
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, raw)
	}
	return doc
}

func TestNoIAMStatementAllowsEveryAction(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		var docs []string
		for _, r := range p.OfType("aws:iam/role:Role") {
			docs = append(docs, str(r.Inputs, "assumeRolePolicy"))
		}
		for _, typ := range []string{"aws:iam/rolePolicy:RolePolicy", "aws:efs/fileSystemPolicy:FileSystemPolicy", "aws:sns/topicPolicy:TopicPolicy"} {
			for _, r := range p.OfType(typ) {
				docs = append(docs, str(r.Inputs, "policy"))
			}
		}
		if len(docs) < 2 {
			t.Fatalf("only %d policies found", len(docs))
		}
		for _, raw := range docs {
			for _, s := range policy(t, raw).Statement {
				if len(s.Action) == 0 {
					t.Errorf("statement %q names no action", s.Sid)
				}
				for _, a := range s.Action {
					if a == "*" || strings.HasSuffix(a, ":*") {
						t.Errorf("statement %q allows every action (%q): %s", s.Sid, a, raw)
					}
				}
				// "*" as a resource only where AWS offers nothing narrower.
				if s.Effect == "Allow" && slices.Contains(s.Resource, "*") && !slices.Equal(s.Action, []string{"ecr:GetAuthorizationToken"}) {
					t.Errorf("statement %q allows %v on every resource", s.Sid, s.Action)
				}
			}
		}
		// The web tasks have no task role: the app calls no AWS API.
		web := p.Must(t, "aws:ecs/taskDefinition:TaskDefinition", name+"web")
		if v, ok := web.Inputs["taskRoleArn"]; ok && v != nil && v != "" {
			t.Errorf("web task has a task role %v", v)
		}
	})
}

// Tags come from the provider's default tags, so every resource that can be
// tagged is; every AWS resource must therefore use that provider.
func TestEveryTaggableResourceIsTaggedThroughTheProvider(t *testing.T) {
	forEachChoice(t, func(t *testing.T, p *prod) {
		provider := p.Must(t, "pulumi:providers:aws", name+"aws")
		tags := defaultTags(t, provider)
		for key, want := range map[string]string{"project": "foodtrucks", "stack": "prod", "managed-by": "pulumi"} {
			if tags[key] != want {
				t.Errorf("provider default tag %s = %q, want %q (all: %v)", key, tags[key], want, tags)
			}
		}
		if str(provider.Inputs, "region") != testRegion {
			t.Errorf("provider region %q, want %s from aws:region", str(provider.Inputs, "region"), testRegion)
		}
		checked := 0
		for _, r := range p.Resources() {
			if !r.Custom || !strings.HasPrefix(r.Type, "aws:") {
				continue
			}
			checked++
			if !strings.HasPrefix(r.Provider, provider.URN+"::") {
				t.Errorf("%s %s uses provider %q, not the stack's tagging provider", r.Type, r.Name, r.Provider)
			}
		}
		if checked < 30 {
			t.Errorf("only %d AWS resources checked", checked)
		}
	})
}

// Resources that take tags also name their component.
func TestTaggedResourcesNameTheirComponent(t *testing.T) {
	p := deployProd(t, nil)
	for _, r := range p.Resources() {
		tags, ok := r.Inputs["tags"].(map[string]any)
		if !ok || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		if tags["component"] == nil || tags["component"] == "" {
			t.Errorf("%s %s: tags %v have no component", r.Type, r.Name, tags)
		}
	}
}

func defaultTags(t *testing.T, provider *stacktest.Resource) map[string]any {
	t.Helper()
	v := provider.Inputs["defaultTags"]
	if s, ok := v.(string); ok { // provider inputs travel as JSON strings
		var decoded any
		if err := json.Unmarshal([]byte(s), &decoded); err != nil {
			t.Fatalf("defaultTags %q: %v", s, err)
		}
		v = decoded
	}
	tags, _ := in(v, "tags").(map[string]any)
	return tags
}

// ECS assumes an execution role to pull the image, read the secrets and
// write the logs; AWS documents that role's trust policy as the service
// principal alone. aws:SourceAccount and aws:SourceArn are documented for
// task roles: there they guard against the confused deputy, on an
// execution role they could keep every task from starting.
func TestOnlyTaskRolesTrustECSWithSourceConditions(t *testing.T) {
	p := deployProd(t, efsStorage) // the one choice with a task role
	trust := func(role string) iamPolicy {
		return policy(t, str(p.Must(t, "aws:iam/role:Role", name+role).Inputs, "assumeRolePolicy"))
	}
	for _, role := range []string{"web-execution", "es-execution"} {
		doc := trust(role)
		if len(doc.Statement) != 1 {
			t.Fatalf("%s trust policy has %d statements", role, len(doc.Statement))
		}
		s := doc.Statement[0]
		if fmt.Sprint(s.Principal) != "map[Service:ecs-tasks.amazonaws.com]" || !slices.Equal(s.Action, []string{"sts:AssumeRole"}) {
			t.Errorf("%s trusts %v for %v, want ecs-tasks.amazonaws.com for sts:AssumeRole", role, s.Principal, s.Action)
		}
		if len(s.Condition) != 0 {
			t.Errorf("%s trust policy has conditions %v that AWS documents for task roles only", role, s.Condition)
		}
	}
	s := trust("es-task").Statement[0]
	if fmt.Sprint(s.Condition["StringEquals"]["aws:SourceAccount"]) != testAccount ||
		fmt.Sprint(s.Condition["ArnLike"]["aws:SourceArn"]) != "arn:aws:ecs:"+testRegion+":"+testAccount+":*" {
		t.Errorf("task role trust conditions %v, want this account's ECS in %s", s.Condition, testRegion)
	}
}
