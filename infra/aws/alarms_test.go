package aws_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func (p *prod) alarm(t *testing.T, suffix string) map[string]any {
	t.Helper()
	return p.Must(t, "aws:cloudwatch/metricAlarm:MetricAlarm", name+suffix).Inputs
}

// With no healthy target the load balancer answers 503 itself: RequestCount
// (the 5xx rate's denominator) has no data and UnHealthyHostCount is 0.
// HealthyHostCount below the minimum catches it. The count is reported
// only once targets are registered: the minutes before the first web task
// registers are no outage (the alarm stays in its initial INSUFFICIENT_DATA
// and notifies nobody), but a target group that falls silent later is, and
// notifies.
func TestTotalWebOutageRaisesTheHealthyHostAlarm(t *testing.T) {
	p := deployProd(t, nil)
	a := p.alarm(t, "web-no-healthy-targets")
	if str(a, "metricName") != "HealthyHostCount" || str(a, "namespace") != "AWS/ApplicationELB" || str(a, "statistic") != "Minimum" {
		t.Errorf("alarm watches %s %s (%s), want AWS/ApplicationELB HealthyHostCount Minimum", str(a, "namespace"), str(a, "metricName"), str(a, "statistic"))
	}
	if str(a, "comparisonOperator") != "LessThanThreshold" || in(a, "threshold") != float64(p.cfg.AWS.WebMinTasks) {
		t.Errorf("fires %s %v, want LessThanThreshold awsWebMinTasks (%d)", str(a, "comparisonOperator"), in(a, "threshold"), p.cfg.AWS.WebMinTasks)
	}
	if str(a, "treatMissingData") != "missing" {
		t.Errorf("missing data %q, want missing: no data before the first task registers must not page", str(a, "treatMissingData"))
	}
	topic := computed(p.Must(t, "aws:sns/topic:Topic", name+"alarms"), "arn")
	for _, actions := range []string{"alarmActions", "insufficientDataActions"} {
		if got := list(a, actions); len(got) != 1 || got[0] != topic {
			t.Errorf("%s %v, want the alarm topic %s: silence after data is an outage too", actions, got, topic)
		}
	}
	tg := computed(p.Must(t, "aws:lb/targetGroup:TargetGroup", name+"web"), "arnSuffix")
	if str(a, "dimensions", "TargetGroup") != tg || str(a, "dimensions", "LoadBalancer") == "" {
		t.Errorf("dimensions %v, want the web target group %s and its load balancer", in(a, "dimensions"), tg)
	}
}

// The 503s the load balancer generates itself have their own alarm, not a
// rate whose denominator only counts requests that reached a task.
func TestLoadBalancerGenerated5xxRaiseTheirOwnAlarm(t *testing.T) {
	p := deployProd(t, nil)
	a := p.alarm(t, "web-elb-5xx")
	if str(a, "metricName") != "HTTPCode_ELB_5XX_Count" || str(a, "statistic") != "Sum" || len(list(a, "metricQueries")) != 0 {
		t.Errorf("alarm %v, want the plain Sum of HTTPCode_ELB_5XX_Count", a)
	}
	if str(a, "comparisonOperator") != "GreaterThanOrEqualToThreshold" || num(a, "threshold") < 1 || num(a, "threshold") > 10 {
		t.Errorf("fires %s %v; want a handful of load-balancer 5xx a minute", str(a, "comparisonOperator"), in(a, "threshold"))
	}
	if str(a, "treatMissingData") != "notBreaching" {
		t.Errorf("missing data %q: the count is only reported when there was a 5xx", str(a, "treatMissingData"))
	}
	if str(a, "dimensions", "LoadBalancer") != computed(p.Must(t, "aws:lb/loadBalancer:LoadBalancer", name+"web"), "arnSuffix") {
		t.Errorf("dimensions %v, want the web load balancer", in(a, "dimensions"))
	}
}

// A deployment stops Elasticsearch before it starts the new task (min 0 %):
// a few minutes with no running task are normal. The alarm waits longer
// than that, and fires when the service stays down.
func TestElasticsearchNotRunningAlarmOutlastsADeployment(t *testing.T) {
	p := deployProd(t, nil)
	a := p.alarm(t, "es-not-running")
	window := num(a, "evaluationPeriods") * num(a, "period")
	// Stop timeout (120 s) + image pull and JVM start: well under 10 min.
	if window < 600 {
		t.Errorf("alarm fires after %d s without a running task; a deployment's stop-before-start gap can take minutes", window)
	}
	if num(a, "datapointsToAlarm") != num(a, "evaluationPeriods") {
		t.Errorf("%d of %d minutes suffice; every minute of the window must be without a task", num(a, "datapointsToAlarm"), num(a, "evaluationPeriods"))
	}
	if str(a, "metricName") != "RunningTaskCount" || str(a, "comparisonOperator") != "LessThanThreshold" || num(a, "threshold") != 1 || str(a, "treatMissingData") != "breaching" {
		t.Errorf("alarm %v, want RunningTaskCount < 1, missing data breaching (Container Insights is silent about a service with no task)", a)
	}
	if str(a, "dimensions", "ServiceName") != name+"es" || str(a, "dimensions", "ClusterName") != name+"cluster" {
		t.Errorf("dimensions %v", in(a, "dimensions"))
	}
}

// A sample of what Elasticsearch 8 logs (AllocationService) when an index
// loses its primary: the alarm's log filter must match it and not the way
// back to yellow.
const (
	esLogTurnsRed    = `{"@timestamp":"2026-11-30T10:00:00.000Z", "log.level": "INFO", "message":"Cluster health status changed from [YELLOW] to [RED] (reason: [shards failed [[sfdata-20261130t100000z][0]]]).", "ecs.version": "1.2.0","service.name":"ES_ECS","event.dataset":"elasticsearch.server","log.logger":"org.elasticsearch.cluster.routing.allocation.AllocationService"}`
	esLogTurnsYellow = `{"@timestamp":"2026-11-30T10:05:00.000Z", "log.level": "INFO", "message":"Cluster health status changed from [RED] to [YELLOW] (reason: [shards started [[sfdata-20261130t100000z][0]]]).", "ecs.version": "1.2.0"}`
)

// matchesFilter applies a CloudWatch Logs filter pattern made of quoted
// terms: every term must occur in the line.
func matchesFilter(t *testing.T, pattern, line string) bool {
	t.Helper()
	terms := regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(pattern, -1)
	if len(terms) == 0 || strings.TrimSpace(regexp.MustCompile(`"[^"]*"`).ReplaceAllString(pattern, "")) != "" {
		t.Fatalf("pattern %q is not a list of quoted terms", pattern)
	}
	for _, term := range terms {
		if !strings.Contains(line, term[1]) {
			return false
		}
	}
	return true
}

// A red index is not a dead node: the container's health check asks only
// whether HTTP answers, and cluster health RED goes to an alarm instead of
// ECS's replace-the-task loop.
func TestRedClusterRaisesAnAlarmNotARestart(t *testing.T) {
	p := deployProd(t, nil)
	check := strings.Join(func() []string {
		var s []string
		for _, part := range list(p.container(t, "es", "es"), "healthCheck", "command") {
			s = append(s, part.(string))
		}
		return s
	}(), " ")
	if strings.Contains(check, "_cluster/health") || strings.Contains(check, "wait_for_status") {
		t.Errorf("ES health check %q asks for cluster health; a red index would make ECS replace the node forever", check)
	}
	filter := p.Must(t, "aws:cloudwatch/logMetricFilter:LogMetricFilter", name+"es-cluster-red")
	if str(filter.Inputs, "logGroupName") != "/ecs/"+name+"es" {
		t.Errorf("filter reads %q, want the Elasticsearch log group", str(filter.Inputs, "logGroupName"))
	}
	pattern := str(filter.Inputs, "pattern")
	if !matchesFilter(t, pattern, esLogTurnsRed) || matchesFilter(t, pattern, esLogTurnsYellow) {
		t.Errorf("pattern %q: want it to match the change to RED and not the way back", pattern)
	}
	a := p.alarm(t, "es-cluster-red")
	metric := in(filter.Inputs, "metricTransformation")
	if str(a, "metricName") != str(metric, "name") || str(a, "namespace") != str(metric, "namespace") {
		t.Errorf("alarm on %s/%s, filter counts %s/%s", str(a, "namespace"), str(a, "metricName"), str(metric, "namespace"), str(metric, "name"))
	}
	if str(a, "comparisonOperator") != "GreaterThanOrEqualToThreshold" || num(a, "threshold") != 1 || str(a, "treatMissingData") != "notBreaching" {
		t.Errorf("alarm %v, want ≥ 1 change to RED, missing data not breaching", a)
	}
	// It goes back to OK a minute later by itself; that is no news.
	if len(list(a, "okActions")) != 0 || len(list(a, "alarmActions")) != 1 {
		t.Errorf("RED alarm actions %v / OK actions %v, want the topic on alarm only", in(a, "alarmActions"), in(a, "okActions"))
	}
}

// Every alarm of the stack, with its metric, threshold and missing-data
// policy, so the table in the README can be checked against it.
func TestEveryAlarmNamesItsIntent(t *testing.T) {
	p := deployProd(t, nil)
	var rows []string
	for _, a := range p.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if str(a.Inputs, "alarmDescription") == "" {
			t.Errorf("alarm %s has no description", a.Name)
		}
		metric := str(a.Inputs, "metricName")
		if metric == "" {
			metric = "expression"
		}
		rows = append(rows, fmt.Sprintf("%s: %s %s %v over %dx%ds (%d to alarm), missing=%s", strings.TrimPrefix(a.Name, name), metric,
			str(a.Inputs, "comparisonOperator"), in(a.Inputs, "threshold"), num(a.Inputs, "evaluationPeriods"), num(a.Inputs, "period"), num(a.Inputs, "datapointsToAlarm"), str(a.Inputs, "treatMissingData")))
	}
	slices.Sort(rows)
	t.Logf("alarms:\n%s", strings.Join(rows, "\n"))
	if len(rows) != 6 {
		t.Errorf("%d alarms, want 6", len(rows))
	}
}

func eventPattern(t *testing.T, p *prod, suffix string) map[string]any {
	t.Helper()
	rule := p.Must(t, "aws:cloudwatch/eventRule:EventRule", name+suffix)
	var pattern map[string]any
	if err := json.Unmarshal([]byte(str(rule.Inputs, "eventPattern")), &pattern); err != nil {
		t.Fatalf("rule %s: event pattern is not JSON: %v", rule.Name, err)
	}
	target := p.Must(t, "aws:cloudwatch/eventTarget:EventTarget", name+suffix)
	if str(target.Inputs, "arn") != computed(p.Must(t, "aws:sns/topic:Topic", name+"alarms"), "arn") || str(target.Inputs, "rule") != name+suffix {
		t.Errorf("rule %s sends to %v, want the alarm topic", rule.Name, target.Inputs)
	}
	return pattern
}

// Events a human must see reach the alarm topic: a failed (rolled back)
// deployment of either service, and an Elasticsearch task that stopped for
// any reason but a deployment.
func TestECSDeploymentFailuresAndElasticsearchStopsReachTheAlarmTopic(t *testing.T) {
	p := deployProd(t, nil)
	deploy := eventPattern(t, p, "deploy-failed")
	var services []any
	for _, svc := range p.OfType("aws:ecs/service:Service") {
		services = append(services, svc.ID)
	}
	got := list(deploy, "resources")
	byText := func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(got, byText)
	slices.SortFunc(services, byText)
	if !slices.Equal(got, services) || len(got) != 2 {
		t.Errorf("deployment rule watches %v, want both services %v", got, services)
	}
	if fmt.Sprint(in(deploy, "detail-type")) != "[ECS Deployment State Change]" || fmt.Sprint(in(deploy, "detail", "eventName")) != "[SERVICE_DEPLOYMENT_FAILED]" {
		t.Errorf("deployment rule pattern %v", deploy)
	}

	stops := eventPattern(t, p, "es-task-stopped")
	detail := in(stops, "detail")
	if fmt.Sprint(in(stops, "detail-type")) != "[ECS Task State Change]" || fmt.Sprint(in(detail, "group")) != "[service:"+name+"es]" ||
		fmt.Sprint(in(detail, "lastStatus")) != "[STOPPED]" || str(detail, "clusterArn", 0) != computed(p.Must(t, "aws:ecs/cluster:Cluster", name+"cluster"), "arn") {
		t.Errorf("task stop rule pattern %v, want stopped tasks of the ES service in the stack's cluster", stops)
	}
	// A deployment's own stop is not news; ECS words it so.
	if str(detail, "stoppedReason", 0, "anything-but", "prefix") != "Scaling activity initiated by" {
		t.Errorf("task stop rule does not leave out deployments' own stops: %v", in(detail, "stoppedReason"))
	}

	external := deployProd(t, externalSearch)
	if r := external.Find("aws:cloudwatch/eventRule:EventRule", name+"es-task-stopped"); r != nil {
		t.Errorf("external search watches Elasticsearch tasks that do not exist")
	}
	if got := list(eventPattern(t, external, "deploy-failed"), "resources"); len(got) != 1 {
		t.Errorf("external search: deployment rule watches %v, want the web service only", got)
	}
}

// The topic's policy lets in CloudWatch alarms of this stack and the
// stack's own event rules, each only to publish, and nobody else.
func TestAlarmTopicAcceptsOnlyTheStacksAlarmsAndRules(t *testing.T) {
	p := deployProd(t, nil)
	topic := computed(p.Must(t, "aws:sns/topic:Topic", name+"alarms"), "arn")
	pol := p.Must(t, "aws:sns/topicPolicy:TopicPolicy", name+"alarms")
	if str(pol.Inputs, "arn") != topic {
		t.Fatalf("policy on %q, want the alarm topic", str(pol.Inputs, "arn"))
	}
	var rules []string
	for _, r := range p.OfType("aws:cloudwatch/eventRule:EventRule") {
		rules = append(rules, computed(r, "arn"))
	}
	principals := map[string]bool{}
	for _, s := range policy(t, str(pol.Inputs, "policy")).Statement {
		service := fmt.Sprint(in(s.Principal, "Service"))
		principals[service] = true
		if s.Effect != "Allow" || !slices.Equal(s.Action, []string{"sns:Publish"}) || !slices.Equal(s.Resource, []string{topic}) {
			t.Errorf("statement %q: %s %v on %v, want Allow sns:Publish on the topic only", s.Sid, s.Effect, s.Action, s.Resource)
		}
		switch service {
		case "cloudwatch.amazonaws.com":
			if fmt.Sprint(s.Condition["ArnLike"]["aws:SourceArn"]) != "arn:aws:cloudwatch:"+testRegion+":"+testAccount+":alarm:"+name+"*" ||
				fmt.Sprint(s.Condition["StringEquals"]["aws:SourceAccount"]) != testAccount {
				t.Errorf("CloudWatch may publish under %v, want only this stack's alarms in this account", s.Condition)
			}
		case "events.amazonaws.com":
			var got []string
			for _, a := range s.Condition["ArnEquals"]["aws:SourceArn"].([]any) {
				got = append(got, a.(string))
			}
			slices.Sort(got)
			slices.Sort(rules)
			if !slices.Equal(got, rules) {
				t.Errorf("EventBridge may publish for rules %v, want exactly the stack's %v", got, rules)
			}
		default:
			t.Errorf("statement %q lets %v publish", s.Sid, s.Principal)
		}
	}
	if len(principals) != 2 {
		t.Errorf("principals %v, want CloudWatch and EventBridge", principals)
	}
}
