package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// Alarm thresholds. Evaluated every minute; an alarm fires only when the
// condition holds for several minutes, so one slow request pages nobody.
const (
	alarmPeriodSeconds    = 60
	max5xxPercent         = 5
	alarmEvaluationPeriod = 5
	alarmDatapoints       = 3
)

// Alarms watch what a user would notice: errors at the load balancer,
// targets failing their health check, and Elasticsearch not running. They
// notify an SNS topic, with an e-mail subscription when awsAlarmEmail is
// set (AWS sends a confirmation mail first).
type Alarms struct {
	pulumi.ResourceState

	TopicARN pulumi.StringOutput
}

func newAlarms(ctx *pulumi.Context, cfg config.Config, cluster *Cluster, search *Search, web *Web, opts ...pulumi.ResourceOption) (*Alarms, error) {
	a := &Alarms{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Alarms", cfg.Name("alarms"), a, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(a)

	topicName := cfg.Name("alarms")
	// No KMS key: CloudWatch cannot publish to a topic encrypted with the
	// AWS-managed SNS key, and alarm texts hold no secrets.
	topic, err := sns.NewTopic(ctx, topicName, &sns.TopicArgs{
		Tags: componentTags("alarms", topicName),
	}, child)
	if err != nil {
		return nil, err
	}
	if cfg.AWS.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, topicName+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(cfg.AWS.AlarmEmail),
		}, child); err != nil {
			return nil, err
		}
	}
	notify := pulumi.Array{topic.Arn}
	loadBalancer := pulumi.StringMap{"LoadBalancer": web.LoadBalancerARNSuffix}
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

	alarms := []struct {
		suffix string
		args   *cloudwatch.MetricAlarmArgs
	}{
		{"web-5xx-rate", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String("More than 5% of requests to the app answered with a 5xx (load balancer or tasks)"),
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
				albMetric("elb5xx", "HTTPCode_ELB_5XX_Count"),
				albMetric("target5xx", "HTTPCode_Target_5XX_Count"),
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
		{"web-unhealthy-targets", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String("Web tasks failing the load balancer's health check on " + livenessPath),
			Namespace:        pulumi.String("AWS/ApplicationELB"),
			MetricName:       pulumi.String("UnHealthyHostCount"),
			Dimensions: pulumi.StringMap{
				"LoadBalancer": web.LoadBalancerARNSuffix, "TargetGroup": web.TargetGroupARNSuffix,
			},
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			Threshold:          pulumi.Float64(1),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriod),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			TreatMissingData:   pulumi.String("notBreaching"),
		}},
	}
	if search.RunsService {
		alarms = append(alarms, struct {
			suffix string
			args   *cloudwatch.MetricAlarmArgs
		}{"es-not-running", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String("The Elasticsearch service runs fewer than one task"),
			Namespace:        pulumi.String("ECS/ContainerInsights"),
			MetricName:       pulumi.String("RunningTaskCount"),
			Dimensions: pulumi.StringMap{
				"ClusterName": cluster.Name, "ServiceName": search.ServiceName,
			},
			Statistic:          pulumi.String("Minimum"),
			Period:             pulumi.Int(alarmPeriodSeconds),
			ComparisonOperator: pulumi.String("LessThanThreshold"),
			Threshold:          pulumi.Float64(1),
			EvaluationPeriods:  pulumi.Int(alarmDatapoints),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			// Container Insights stops reporting a service with no tasks.
			TreatMissingData: pulumi.String("breaching"),
		}})
	}
	for _, alarm := range alarms {
		name := cfg.Name(alarm.suffix)
		alarm.args.Name = pulumi.String(name)
		alarm.args.AlarmActions = notify
		alarm.args.OkActions = notify
		alarm.args.Tags = componentTags("alarms", name)
		if _, err := cloudwatch.NewMetricAlarm(ctx, name, alarm.args, child); err != nil {
			return nil, err
		}
	}

	a.TopicARN = topic.Arn
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{"topicArn": a.TopicARN})
}
