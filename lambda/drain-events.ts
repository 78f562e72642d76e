/**
 * Drain events: what the handler tells the world about a drain's outcome, as EventBridge events of its own on the
 * account's default bus (source `ecs-draining-lifecycle-hook`, one detail-type per {@link DrainEventType}, detail
 * schema version {@link DRAIN_EVENT_SCHEMA_VERSION}; docs/events.md), and the blocking-task lines of the logs, which
 * name the same tasks with the same fields.
 *
 * Publishing is best effort and never touches a drain: {@link EventBridgeDrainEvents.publish} never throws; a failure
 * is a WARN log line and the `DrainEventsNotPublished` metric. The drain core (drain-core.ts) publishes where each
 * outcome happens, so every path (event handlers, sweep) goes through it. A later outcome is a new DrainEventType
 * member and one more `publish` where it happens.
 */
import {
  DRAIN_EVENT_SCHEMA_VERSION, DRAIN_EVENT_SOURCE, DrainEventType, DrainLogMessage, MAX_BLOCKING_TASKS_IN_EVENT,
  MAX_BLOCKING_TASKS_LOGGED, MetricName,
} from '../lib/handler-contract';
import type { DrainConfig, LifecycleResult } from './config';
import type { ContainerInstanceState, TaskState } from './decisions';
import { type DrainMarker, DrainTrigger } from './drain-marker';
import type { EventBridgeGateway, EventEntry } from './ports';
import type { Logger, Metrics } from './telemetry';

export { DrainEventType };

/** Why a drain started, as the events name it (the drain marker's one-letter trigger, spelled out). */
export type DrainEventTrigger = 'LIFECYCLE_ACTION' | 'SPOT_INTERRUPTION' | 'UNKNOWN';

const TRIGGER_NAMES: Readonly<Record<DrainTrigger, DrainEventTrigger>> = {
  [DrainTrigger.LIFECYCLE_ACTION]: 'LIFECYCLE_ACTION',
  [DrainTrigger.SPOT_INTERRUPTION]: 'SPOT_INTERRUPTION',
  [DrainTrigger.UNKNOWN]: 'UNKNOWN',
};

/** The name events and logs give a drain trigger. */
export function triggerName(trigger: DrainTrigger): DrainEventTrigger {
  return TRIGGER_NAMES[trigger] ?? 'UNKNOWN';
}

/** Which task timestamp `since` is. */
export type SinceField = 'stoppingAt' | 'startedAt' | 'createdAt';

/** A task that keeps a drain from completing, as the events and the logs name it. */
export interface BlockingTask {
  readonly taskArn: string;
  /** The task's group: `service:<name>` or `family:<name>`. */
  readonly group?: string;
  /** The service, for a task of a service (its group is `service:<name>`). */
  readonly service?: string;
  /** The task definition family (from a `family:<name>` group, else from the task definition ARN). */
  readonly family?: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  /** The tag it was started with; for a service task, the deployment ID. */
  readonly startedBy?: string;
  /** Since when it is in its state, ISO 8601: when it began stopping, else started running, else was created. */
  readonly since?: string;
  /** Which of the task's timestamps `since` is. */
  readonly sinceField?: SinceField;
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** The family of a task definition ARN (`arn:aws:ecs:region:account:task-definition/<family>:<revision>`). */
const FAMILY_IN_ARN = /:task-definition\/([^:/]+):\d+$/;

/** Names a blocking task from what DescribeTasks said of it. */
export function describeBlockingTask(task: TaskState): BlockingTask {
  const group = task.group;
  const service = group?.startsWith('service:') ? group.slice('service:'.length) : undefined;
  const family = group?.startsWith('family:') ? group.slice('family:'.length) : FAMILY_IN_ARN.exec(task.taskDefinitionArn ?? '')?.[1];
  const since: Array<[SinceField, number | undefined]> = [['stoppingAt', task.stoppingAt], ['startedAt', task.startedAt], ['createdAt', task.createdAt]];
  const [sinceField, at] = since.find(([, t]) => t !== undefined) ?? [];
  return {
    taskArn: task.arn,
    ...(group !== undefined ? { group } : {}),
    ...(service !== undefined ? { service } : {}),
    ...(family !== undefined ? { family } : {}),
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    ...(task.startedBy !== undefined ? { startedBy: task.startedBy } : {}),
    ...(sinceField !== undefined && at !== undefined ? { since: iso(at), sinceField } : {}),
  };
}

/** The detail of every drain event, schema version 1 (docs/events.md). */
export interface DrainEventDetail {
  readonly version: string;
  readonly instanceId: string;
  readonly containerInstanceArn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  readonly trigger: DrainEventTrigger;
  /** When the drain started, ISO 8601. */
  readonly drainStartedAt: string;
  /** Seconds since the drain started. */
  readonly drainSeconds: number;
  readonly drainTimeoutSeconds: number;
  /** The result the lifecycle action was completed with (completed and timed-out drains). */
  readonly lifecycleActionResult?: LifecycleResult;
  /** How many tasks still keep the drain from completing. */
  readonly blockingTaskCount: number;
  /** The first of them, at most MAX_BLOCKING_TASKS_IN_EVENT (none when the tasks were not listed). */
  readonly blockingTasks: readonly BlockingTask[];
  /** Blocking tasks not in `blockingTasks`. */
  readonly blockingTasksOmitted: number;
}

export interface DrainEvent {
  readonly type: DrainEventType;
  readonly detail: DrainEventDetail;
  /** When it happened, epoch ms. */
  readonly time: number;
}

/** What is known of a drain when an outcome happens. */
export interface DrainFacts {
  readonly instance: Pick<ContainerInstanceState, 'arn' | 'ec2InstanceId'>;
  readonly marker: DrainMarker;
  readonly nowSeconds: number;
  /** How many tasks still block the drain (from the task list, or from the container instance's counts). */
  readonly blockingTaskCount: number;
  /** The blocking tasks, when they were listed; undefined when only their count is known. */
  readonly blockingTasks?: readonly TaskState[];
  readonly lifecycleActionResult?: LifecycleResult;
}

/**
 * "The maximum size for a PutEvents event entry is 256 KB", and a request's entries together must be "less than
 * 256KB" (EventBridge API Reference, PutEvents). The handler sends one entry per request.
 */
export const MAX_ENTRY_BYTES = 256 * 1024 - 1;

/**
 * An entry's size as EventBridge counts it: Time 14 bytes, then the UTF-8 bytes of Source, DetailType, Detail and each
 * of Resources (EventBridge User Guide, "Calculating PutEvents event entry size").
 */
export function entrySize(entry: EventEntry): number {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  return 14 + bytes(entry.source) + bytes(entry.detailType) + bytes(entry.detail) + entry.resources.reduce((n, r) => n + bytes(r), 0);
}

/** The PutEvents entry of a drain event. */
export function entryOf(event: DrainEvent): EventEntry {
  return {
    source: DRAIN_EVENT_SOURCE,
    detailType: event.type,
    detail: JSON.stringify(event.detail),
    resources: [event.detail.containerInstanceArn],
    time: event.time,
  };
}

/**
 * A drain event of this hook, its blocking tasks bounded: at most MAX_BLOCKING_TASKS_IN_EVENT, and fewer if the
 * entry would otherwise not fit in MAX_ENTRY_BYTES (task fields come from AWS and are not bounded here).
 */
export function drainEvent(type: DrainEventType, facts: DrainFacts, config: DrainConfig): DrainEvent {
  const { instance, marker, nowSeconds } = facts;
  const named = (facts.blockingTasks ?? []).slice(0, MAX_BLOCKING_TASKS_IN_EVENT).map(describeBlockingTask);
  const withTasks = (blockingTasks: readonly BlockingTask[]): DrainEvent => ({
    type,
    time: nowSeconds * 1000,
    detail: {
      version: DRAIN_EVENT_SCHEMA_VERSION,
      instanceId: instance.ec2InstanceId,
      containerInstanceArn: instance.arn,
      clusterName: config.clusterName,
      clusterArn: config.clusterArn,
      autoScalingGroupName: config.autoScalingGroupName,
      lifecycleHookName: config.lifecycleHookName,
      trigger: triggerName(marker.trigger),
      drainStartedAt: iso(marker.drainStartedAt),
      drainSeconds: Math.max(0, nowSeconds - marker.drainStartedAt),
      drainTimeoutSeconds: config.drainTimeoutSeconds,
      ...(facts.lifecycleActionResult !== undefined ? { lifecycleActionResult: facts.lifecycleActionResult } : {}),
      blockingTaskCount: facts.blockingTaskCount,
      blockingTasks,
      blockingTasksOmitted: Math.max(0, facts.blockingTaskCount - blockingTasks.length),
    },
  });
  let tasks = named;
  let event = withTasks(tasks);
  while (tasks.length > 0 && entrySize(entryOf(event)) > MAX_ENTRY_BYTES) {
    tasks = tasks.slice(0, Math.floor(tasks.length / 2));
    event = withTasks(tasks);
  }
  return event;
}

/**
 * Logs each task still blocking a drain, one line per task (at most MAX_BLOCKING_TASKS_LOGGED, then one line with
 * how many more), with the same fields as the events' `blockingTasks`. `at` says when: at a heartbeat, or at the timeout.
 */
export function logBlockingTasks(log: Logger, tasks: readonly TaskState[], at: 'heartbeat' | 'timeout'): void {
  for (const task of tasks.slice(0, MAX_BLOCKING_TASKS_LOGGED)) log.info(DrainLogMessage.BLOCKING_TASK, { at, ...describeBlockingTask(task) });
  if (tasks.length > MAX_BLOCKING_TASKS_LOGGED) {
    log.info(DrainLogMessage.MORE_BLOCKING_TASKS, { at, blockingTaskCount: tasks.length, notLogged: tasks.length - MAX_BLOCKING_TASKS_LOGGED });
  }
}

/** Where the drain core sends its events. */
export interface DrainEventPublisher {
  /** Publishes one event. Never throws, and changes nothing about the drain: a failure is logged and counted. */
  publish(event: DrainEvent): Promise<void>;
}

/** `publishDrainEvents: false`: no event leaves the handler. */
export const NO_DRAIN_EVENTS: DrainEventPublisher = {
  publish: async () => undefined,
};

/**
 * Publishes drain events through PutEvents, one entry per request. Once a request fails (after the SDK's own
 * retries: throttled, no route to EventBridge, access denied), it sends nothing more in this invocation, so a broken
 * EventBridge costs an invocation one failed request, not one per outcome. Every event not published is a WARN log
 * line and a `DrainEventsNotPublished` data point. Make one per invocation.
 */
export class EventBridgeDrainEvents implements DrainEventPublisher {
  private failed?: string;

  constructor(
    private readonly gateway: EventBridgeGateway,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async publish(event: DrainEvent): Promise<void> {
    if (this.failed !== undefined) {
      this.notPublished(event, { reason: `an earlier PutEvents of this invocation failed (${this.failed}): not tried again` });
      return;
    }
    try {
      const [result] = await this.gateway.putEvents([entryOf(event)]);
      if (result && 'errorCode' in result) this.notPublished(event, { errorCode: result.errorCode, errorMessage: result.errorMessage });
    } catch (error) {
      this.failed = (error as Error)?.name ?? 'Error';
      this.notPublished(event, { error });
    }
  }

  private notPublished(event: DrainEvent, fields: Record<string, unknown>): void {
    this.metrics.count(MetricName.DRAIN_EVENTS_NOT_PUBLISHED);
    this.log.warn(DrainLogMessage.EVENT_NOT_PUBLISHED, {
      detailType: event.type, instanceId: event.detail.instanceId, containerInstanceArn: event.detail.containerInstanceArn, ...fields,
    });
  }
}
