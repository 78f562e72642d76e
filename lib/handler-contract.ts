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
  DRAIN_EVENTS: 'DRAIN_EVENTS',
  /** Set only with `DrainTimeoutBehavior.retain()`: seconds after its start a retained drain is overdue. */
  RETAINED_DRAIN_OVERDUE_SECONDS: 'RETAINED_DRAIN_OVERDUE_SECONDS',
  /**
   * The disruption budget (`maxConcurrentDrains`): `<n>` instances or `<n>%` of the group's InService instances. Set
   * only when the budget is on; unset means no budget.
   */
  MAX_CONCURRENT_DRAINS: 'MAX_CONCURRENT_DRAINS',
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
  /** Drain events that could not be published to EventBridge (the drain itself is not affected). */
  DRAIN_EVENTS_NOT_PUBLISHED = 'DrainEventsNotPublished',
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
  /** Emitted by each sweep with a disruption budget: the group's instances waiting for the budget (not DRAINING yet). */
  INSTANCES_QUEUED = 'InstancesQueued',
  /** Drains started over the disruption budget, because waiting longer would have run past Auto Scaling's limit. */
  DRAINS_OVER_BUDGET = 'DrainsOverBudget',
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

/**
 * The drain events the handler publishes to the account's default EventBridge bus, by their `detail-type`. Each is
 * documented, with its detail, in docs/events.md; the detail-types, the source and the detail schema are contract
 * (docs/compatibility.md). A later outcome becomes a new member here, published through the one publisher
 * (lambda/drain-events.ts) from where it happens, and matched by `onDrainEvent`.
 *
 * Exported from lib/index.ts (the one public member of this module): users filter `onDrainEvent` with it.
 */
export enum DrainEventType {
  /** A drain started: the container instance was set DRAINING (or found DRAINING and taken over). */
  STARTED = 'Drain Started',
  /** A drain completed: every task on the instance is STOPPED, and the lifecycle action was completed. */
  COMPLETED = 'Drain Completed',
  /** A drain reached `drainTimeout` with tasks still running: the lifecycle action was completed anyway. */
  TIMED_OUT = 'Drain Timed Out',
  /**
   * With `DrainTimeoutBehavior.retain()`: a drain reached `drainTimeout` and its lifecycle action was completed with
   * ABANDON into the group's retained state; its tasks keep running, and a Drain Completed event follows once every
   * task is STOPPED and the instance is let go.
   */
  RETAINED = 'Drain Retained',
  /**
   * With `maxConcurrentDrains`: the instance waits for the disruption budget (its container instance ACTIVE, its
   * lifecycle action kept alive); `Drain Started` follows when the budget admits it. Published when it is first queued
   * (once, unless two invocations queue it at the same moment); its `drainStartedAt` is when it was queued.
   */
  QUEUED = 'Drain Queued',
}

/** The `source` of every drain event. EventBridge reserves sources that start with `aws.` for AWS services. */
export const DRAIN_EVENT_SOURCE = 'ecs-draining-lifecycle-hook';

/**
 * The version of the drain events' detail schema (`detail.version`, docs/events.md). A field added is not a new
 * version; a field removed, renamed or changed in meaning is, and is announced as a breaking change.
 */
export const DRAIN_EVENT_SCHEMA_VERSION = '1';

/** At most this many blocking tasks are named in one drain event; `blockingTasksOmitted` counts the rest. */
export const MAX_BLOCKING_TASKS_IN_EVENT = 20;

/** At most this many blocking tasks are logged one by one at a heartbeat or a timeout; one more line counts the rest. */
export const MAX_BLOCKING_TASKS_LOGGED = 100;

/**
 * The messages of the log lines the construct's saved Logs Insights queries look for: the handler writes them, the
 * queries filter on them.
 */
export enum DrainLogMessage {
  /** One line per task that still keeps a waiting drain from completing, at a heartbeat and at the timeout. */
  BLOCKING_TASK = 'a task is still blocking the drain',
  /** More blocking tasks than MAX_BLOCKING_TASKS_LOGGED: how many were not logged one by one. */
  MORE_BLOCKING_TASKS = 'more tasks are blocking the drain than are logged one by one',
  /** A drain ran out of time. */
  DRAIN_TIMED_OUT = 'drain timed out with tasks still running; completed the lifecycle action',
  /** A drain completed. */
  DRAINED = 'drained: every task is STOPPED; completed the lifecycle action',
  /** A drain's lifecycle action was kept alive. */
  HEARTBEAT = 'recorded a lifecycle action heartbeat',
  /** A drain event could not be published. */
  EVENT_NOT_PUBLISHED = 'could not publish a drain event to EventBridge; the drain is not affected',
}

/**
 * The shared task-event path of a cluster (lib/cluster-task-events.ts, lambda/task-event-consumer.ts): one EventBridge
 * rule, one SQS queue and one consumer function per cluster and stack, shared by every DrainingLifecycleHook on groups
 * of that cluster.
 */
export const TaskEventEnvironment = {
  /** The consumer's groups: a JSON array, one array of {@link GROUP_ENVIRONMENT_KEYS} values per registered hook. */
  DRAIN_GROUPS: 'DRAIN_GROUPS',
} as const;

/**
 * One group of the consumer is the list of the values its own function's environment gives these variables, in this
 * order (null for one its function does not get): a group's drains are checked with exactly its own settings, and a
 * variable added to the group function's environment reaches the consumer too. Values only, no names: Lambda allows
 * 4 KB of environment in all.
 */
export const GROUP_ENVIRONMENT_KEYS: readonly string[] = Object.values(HandlerEnvironment)
  .filter((k) => k !== HandlerEnvironment.CLUSTER_NAME && k !== HandlerEnvironment.CLUSTER_ARN);

/** The most hooks one cluster's task-event path takes in one stack: their configuration must fit in 4 KB. */
export const MAX_GROUPS_PER_TASK_EVENT_PATH = 12;

/**
 * The consumer's batching: up to 100 task events per invocation (one DescribeContainerInstances covers 100 container
 * instances), gathered for up to this many seconds (the trade-off between cost per unrelated task stop and completion
 * latency: README "Scale"), at most {@link TASK_EVENT_MAX_CONCURRENCY} batches at once.
 */
export const TASK_EVENT_BATCH_SIZE = 100;
export const TASK_EVENT_BATCHING_WINDOW_SECONDS = 4;
export const TASK_EVENT_MAX_CONCURRENCY = 2;
/** The consumer's timeout; the queue's visibility timeout is six times it, as Lambda's developer guide recommends. */
export const TASK_EVENT_CONSUMER_TIMEOUT_SECONDS = 120;

/**
 * Each hook's lifecycle events reach its function through an SQS queue too, so that a thousand instances terminating
 * at once become a bounded number of batched invocations instead of a thousand concurrent ones: up to 10 per batch
 * (UpdateContainerInstancesState takes 10), gathered for up to 1 second, at most 2 batches at once.
 */
export const LIFECYCLE_BATCH_SIZE = 10;
export const LIFECYCLE_BATCHING_WINDOW_SECONDS = 1;
export const LIFECYCLE_MAX_CONCURRENCY = 2;

/** How many times a message is received before SQS moves it to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
