package aws

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Alarm thresholds. Evaluated every minute; most alarms fire only when the
// condition holds for several minutes, so one slow request pages nobody.
const (
	alarmPeriodSeconds    = 60
	max5xxPercent         = 5
	alarmEvaluationPeriod = 5
	alarmDatapoints       = 3
	// With no healthy target the load balancer answers 503 itself; those
	// count here and nowhere else. A few a minute is already an outage on
	// a quiet site.
	maxELB5xxPerMinute = 5
	// An Elasticsearch deployment stops the old task (up to its 120 s stop
	// timeout) before it starts the new one (image pull, JVM start): a few
	// minutes with no running task are expected. Longer than this is not.
	esDeployGapMinutes = 10
	// Custom metrics of the stack (from log filters) live here.
	metricNamespace = "Foodtrucks"
)

// Elasticsearch logs every change of cluster health; a change to RED means
// an index lost a primary shard. ECS does not restart the node for it (its
// health check asks only whether HTTP answers); this filter counts it.
const esClusterRedPattern = `"Cluster health status changed from" "to [RED]"`

// Alarms watch what a user would notice: the site answering 5xx or having
// no healthy task behind the load balancer, Elasticsearch not running or
// red. ECS events that need a human (a deployment that failed and was
// rolled back, an Elasticsearch task that stopped outside a deployment)
// reach the same SNS topic through EventBridge. E-mail subscription with
// awsAlarmEmail (AWS sends a confirmation mail first).
type Alarms struct {
	pulumi.ResourceState

	TopicARN pulumi.StringOutput
}

// alarm is one CloudWatch alarm and what it is for.
type alarm struct {
	suffix string
	args   *cloudwatch.MetricAlarmArgs
	// An alarm on an event (a log line) returns to OK a minute later by
	// itself; an "OK" then would not mean the cause is gone.
	eventOnly bool
	// Silence after data is news too: the alarm also notifies when it
	// goes to INSUFFICIENT_DATA.
	notifyOnSilence bool
}

// alarmsArgs is what the alarms read: the e-mail to notify, the web tier's
// floor of healthy tasks, and what they watch.
type alarmsArgs struct {
	Naming     config.Naming
	Account    account // the topic takes alarms of this account only
	AlarmEmail string  // "" = no subscription
	MinTasks   int     // awsWebMinTasks

	Cluster *Cluster
	Search  *Search
	Web     *Web
}

func newAlarms(ctx *pulumi.Context, name string, args alarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	a := &Alarms{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Alarms", name, a, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(a)

	topicName := args.Naming.Name("alarms")
	// No KMS key: CloudWatch cannot publish to a topic encrypted with the
	// AWS-managed SNS key, and alarm texts hold no secrets.
	topic, err := sns.NewTopic(ctx, topicName, &sns.TopicArgs{
		Tags: componentTags("alarms", topicName),
	}, child)
	if err != nil {
		return nil, err
	}
	if args.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, topicName+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(args.AlarmEmail),
		}, child); err != nil {
			return nil, err
		}
	}

	alarms := webAlarms(args.Web, args.MinTasks)
	if args.Search.RunsService {
		red, err := esClusterRedMetric(ctx, args.Naming, args.Search, child)
		if err != nil {
			return nil, err
		}
		alarms = append(alarms, searchAlarms(args.Cluster, args.Search, red)...)
	}
	notify := pulumi.Array{topic.Arn}
	for _, alarm := range alarms {
		name := args.Naming.Name(alarm.suffix)
		alarm.args.Name = pulumi.String(name)
		alarm.args.AlarmActions = notify
		if !alarm.eventOnly {
			alarm.args.OkActions = notify
		}
		if alarm.notifyOnSilence {
			alarm.args.InsufficientDataActions = notify
		}
		alarm.args.Tags = componentTags("alarms", name)
		if _, err := cloudwatch.NewMetricAlarm(ctx, name, alarm.args, child); err != nil {
			return nil, err
		}
	}

	rules, err := ecsEventRules(ctx, args.Naming, args.Cluster, args.Search, args.Web, topic, child)
	if err != nil {
		return nil, err
	}
	if err := topicPolicy(ctx, args.Naming, args.Account, topic, rules, child); err != nil {
		return nil, err
	}

	a.TopicARN = topic.Arn
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{"topicArn": a.TopicARN})
}

// webAlarms watch the site through its load balancer.
func webAlarms(web *Web, minTasks int) []alarm {
	loadBalancer := pulumi.StringMap{"LoadBalancer": web.LoadBalancerARNSuffix}
	targetGroup := pulumi.StringMap{"LoadBalancer": web.LoadBalancerARNSuffix, "TargetGroup": web.TargetGroupARNSuffix}
	albMetric := func(id, metric string) cloudwatch.MetricAlarmMetricQueryArgs {
		return cloudwatch.MetricAlarmMetricQueryArgs{
			Id: pulumi.String(id),
			Metric: cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String(metric),
				Dimensions: loadBalancer, Period: pulumi.Int(alarmPeriodSeconds), Stat: pulumi.String("Sum"),
			},
			ReturnData: pulumi.Bool(false),
		}
	}
	return []alarm{
		{suffix: "web-no-healthy-targets", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("Fewer healthy web tasks behind the load balancer than awsWebMinTasks (%d); at 0 every request gets a 503. "+
				"INSUFFICIENT_DATA after a deploy means the target group stopped reporting: no web task is registered", minTasks),
			Namespace:  pulumi.String("AWS/ApplicationELB"),
			MetricName: pulumi.String("HealthyHostCount"),
			Dimensions: targetGroup,
			Statistic:  pulumi.String("Minimum"),
			Period:     pulumi.Int(alarmPeriodSeconds),
			// A rolling deployment keeps at least the desired count healthy
			// (minimum 100 %), and autoscaling never goes below the minimum.
			ComparisonOperator: pulumi.String("LessThanThreshold"),
			Threshold:          pulumi.Float64(float64(minTasks)),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriod),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			// The load balancer reports the count only once targets are
			// registered. Until the first web task is, the alarm stays in
			// INSUFFICIENT_DATA, its initial state, and says nothing.
			// Tasks that fail their checks report 0 healthy: ALARM. A
			// target group that stops reporting after it did goes back to
			// INSUFFICIENT_DATA, and that notifies too.
			TreatMissingData: pulumi.String("missing"),
		}, notifyOnSilence: true},
		{suffix: "web-elb-5xx", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.Sprintf("The load balancer itself answered %d or more 5xx a minute (no healthy task, or tasks not answering)", maxELB5xxPerMinute),
			Namespace:          pulumi.String("AWS/ApplicationELB"),
			MetricName:         pulumi.String("HTTPCode_ELB_5XX_Count"),
			Dimensions:         loadBalancer,
			Statistic:          pulumi.String("Sum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			Threshold:          pulumi.Float64(maxELB5xxPerMinute),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriod),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			// The count is reported only when there was a 5xx.
			TreatMissingData: pulumi.String("notBreaching"),
		}},
		{suffix: "web-5xx-rate", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("More than %d%% of the requests routed to a task answered with a 5xx", max5xxPercent),
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
				albMetric("elb5xx", "HTTPCode_ELB_5XX_Count"),
				albMetric("target5xx", "HTTPCode_Target_5XX_Count"),
				// Counts only requests that reached a target: with none
				// healthy it has no data (web-elb-5xx covers that case).
				albMetric("requests", "RequestCount"),
				cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("rate"),
					Label:      pulumi.String("5xx percent"),
					Expression: pulumi.String("100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests"),
					ReturnData: pulumi.Bool(true),
				},
			},
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(max5xxPercent),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriod),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			// No requests, no rate: quiet is not an error.
			TreatMissingData: pulumi.String("notBreaching"),
		}},
		{suffix: "web-unhealthy-targets", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String("Web tasks failing the load balancer's health check on " + livenessPath),
			Namespace:          pulumi.String("AWS/ApplicationELB"),
			MetricName:         pulumi.String("UnHealthyHostCount"),
			Dimensions:         targetGroup,
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			Threshold:          pulumi.Float64(1),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriod),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			TreatMissingData:   pulumi.String("notBreaching"),
		}},
	}
}

// esClusterRedMetric counts "cluster health changed to RED" log lines of
// the Elasticsearch service as a metric of the stack.
func esClusterRedMetric(ctx *pulumi.Context, naming config.Naming, search *Search, child pulumi.ResourceOption) (string, error) {
	metric := naming.Name("es-cluster-red")
	_, err := cloudwatch.NewLogMetricFilter(ctx, metric, &cloudwatch.LogMetricFilterArgs{
		LogGroupName: search.LogGroupName,
		Pattern:      pulumi.String(esClusterRedPattern),
		MetricTransformation: cloudwatch.LogMetricFilterMetricTransformationArgs{
			Namespace: pulumi.String(metricNamespace),
			Name:      pulumi.String(metric),
			Value:     pulumi.String("1"),
			Unit:      pulumi.String("Count"),
		},
	}, child)
	return metric, err
}

// searchAlarms watch the Elasticsearch service.
func searchAlarms(cluster *Cluster, search *Search, redMetric string) []alarm {
	return []alarm{
		{suffix: "es-not-running", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("The Elasticsearch service has run no task for %d minutes, longer than a deployment takes", esDeployGapMinutes),
			Namespace:        pulumi.String("ECS/ContainerInsights"),
			MetricName:       pulumi.String("RunningTaskCount"),
			Dimensions: pulumi.StringMap{
				"ClusterName": cluster.Name, "ServiceName": search.ServiceName,
			},
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("LessThanThreshold"),
			Threshold:          pulumi.Float64(1),
			// Every minute of the window without a running task, so the
			// stop-before-start gap of a deployment stays quiet.
			EvaluationPeriods: pulumi.Int(esDeployGapMinutes),
			DatapointsToAlarm: pulumi.Int(esDeployGapMinutes),
			// Container Insights stops reporting a service with no tasks.
			TreatMissingData: pulumi.String("breaching"),
		}},
		{suffix: "es-cluster-red", args: &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String("Elasticsearch reported its cluster health RED (an index lost a primary shard); " +
				"the node keeps running, searches of that index fail. No OK follows: check _cluster/health. " +
				"With ephemeral storage, stopping the task lets the app reload the index"),
			Namespace:          pulumi.String(metricNamespace),
			MetricName:         pulumi.String(redMetric),
			Statistic:          pulumi.String("Sum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			Threshold:          pulumi.Float64(1),
			EvaluationPeriods:  pulumi.Int(1),
			DatapointsToAlarm:  pulumi.Int(1),
			// The line is written once per change; no line, no change.
			TreatMissingData: pulumi.String("notBreaching"),
		}, eventOnly: true},
	}
}

// ecsEventRules send ECS events that need a human to the topic: a failed
// deployment of either service (ECS has rolled it back; `pulumi up` fails
// too), and an Elasticsearch task that stopped for any reason but a
// deployment scaling it down. It returns the rules, for the topic policy.
func ecsEventRules(ctx *pulumi.Context, naming config.Naming, cluster *Cluster, search *Search, web *Web, topic *sns.Topic, child pulumi.ResourceOption) ([]*cloudwatch.EventRule, error) {
	services := []pulumi.StringOutput{web.ServiceARN}
	if search.RunsService {
		services = append(services, search.ServiceARN)
	}
	patterns := map[string]pulumi.StringOutput{
		"deploy-failed": pulumi.All(toAny(services)...).ApplyT(func(arns []any) (string, error) {
			return eventPattern(map[string]any{
				"source":      []string{"aws.ecs"},
				"detail-type": []string{"ECS Deployment State Change"},
				"resources":   arns,
				"detail":      map[string]any{"eventName": []string{"SERVICE_DEPLOYMENT_FAILED"}},
			})
		}).(pulumi.StringOutput),
	}
	if search.RunsService {
		patterns["es-task-stopped"] = pulumi.All(cluster.ARN, search.ServiceName).ApplyT(func(v []any) (string, error) {
			return eventPattern(map[string]any{
				"source":      []string{"aws.ecs"},
				"detail-type": []string{"ECS Task State Change"},
				"detail": map[string]any{
					"clusterArn": []any{v[0]},
					"group":      []string{"service:" + v[1].(string)},
					"lastStatus": []string{"STOPPED"},
					// A deployment's own stop says "Scaling activity
					// initiated by (deployment …)"; anything else is news.
					"stoppedReason": []any{map[string]any{"anything-but": map[string]any{"prefix": "Scaling activity initiated by"}}},
				},
			})
		}).(pulumi.StringOutput)
	}

	var rules []*cloudwatch.EventRule
	for _, suffix := range []string{"deploy-failed", "es-task-stopped"} {
		pattern, ok := patterns[suffix]
		if !ok {
			continue
		}
		name := naming.Name(suffix)
		rule, err := cloudwatch.NewEventRule(ctx, name, &cloudwatch.EventRuleArgs{
			Name:         pulumi.String(name),
			Description:  pulumi.String(map[string]string{"deploy-failed": "ECS deployments of the stack that failed and were rolled back", "es-task-stopped": "Elasticsearch tasks that stopped outside a deployment"}[suffix]),
			EventPattern: pattern,
			Tags:         componentTags("alarms", name),
		}, child)
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name, &cloudwatch.EventTargetArgs{
			Rule: rule.Name,
			Arn:  topic.Arn,
		}, child); err != nil {
			return nil, err
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

// topicPolicy lets CloudWatch alarms of this account and the stack's own
// EventRules publish to the topic, and no one else.
func topicPolicy(ctx *pulumi.Context, naming config.Naming, acct account, topic *sns.Topic, rules []*cloudwatch.EventRule, child pulumi.ResourceOption) error {
	inputs := []any{topic.Arn}
	for _, r := range rules {
		inputs = append(inputs, r.Arn)
	}
	policy := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		topicARN := v[0].(string)
		var ruleARNs []string
		for _, r := range v[1:] {
			ruleARNs = append(ruleARNs, r.(string))
		}
		alarmsOfStack := "arn:" + acct.Partition + ":cloudwatch:" + acct.Region + ":" + acct.ID + ":alarm:" + naming.Name("*")
		return policyDocument{Statement: []policyStatement{
			{
				Sid: "CloudWatchAlarmsOfTheStack", Effect: "Allow",
				Principal: map[string]any{"Service": "cloudwatch.amazonaws.com"},
				Action:    []string{"sns:Publish"}, Resource: []string{topicARN},
				Condition: map[string]map[string]any{
					"ArnLike":      {"aws:SourceArn": alarmsOfStack},
					"StringEquals": {"aws:SourceAccount": acct.ID},
				},
			},
			{
				Sid: "EventRulesOfTheStack", Effect: "Allow",
				Principal: map[string]any{"Service": "events.amazonaws.com"},
				Action:    []string{"sns:Publish"}, Resource: []string{topicARN},
				Condition: map[string]map[string]any{"ArnEquals": {"aws:SourceArn": ruleARNs}},
			},
		}}.JSON()
	}).(pulumi.StringOutput)
	_, err := sns.NewTopicPolicy(ctx, naming.Name("alarms"), &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: policy}, child)
	return err
}

func eventPattern(p map[string]any) (string, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

func toAny(outputs []pulumi.StringOutput) []any {
	out := make([]any, len(outputs))
	for i, o := range outputs {
		out[i] = o
	}
	return out
}
