package stacktest

// AWSInvokes answers the data sources the aws target reads, with values
// shaped like the AWS provider's results: the region's first azCount
// availability zones, a caller identity in account 123456789012, the region
// and an ECR authorization token.
func AWSInvokes(region string, azCount int) map[string]InvokeFunc {
	var names, ids []any
	for i := range azCount {
		letter := string(rune('a' + i))
		names = append(names, region+letter)
		ids = append(ids, "use1-az"+string(rune('1'+i)))
	}
	const account = "123456789012"
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
		"aws:ecr/getAuthorizationToken:getAuthorizationToken": Canned(map[string]any{
			"id": region, "userName": "AWS", "password": "mock-ecr-password",
			"authorizationToken": "QVdTOm1vY2stZWNyLXBhc3N3b3Jk", // base64("AWS:mock-ecr-password")
			"proxyEndpoint":      "https://" + account + ".dkr.ecr." + region + ".amazonaws.com",
			"expiresAt":          "2030-01-01T00:00:00Z",
		}),
	}
}
