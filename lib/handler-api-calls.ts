/**
 * The single list of AWS API calls the drain handler makes.
 *
 * The handler's SDK adapters (lambda/aws-gateways.ts) refuse to send a command that is not listed here, the
 * construct grants exactly these actions (lib/drain-handler-policy.ts), and the IAM tests evaluate the same list.
 * The three can therefore not drift apart.
 *
 * This module is internal: it is not re-exported from lib/index.ts.
 */

/** What an IAM statement for a call is scoped to. */
export enum ApiCallScope {
  /** The cluster ARN. */
  CLUSTER = 'CLUSTER',
  /** Container instances of the cluster (ARN prefix plus the `ecs:cluster` condition). */
  CONTAINER_INSTANCE = 'CONTAINER_INSTANCE',
  /** Tasks of the cluster (ARN prefix plus the `ecs:cluster` condition). */
  TASK = 'TASK',
  /**
   * Any resource, with the `ecs:cluster` condition only: for actions whose documented resource forms disagree, the one
   * form real IAM allows under every reading (see docs/aws-behaviour.md, IAM).
   */
  IN_CLUSTER = 'IN_CLUSTER',
  /** The Auto Scaling group ARN. */
  AUTO_SCALING_GROUP = 'AUTO_SCALING_GROUP',
  /** Actions that support no resource-level permissions, so `*` is the only possible resource. */
  UNSCOPED = 'UNSCOPED',
  /** The account's default event bus in the stack's region. */
  DEFAULT_EVENT_BUS = 'DEFAULT_EVENT_BUS',
}

/** When the handler makes a call. */
export enum ApiCallUse {
  /** Needed by every configuration. */
  ALWAYS = 'ALWAYS',
  /** Only with `StandaloneTaskPolicy.STOP`. */
  STOP_STANDALONE_TASKS = 'STOP_STANDALONE_TASKS',
  /** Only with `TaskProtectionPolicy.WAIT`. */
  WAIT_FOR_TASK_PROTECTION = 'WAIT_FOR_TASK_PROTECTION',
  /** Only with `publishDrainEvents` (on by default). */
  PUBLISH_DRAIN_EVENTS = 'PUBLISH_DRAIN_EVENTS',
  /** Only with `DrainTimeoutBehavior.retain()`. */
  RETAIN_INSTANCES = 'RETAIN_INSTANCES',
}

export interface HandlerApiCall {
  /** IAM service prefix. */
  readonly service: 'ecs' | 'autoscaling' | 'events';
  /** API operation name, as in the IAM action and the SDK command (without the `Command` suffix). */
  readonly operation: string;
  readonly scope: ApiCallScope;
  readonly use: ApiCallUse;
  /** Why the handler needs it. Ends up as a comment in the docs and the IAM tests. */
  readonly why: string;
}

export const HANDLER_API_CALLS: readonly HandlerApiCall[] = [
  {
    service: 'ecs', operation: 'ListContainerInstances', scope: ApiCallScope.CLUSTER, use: ApiCallUse.ALWAYS,
    why: 'find the container instance of a terminating EC2 instance, and the DRAINING instances during a sweep',
  },
  {
    service: 'ecs', operation: 'DescribeContainerInstances', scope: ApiCallScope.CONTAINER_INSTANCE, use: ApiCallUse.ALWAYS,
    why: 'read status, task counts and the drain marker attribute',
  },
  {
    service: 'ecs', operation: 'UpdateContainerInstancesState', scope: ApiCallScope.CONTAINER_INSTANCE, use: ApiCallUse.ALWAYS,
    why: 'set DRAINING, and ACTIVE again when a drained instance returns from the warm pool',
  },
  {
    service: 'ecs', operation: 'PutAttributes', scope: ApiCallScope.CONTAINER_INSTANCE, use: ApiCallUse.ALWAYS,
    why: 'record the drain start and last heartbeat on the container instance (the drain state lives in AWS)',
  },
  {
    service: 'ecs', operation: 'DeleteAttributes', scope: ApiCallScope.CONTAINER_INSTANCE, use: ApiCallUse.ALWAYS,
    why: 'remove the drain marker when a drained instance returns to service from the warm pool',
  },
  {
    service: 'ecs', operation: 'ListTasks', scope: ApiCallScope.IN_CLUSTER, use: ApiCallUse.ALWAYS,
    why: 'list every task on the instance, desired RUNNING and desired STOPPED',
  },
  {
    service: 'ecs', operation: 'DescribeTasks', scope: ApiCallScope.TASK, use: ApiCallUse.ALWAYS,
    why: 'read lastStatus: an instance is drained only when every task on it is STOPPED',
  },
  {
    service: 'ecs', operation: 'StopTask', scope: ApiCallScope.TASK, use: ApiCallUse.STOP_STANDALONE_TASKS,
    why: 'stop standalone tasks after the grace period (DRAINING never stops them)',
  },
  {
    // Service Authorization Reference: resource type task (required), condition keys aws:ResourceTag/${TagKey} and
    // ecs:cluster, as for DescribeTasks (docs/aws-behaviour.md, "Task scale-in protection").
    service: 'ecs', operation: 'GetTaskProtection', scope: ApiCallScope.TASK, use: ApiCallUse.WAIT_FOR_TASK_PROTECTION,
    why: 'read whether the tasks still running on a terminating instance are protected from scale-in, before setting it DRAINING',
  },
  {
    service: 'autoscaling', operation: 'CompleteLifecycleAction', scope: ApiCallScope.AUTO_SCALING_GROUP, use: ApiCallUse.ALWAYS,
    why: 'let the instance terminate once it is drained, not registered, or out of time',
  },
  {
    service: 'autoscaling', operation: 'RecordLifecycleActionHeartbeat', scope: ApiCallScope.AUTO_SCALING_GROUP, use: ApiCallUse.ALWAYS,
    why: 'keep the lifecycle action alive while tasks are still stopping',
  },
  {
    service: 'autoscaling', operation: 'DescribeAutoScalingGroups', scope: ApiCallScope.UNSCOPED, use: ApiCallUse.ALWAYS,
    why: 'the sweep finds instances in Terminating:Wait; Spot warnings are matched to the group',
  },
  {
    service: 'autoscaling', operation: 'DescribeWarmPool', scope: ApiCallScope.UNSCOPED, use: ApiCallUse.ALWAYS,
    why: 'the sweep finds warm-pool instances in Warmed:Pending:Wait (scale-in into the pool) and Warmed:Terminating:Wait',
  },
  {
    service: 'autoscaling', operation: 'DescribeScalingActivities', scope: ApiCallScope.UNSCOPED, use: ApiCallUse.ALWAYS,
    why: 'when ECS cannot store the drain marker (10 custom attributes already), the drain start is the termination activity start',
  },
  {
    service: 'events', operation: 'PutEvents', scope: ApiCallScope.DEFAULT_EVENT_BUS, use: ApiCallUse.PUBLISH_DRAIN_EVENTS,
    why: 'publish drain events (started, completed, timed out) to the default event bus, for rules made by onDrainEvent and its kin',
  },
  {
    service: 'autoscaling', operation: 'TerminateInstanceInAutoScalingGroup', scope: ApiCallScope.AUTO_SCALING_GROUP,
    use: ApiCallUse.RETAIN_INSTANCES,
    why: 'terminate a retained instance once its drain has finished, without decrementing the desired capacity',
  },
];

/** The IAM action of a call, e.g. `ecs:ListTasks`. */
export function iamActionOf(call: HandlerApiCall): string {
  return `${call.service}:${call.operation}`;
}
