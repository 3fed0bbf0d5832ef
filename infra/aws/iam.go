package aws

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// policyDocument is an IAM policy in its JSON form. Policies are written
// out statement by statement, each naming the resources it covers, so a
// reader (and the tests) can see that nothing is wider than needed.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]any            `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

func (d policyDocument) JSON() (string, error) {
	d.Version = "2012-10-17"
	b, err := json.Marshal(d)
	return string(b), err
}

// taskTrustPolicy lets ECS tasks of this account and region, and nobody
// else, assume a task role: AWS's guide to task IAM roles recommends the
// aws:SourceAccount and aws:SourceArn conditions against the
// confused-deputy problem.
func taskTrustPolicy(acct account) (string, error) {
	return policyDocument{Statement: []policyStatement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": ecsTasksPrincipal},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": acct.ID},
			"ArnLike":      {"aws:SourceArn": "arn:" + acct.Partition + ":ecs:" + acct.Region + ":" + acct.ID + ":*"},
		},
	}}}.JSON()
}

// executionTrustPolicy lets ECS assume an execution role, with the trust
// policy AWS documents for it: the service principal and no condition. The
// agents that pull images and read secrets are not documented to send
// aws:SourceAccount or aws:SourceArn, and a condition they do not satisfy
// stops every task with "ECS was unable to assume the role". What the role
// may do is held down by its own policy (newExecutionRole).
func executionTrustPolicy() (string, error) {
	return policyDocument{Statement: []policyStatement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": ecsTasksPrincipal},
		Action:    []string{"sts:AssumeRole"},
	}}}.JSON()
}

const ecsTasksPrincipal = "ecs-tasks.amazonaws.com"

// executionGrants is what ECS itself needs to start one service's tasks.
type executionGrants struct {
	LogGroupARN   pulumi.StringOutput
	SecretARNs    []pulumi.StringOutput // the secrets its containers list, and no others
	RepositoryARN pulumi.StringOutput   // zero when the image is public (Elasticsearch)
	PullsFromECR  bool
}

// newExecutionRole is the role ECS uses to pull the image, write the
// service's log group and read its secret — each named by ARN. Only
// ecr:GetAuthorizationToken has no resource-level permission, so AWS
// requires "*" as its resource.
func newExecutionRole(ctx *pulumi.Context, naming config.Naming, component string, grants executionGrants, opts ...pulumi.ResourceOption) (*iam.Role, *iam.RolePolicy, error) {
	trust, err := executionTrustPolicy()
	if err != nil {
		return nil, nil, err
	}
	name := naming.Name(component + "-execution")
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("ECS starts the " + component + " tasks with this role: image pull, logs, secrets"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             componentTags(component, name),
	}, opts...)
	if err != nil {
		return nil, nil, err
	}

	inputs := []any{grants.LogGroupARN}
	for _, s := range grants.SecretARNs {
		inputs = append(inputs, s)
	}
	if grants.PullsFromECR {
		inputs = append(inputs, grants.RepositoryARN)
	}
	policy := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		logGroup := v[0].(string)
		var secrets []string
		for _, s := range v[1 : 1+len(grants.SecretARNs)] {
			secrets = append(secrets, s.(string))
		}
		statements := []policyStatement{
			{
				Sid: "WriteOwnLogs", Effect: "Allow",
				Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				Resource: []string{logGroup, logGroup + ":log-stream:*"},
			},
			{
				Sid: "ReadOwnSecret", Effect: "Allow",
				Action:   []string{"secretsmanager:GetSecretValue"},
				Resource: secrets,
			},
		}
		if grants.PullsFromECR {
			statements = append(statements,
				policyStatement{
					Sid: "PullOwnImage", Effect: "Allow",
					Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
					Resource: []string{v[len(v)-1].(string)},
				},
				policyStatement{
					Sid: "LogInToECR", Effect: "Allow",
					Action:   []string{"ecr:GetAuthorizationToken"},
					Resource: []string{"*"},
				})
		}
		return policyDocument{Statement: statements}.JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	return role, rolePolicy, nil
}
