/**
 * Pure drain decisions: given what AWS reports, what comes next. No I/O, no clock: every input is passed in, so
 * this module is tested without mocks.
 */
import { HEARTBEAT_SAFETY_MARGIN_SECONDS } from '../lib/handler-contract';
import type { DrainConfig, StandalonePolicy } from './config';
import { type DrainMarker, DrainPhase, decodeMarker } from './drain-marker';

/** What ECS reports about a container instance. */
export interface ContainerInstanceState {
  readonly arn: string;
  readonly ec2InstanceId: string;
  readonly status: string;
  /**
   * Tasks "in the RUNNING status" (ECS API Reference, ContainerInstance). It drops long before a task has stopped: a
   * task DEACTIVATING or STOPPING is not running. A task PROVISIONING or ACTIVATING is in neither count.
   */
  readonly runningTasksCount: number;
  readonly pendingTasksCount: number;
  /** Value of the drain marker attribute, if present. */
  readonly markerValue?: string;
}

/** What ECS reports about a task. */
export interface TaskState {
  readonly arn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  /** `service:<name>` for service tasks, `family:<name>` for standalone tasks. */
  readonly group?: string;
  /** The tag it was started with; for a service task, the deployment ID (ECS API Reference, Task). */
  readonly startedBy?: string;
  readonly taskDefinitionArn?: string;
  /** Epoch seconds: when it entered PENDING, went RUNNING, and began STOPPING (ECS API Reference, Task). */
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly stoppingAt?: number;
}

export { HEARTBEAT_SAFETY_MARGIN_SECONDS };

/**
 * How long before the lifecycle action would expire a heartbeat becomes due: three sweep intervals plus the margin,
 * so two sweeps in a row may fail (throttled, timed out) and the third still keeps the action alive; but no more
 * than half the heartbeat timeout, so heartbeats do not come every sweep. Never less than one sweep interval plus
 * the margin: the next sweep after a heartbeat becomes due must still come before the action expires. (The
 * construct guarantees heartbeatTimeout >= sweepInterval + 2 × margin, so a heartbeat is never due right after one.)
 */
export function heartbeatLeadSeconds(config: Pick<DrainConfig, 'heartbeatTimeoutSeconds' | 'sweepIntervalSeconds'>): number {
  const oneSweep = config.sweepIntervalSeconds + HEARTBEAT_SAFETY_MARGIN_SECONDS;
  const threeSweeps = 3 * config.sweepIntervalSeconds + HEARTBEAT_SAFETY_MARGIN_SECONDS;
  return Math.max(oneSweep, Math.min(Math.floor(config.heartbeatTimeoutSeconds / 2), threeSweeps));
}

/** Container instance states in which DRAINING cannot be set or means nothing: complete at once. */
const NOT_DRAINABLE = new Set(['INACTIVE', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']);

export type InstancePlan =
  /** Nothing to drain: let the instance go now. */
  | { readonly action: 'complete'; readonly reason: string }
  /** ACTIVE: record the drain start, then set DRAINING. */
  | { readonly action: 'start-drain' }
  /** ACTIVE, held by this hook for protected tasks (TaskProtectionPolicy.WAIT): check their protection again. */
  | { readonly action: 'hold'; readonly marker: DrainMarker }
  /** DRAINING, but not by this hook (by hand, by a Spot warning of another tool, ...): record the drain start and wait. */
  | { readonly action: 'adopt-drain' }
  /** DRAINING by this hook: keep what was recorded and check the tasks. */
  | { readonly action: 'evaluate'; readonly marker: DrainMarker };

/** Reads our own drain marker from an instance; a marker of another hook, or a malformed one, is not ours. */
export function ownMarker(instance: ContainerInstanceState, owner: string): DrainMarker | undefined {
  const marker = decodeMarker(instance.markerValue);
  return marker && marker.owner === owner ? marker : undefined;
}

export function planInstance(instance: ContainerInstanceState | undefined, owner: string): InstancePlan {
  if (!instance) return { action: 'complete', reason: 'the instance is not registered in the cluster (or is INACTIVE)' };
  if (NOT_DRAINABLE.has(instance.status)) {
    return { action: 'complete', reason: `the container instance is ${instance.status}, which cannot run tasks to drain` };
  }
  if (instance.status === 'ACTIVE') {
    const marker = ownMarker(instance, owner);
    return marker?.phase === DrainPhase.PROTECTED ? { action: 'hold', marker } : { action: 'start-drain' };
  }
  if (instance.status === 'DRAINING') {
    const marker = ownMarker(instance, owner);
    // A QUEUED marker on a DRAINING instance: someone else set it DRAINING while it waited for the budget.
    return marker && marker.phase !== DrainPhase.QUEUED ? { action: 'evaluate', marker } : { action: 'adopt-drain' };
  }
  return { action: 'complete', reason: `the container instance has unknown status ${instance.status}` };
}

export function isServiceTask(task: TaskState): boolean {
  return task.group !== undefined && task.group.startsWith('service:');
}

/**
 * Task lastStatus values that mean the task has stopped: STOPPED, and DELETED, "a transition state when a task stops",
 * which DescribeTasks shows (Amazon ECS Developer Guide, "Amazon ECS task lifecycle").
 */
const STOPPED_STATUSES = new Set(['STOPPED', 'DELETED']);

export function hasStopped(task: Pick<TaskState, 'lastStatus'>): boolean {
  return STOPPED_STATUSES.has(task.lastStatus);
}

export interface TaskAssessment {
  /** Every task that counts has stopped (lastStatus STOPPED or DELETED). */
  readonly drained: boolean;
  /** Tasks that keep the instance from being drained. */
  readonly blocking: readonly TaskState[];
  /** Blocking tasks already told to stop but not STOPPED yet (DEACTIVATING, STOPPING, ...). */
  readonly stillStopping: readonly TaskState[];
  /** Standalone tasks that still want to run. DRAINING never stops them. */
  readonly standaloneRunning: readonly TaskState[];
}

/**
 * Decides whether an instance is drained. Only lastStatus STOPPED (or DELETED, after it) counts as stopped: a task
 * whose desired status is STOPPED may still be deregistering from its load balancer. With the IGNORE policy, standalone tasks do not count.
 * Daemon service tasks are service tasks: ECS stops them last, and the drain waits for them.
 */
export function assessTasks(tasks: readonly TaskState[], policy: StandalonePolicy): TaskAssessment {
  const notStopped = tasks.filter((t) => !hasStopped(t));
  const blocking = policy === 'IGNORE' ? notStopped.filter(isServiceTask) : notStopped;
  return {
    drained: blocking.length === 0,
    blocking,
    stillStopping: blocking.filter((t) => t.desiredStatus === 'STOPPED'),
    standaloneRunning: notStopped.filter((t) => !isServiceTask(t) && t.desiredStatus !== 'STOPPED'),
  };
}

/** Whether the task counts alone prove the instance is not drained, so no task needs to be listed. */
export function countsProveNotDrained(instance: ContainerInstanceState, policy: StandalonePolicy): boolean {
  // With IGNORE a running standalone task does not block; with STOP we must list tasks to find the ones to stop.
  return policy === 'WAIT' && instance.runningTasksCount + instance.pendingTasksCount > 0;
}

export function drainTimedOut(nowSeconds: number, marker: DrainMarker, config: DrainConfig): boolean {
  return nowSeconds - marker.drainStartedAt >= config.drainTimeoutSeconds;
}

/** A heartbeat is due once the lifecycle action is within {@link heartbeatLeadSeconds} of expiring. */
export function heartbeatDue(nowSeconds: number, marker: DrainMarker, config: DrainConfig): boolean {
  const expiresAt = marker.lastHeartbeatAt + config.heartbeatTimeoutSeconds;
  return nowSeconds >= expiresAt - heartbeatLeadSeconds(config);
}

export function standaloneGraceOver(nowSeconds: number, marker: DrainMarker, config: DrainConfig): boolean {
  return config.standaloneTaskPolicy === 'STOP' && nowSeconds - marker.drainStartedAt >= config.standaloneTaskGracePeriodSeconds;
}

/**
 * The sweep re-checks tasks on a back-off schedule: once the elapsed drain time has reached 1, 2, 4, 8, … sweep
 * intervals. A lost task event therefore delays completion by at most about the time already spent draining,
 * while a long drain costs only O(log(duration)) task listings instead of a few calls every minute.
 *
 * A check is due when a back-off point lies after the last check and at or before now. It depends on what happened
 * since the last check, not on when sweeps run: EventBridge runs a scheduled rule within its minute, not on its 0th
 * second, and a late or retried sweep runs later still (see docs/aws-behaviour.md), so a sweep may come at any time.
 */
export function backoffCheckDue(nowSeconds: number, marker: DrainMarker, sweepIntervalSeconds: number): boolean {
  const checkedElapsed = marker.lastCheckedAt - marker.drainStartedAt;
  let point = sweepIntervalSeconds;
  while (point <= checkedElapsed) point *= 2;
  return nowSeconds >= marker.drainStartedAt + point;
}

/** With STOP, the standalone grace period ended after the last check: its tasks have not been stopped yet. */
export function graceEndedSinceCheck(nowSeconds: number, marker: DrainMarker, config: DrainConfig): boolean {
  const graceEnd = marker.drainStartedAt + config.standaloneTaskGracePeriodSeconds;
  return config.standaloneTaskPolicy === 'STOP' && nowSeconds >= graceEnd && marker.lastCheckedAt < graceEnd;
}

/** What a sweep does for an instance this hook is draining. */
export type SweepAction =
  /** Check its tasks (and complete, time out or keep alive as needed). */
  | 'evaluate'
  /** Only keep the lifecycle action alive: nothing suggests the tasks changed. */
  | 'heartbeat'
  /** Leave it to the events. */
  | 'none';

/**
 * What a sweep does for an instance this hook is draining. Tasks are re-checked only when the drain timed out, when
 * the standalone grace period ended since the last check, or when a back-off point passed since the last check; a
 * due heartbeat alone costs one heartbeat, not a task listing, so a long drain stays cheap. Every decision is judged
 * by the clock against what the marker recorded, so a sweep that runs early, late or twice makes the right choice.
 */
export function sweepAction(nowSeconds: number, instance: ContainerInstanceState, marker: DrainMarker, config: DrainConfig): SweepAction {
  if (drainTimedOut(nowSeconds, marker, config)) return 'evaluate';
  if (graceEndedSinceCheck(nowSeconds, marker, config)) return 'evaluate';
  // Tasks still desired RUNNING: the task events will tell us when they stop.
  if (!countsProveNotDrained(instance, config.standaloneTaskPolicy)
    && backoffCheckDue(nowSeconds, marker, config.sweepIntervalSeconds)) return 'evaluate';
  return heartbeatDue(nowSeconds, marker, config) ? 'heartbeat' : 'none';
}

/**
 * Auto Scaling lifecycle states in which a termination lifecycle action of this hook can be pending:
 * `Terminating:Wait` (an in-service instance terminating) and `Warmed:Pending:Wait` (an in-service instance scaled in
 * into a warm pool whose instance reuse policy returns instances to it). EC2 Auto Scaling User Guide, "Use lifecycle
 * hooks with a warm pool": instances returned to the warm pool on scale in wait in Warmed:Pending:Wait. A new
 * instance launching into the warm pool waits there too, for launch hooks: the heartbeat with this hook's name tells
 * the two apart (Auto Scaling finds no action of this hook for it).
 */
export const DRAIN_WAIT_STATES: ReadonlySet<string> = new Set(['Terminating:Wait', 'Warmed:Pending:Wait']);

/** A warm-pool instance that terminates (`Warmed:Terminating:Wait`): it runs no tasks, so it completes at once. */
export const WARM_POOL_TERMINATING_STATE = 'Warmed:Terminating:Wait';

/** States of an instance in service, or on its way there: only these may be set ACTIVE again. */
export function isInServiceState(lifecycleState: string): boolean {
  return lifecycleState === 'InService' || lifecycleState.startsWith('Pending');
}
