/**
 * What the construct and the drain handler must agree on: the handler's environment variables, the metrics it emits,
 * and the timing limits both sides check. The construct (lib/) and the handler (lambda/) both import this module, so
 * the two cannot drift apart. (The AWS calls the handler makes are in handler-api-calls.ts.)
 *
 * Internal: not exported from lib/index.ts.
 */

/** The environment variables the construct sets and the handler reads. */
export const HandlerEnvironment = {
  CLUSTER_NAME: 'CLUSTER_NAME',
  CLUSTER_ARN: 'CLUSTER_ARN',
  AUTO_SCALING_GROUP_NAME: 'AUTO_SCALING_GROUP_NAME',
  LIFECYCLE_HOOK_NAME: 'LIFECYCLE_HOOK_NAME',
  DRAIN_TIMEOUT_SECONDS: 'DRAIN_TIMEOUT_SECONDS',
  HEARTBEAT_TIMEOUT_SECONDS: 'HEARTBEAT_TIMEOUT_SECONDS',
  SWEEP_INTERVAL_SECONDS: 'SWEEP_INTERVAL_SECONDS',
  DRAIN_TIMEOUT_RESULT: 'DRAIN_TIMEOUT_RESULT',
  STANDALONE_TASK_POLICY: 'STANDALONE_TASK_POLICY',
  STANDALONE_TASK_GRACE_PERIOD_SECONDS: 'STANDALONE_TASK_GRACE_PERIOD_SECONDS',
  TASK_PROTECTION_POLICY: 'TASK_PROTECTION_POLICY',
  SPOT_INTERRUPTION_DRAINING: 'SPOT_INTERRUPTION_DRAINING',
  WARM_POOL_REACTIVATION: 'WARM_POOL_REACTIVATION',
  METRICS_NAMESPACE: 'METRICS_NAMESPACE',
  /** Set only with `DrainTimeoutBehavior.retain()`: seconds after its start a retained drain is overdue. */
  RETAINED_DRAIN_OVERDUE_SECONDS: 'RETAINED_DRAIN_OVERDUE_SECONDS',
} as const;

/**
 * The values of `DRAIN_TIMEOUT_RESULT`: the lifecycle action result sent at `drainTimeout`, or `RETAIN` for
 * `DrainTimeoutBehavior.retain()` (ABANDON into the group's retained state, then a drain that goes on).
 */
export const DRAIN_TIMEOUT_RESULTS = ['CONTINUE', 'ABANDON', 'RETAIN'] as const;

/** The metric names the handler emits; the construct's metric methods use the same names. */
export enum MetricName {
  DRAINS_STARTED = 'DrainsStarted',
  DRAINS_COMPLETED = 'DrainsCompleted',
  DRAIN_TIMEOUTS = 'DrainTimeouts',
  DRAIN_DURATION = 'DrainDuration',
  INSTANCES_NOT_REGISTERED = 'InstancesNotRegistered',
  PREMATURE_COMPLETION_GUARDS = 'PrematureCompletionGuards',
  STANDALONE_TASKS_STOPPED = 'StandaloneTasksStopped',
  WARM_POOL_REACTIVATIONS = 'WarmPoolReactivations',
  SPOT_INTERRUPTION_DRAINS = 'SpotInterruptionDrains',
  HANDLER_ERRORS = 'HandlerErrors',
  /** A drain whose marker ECS refused (10 custom attributes already): counted at each check of such a drain. */
  DRAINS_WITHOUT_MARKER = 'DrainsWithoutMarker',
  /** The cluster does not exist (ClusterNotFoundException): lifecycle actions completed without a drain. */
  CLUSTER_NOT_FOUND = 'ClusterNotFound',
  /** Emitted by each sweep: the group's instances waiting to terminate whose container instance is DRAINING. */
  INSTANCES_DRAINING = 'InstancesDraining',
  /** Emitted by each sweep: seconds since the oldest of those drains started (0 when none). */
  OLDEST_DRAIN_AGE = 'OldestDrainAge',
  /**
   * With TaskProtectionPolicy.WAIT: checks that found a protected task on a terminating instance and so left it
   * ACTIVE (at the start of its drain and at each re-check, like DrainsWithoutMarker), so it also shows how long such
   * waits last.
   */
  DRAINS_HELD_BY_PROTECTION = 'DrainsHeldByProtection',
  /**
   * With `DrainTimeoutBehavior.retain()`: drains that reached drainTimeout and were completed with ABANDON into the
   * group's retained state, their tasks still running.
   */
  DRAINS_RETAINED = 'DrainsRetained',
  /** With `DrainTimeoutBehavior.retain()`, emitted by each sweep: the group's retained instances this hook drains. */
  INSTANCES_RETAINED = 'InstancesRetained',
  /** With `DrainTimeoutBehavior.retain()`, emitted by each sweep: seconds since the oldest of those drains started. */
  OLDEST_RETAINED_DRAIN_AGE = 'OldestRetainedDrainAge',
  /**
   * With `DrainTimeoutBehavior.retain()`, emitted by each sweep: retained instances of the group that need a person:
   * drains older than `overdueAfter`, instances retained in the warm pool (Auto Scaling documents no call that
   * releases them), and retained instances this hook does not drain.
   */
  RETAINED_DRAINS_OVERDUE = 'RetainedDrainsOverdue',
}

/** The unit of each metric: every metric is a count, except the durations. */
export function metricUnit(name: MetricName): 'Count' | 'Seconds' {
  return name === MetricName.DRAIN_DURATION || name === MetricName.OLDEST_DRAIN_AGE || name === MetricName.OLDEST_RETAINED_DRAIN_AGE
    ? 'Seconds' : 'Count';
}

/** The one dimension of every metric. */
export const METRIC_DIMENSION = 'AutoScalingGroupName';

/** Auto Scaling's heartbeat timeout range, in seconds (EC2 Auto Scaling User Guide, "Add lifecycle hooks"). */
export const MIN_HEARTBEAT_TIMEOUT_SECONDS = 30;
export const MAX_HEARTBEAT_TIMEOUT_SECONDS = 7200;

/**
 * The longest Auto Scaling keeps a lifecycle action, heartbeats or not: 48 hours or 100 × the heartbeat timeout,
 * whichever is smaller (EC2 Auto Scaling User Guide, "Amazon EC2 Auto Scaling lifecycle hooks", considerations).
 */
export const MAX_LIFECYCLE_ACTION_SECONDS = 48 * 3600;
export const MAX_HEARTBEATS = 100;

/** The shortest sweep interval: EventBridge schedules have a precision of one minute. */
export const MIN_SWEEP_INTERVAL_SECONDS = 60;

/**
 * The handler keeps a lifecycle action alive this long before the next sweep could come, on top of the sweep
 * interval: it covers EventBridge schedule jitter and one handler run.
 */
export const HEARTBEAT_SAFETY_MARGIN_SECONDS = 60;

/**
 * What heartbeatTimeout needs on top of sweepInterval so that a heartbeat is always sent in time: the safety margin
 * both before the heartbeat becomes due and before the action expires.
 */
export const MIN_HEARTBEAT_ABOVE_SWEEP_SECONDS = 2 * HEARTBEAT_SAFETY_MARGIN_SECONDS;

/** What a drain needs after drainTimeout, on top of 2 × sweepInterval, to complete the action. */
export const COMPLETION_MARGIN_SECONDS = 120;
