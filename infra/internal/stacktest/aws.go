package stacktest

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// MockAccount is the AWS account the mocks answer for.
const MockAccount = "123456789012"

// MockTaskDefinitionRevision is the revision the mocks give every ECS task
// definition a program registers.
const MockTaskDefinitionRevision = 7

// TaskDefinitionARN is the ARN ECS gives revision rev of a task definition
// family.
func TaskDefinitionARN(region, family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", region, MockAccount, family, rev)
}

// ECSServiceRuns answers the ECS service data source (aws:ecs/getService)
// the way DescribeServices does after a deployment: the service runs
// revision rev(service) of its task definition family. The prod stack
// names each service like its family.
func ECSServiceRuns(region string, rev func(service string) int) InvokeFunc {
	return func(args resource.PropertyMap) (resource.PropertyMap, error) {
		service := args["serviceName"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": service, "serviceName": service, "clusterArn": args["clusterArn"].StringValue(),
			"arn":            fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s", region, MockAccount, service),
			"taskDefinition": TaskDefinitionARN(region, service, rev(service)),
			"desiredCount":   1, "launchType": "FARGATE", "schedulingStrategy": "REPLICA",
		}), nil
	}
}

// AWSInvokes answers the data sources the aws target reads, with values
// shaped like the AWS provider's results: the region's first azCount
// availability zones, a caller identity in account 123456789012, the region,
// an ECR authorization token, ECS services that run the task definition
// revision the program registered (a deployment that succeeded), a
// security group looked up by name (the one CloudFront creates for VPC
// origins), found in the VPC asked for, and subnets looked up by ID.
func AWSInvokes(region string, azCount int) map[string]InvokeFunc {
	var names, ids []any
	for i := range azCount {
		letter := string(rune('a' + i))
		names = append(names, region+letter)
		ids = append(ids, "use1-az"+string(rune('1'+i)))
	}
	const account = MockAccount
	return map[string]InvokeFunc{
		"aws:index/getAvailabilityZones:getAvailabilityZones": Canned(map[string]any{
			"id": region, "names": names, "zoneIds": ids, "groupNames": []any{region},
		}),
		"aws:index/getCallerIdentity:getCallerIdentity": Canned(map[string]any{
			"id": account, "accountId": account,
			"arn": "arn:aws:iam::" + account + ":user/deployer", "userId": "AIDAEXAMPLE",
		}),
		"aws:index/getRegion:getRegion": Canned(map[string]any{
			"id": region, "name": region, "region": region,
			"description": region, "endpoint": "ec2." + region + ".amazonaws.com",
		}),
		"aws:ec2/getSecurityGroup:getSecurityGroup": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			name, vpc := args["name"].StringValue(), args["vpcId"].StringValue()
			id := LookedUpSecurityGroupID(vpc, name)
			return resource.NewPropertyMapFromMap(map[string]any{
				"id": id, "name": name, "vpcId": vpc, "description": "security group " + name,
				"arn": "arn:aws:ec2:" + region + ":" + account + ":security-group/" + id,
			}), nil
		},
		"aws:ecr/getAuthorizationToken:getAuthorizationToken": Canned(map[string]any{
			"id": region, "userName": "AWS", "password": "mock-ecr-password",
			"authorizationToken": "QVdTOm1vY2stZWNyLXBhc3N3b3Jk", // base64("AWS:mock-ecr-password")
			"proxyEndpoint":      "https://" + account + ".dkr.ecr." + region + ".amazonaws.com",
			"expiresAt":          "2030-01-01T00:00:00Z",
		}),
		"aws:ecs/getService:getService": ECSServiceRuns(region, func(string) int { return MockTaskDefinitionRevision }),
		// A subnet looked up by ID is in the region's first zone.
		"aws:ec2/getSubnet:getSubnet": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			id := args["id"].StringValue()
			return resource.NewPropertyMapFromMap(map[string]any{
				"id": id, "availabilityZone": names[0], "availabilityZoneId": ids[0],
				"arn": "arn:aws:ec2:" + region + ":" + account + ":subnet/" + id,
			}), nil
		},
	}
}

// LookedUpSecurityGroupID is the ID AWSInvokes answers for the security
// group called name in vpc: tests compare it with what the program used.
func LookedUpSecurityGroupID(vpc, name string) string {
	return "sg-" + digest(vpc, name)[:17]
}
