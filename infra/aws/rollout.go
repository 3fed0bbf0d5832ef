package aws

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// How long `pulumi up` waits for a service's deployment is worked out from
// what a failing deployment takes, so that ECS has rolled it back before
// the wait ends and `up` reports the rollback (deploycheck.go), instead of
// the provider's "timeout while waiting for state to become 'tfSTABLE'"
// while ECS is still at work. The provider's own default is 20 minutes
// (terraform-provider-aws, internal/service/ecs/service.go); a failing
// Elasticsearch rollout takes longer.
//
// The circuit breaker fails a deployment after half its desired count of
// failed tasks, at least 3 (AWS, "Amazon ECS deployment circuit breaker").
// A failed task is started (scheduled, given its network interface, its
// image pulled), found unhealthy, and stopped. The rollback then starts the
// previous revision and waits for it to be healthy. A quarter is added
// for what no number here covers (ECS's own pauses between attempts).
const (
	circuitBreakerMinFailedTasks = 3
	providerServiceTimeout       = 20 * time.Minute

	// Elasticsearch's ~1 GB image, through NAT, and unpacked.
	esTaskStart = 3 * time.Minute
	// The web image is a few MB from the stack's own repository.
	webTaskStart = time.Minute
	// Fargate's default stop timeout, the web container's.
	fargateStopTimeout = 30 * time.Second
)

// taskLife is what bounds one task's part in a deployment.
type taskLife struct {
	start   time.Duration // until the container runs
	verdict time.Duration // from then until ECS may call it unhealthy
	stop    time.Duration // from SIGTERM until it is gone
}

// healthVerdict is the longest a container health check takes to fail:
// the start period, then every retry failing at its timeout.
func healthVerdict(h healthCheck) time.Duration {
	return seconds(h.StartPeriod) + time.Duration(h.Retries)*seconds(h.Interval+h.Timeout)
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// failedBatches is how many rounds of failing tasks the circuit breaker
// waits for when a deployment starts desired tasks at a time.
func failedBatches(desired int) int {
	threshold := max(circuitBreakerMinFailedTasks, (desired+1)/2)
	return (threshold + desired - 1) / desired
}

// rolloutTimeout is how long a deployment that fails in every task can
// take until the previous revision runs again, and never less than the
// provider's default.
func rolloutTimeout(task taskLife, batches int) time.Duration {
	failing := time.Duration(batches) * (task.start + task.verdict + task.stop)
	rollback := task.start + task.verdict
	worst := failing + rollback
	withMargin := worst + worst/4
	minutes := (withMargin + time.Minute - 1) / time.Minute
	return max(providerServiceTimeout, minutes*time.Minute)
}

// serviceTimeouts is the resource option that makes the provider wait
// that long for a service's create and update (a delete drains and is
// not judged by the circuit breaker).
func serviceTimeouts(rollout time.Duration) pulumi.ResourceOption {
	return pulumi.Timeouts(&pulumi.CustomTimeouts{Create: rollout.String(), Update: rollout.String()})
}
