/**
 * Pure drain decisions: given what AWS reports, what comes next. No I/O, no clock: every input is passed in, so
 * this module is tested without mocks.
 */
import type { DrainConfig, StandalonePolicy } from './config';
import { type DrainMarker, decodeMarker } from './drain-marker';

/** What ECS reports about a container instance. */
export interface ContainerInstanceState {
  readonly arn: string;
  readonly ec2InstanceId: string;
  readonly status: string;
  /** Tasks with desired status RUNNING. It drops as soon as a task is told to stop, long before it has stopped. */
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
}

/**
 * The lifecycle action must be kept alive this long before the next sweep could come, on top of the sweep interval:
 * it covers EventBridge schedule jitter and one handler run.
 */
export const HEARTBEAT_SAFETY_MARGIN_SECONDS = 60;

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
  if (instance.status === 'ACTIVE') return { action: 'start-drain' };
  if (instance.status === 'DRAINING') {
    const marker = ownMarker(instance, owner);
    return marker ? { action: 'evaluate', marker } : { action: 'adopt-drain' };
  }
  return { action: 'complete', reason: `the container instance has unknown status ${instance.status}` };
}

export function isServiceTask(task: TaskState): boolean {
  return task.group !== undefined && task.group.startsWith('service:');
}

export interface TaskAssessment {
  /** Every task that counts has lastStatus STOPPED. */
  readonly drained: boolean;
  /** Tasks that keep the instance from being drained. */
  readonly blocking: readonly TaskState[];
  /** Blocking tasks already told to stop but not STOPPED yet (DEACTIVATING, STOPPING, ...). */
  readonly stillStopping: readonly TaskState[];
  /** Standalone tasks that still want to run. DRAINING never stops them. */
  readonly standaloneRunning: readonly TaskState[];
}

/**
 * Decides whether an instance is drained. Only lastStatus STOPPED counts as stopped: a task whose desired status is
 * STOPPED may still be deregistering from its load balancer. With the IGNORE policy, standalone tasks do not count.
 * Daemon service tasks are service tasks: ECS stops them last, and the drain waits for them.
 */
export function assessTasks(tasks: readonly TaskState[], policy: StandalonePolicy): TaskAssessment {
  const notStopped = tasks.filter((t) => t.lastStatus !== 'STOPPED');
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
 * The sweep re-checks tasks on a back-off schedule: in the sweep whose elapsed drain time first reaches 1, 2, 4, 8, …
 * sweep intervals. A lost task event therefore delays completion by at most about the time already spent draining,
 * while a long drain costs only O(log(duration)) task listings instead of a few calls every minute.
 */
export function backoffCheckDue(elapsedSeconds: number, sweepIntervalSeconds: number): boolean {
  const n = Math.floor(elapsedSeconds / sweepIntervalSeconds);
  return n >= 1 && (n & (n - 1)) === 0;
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
 * the standalone grace period just ended, or on the back-off schedule; a due heartbeat alone costs one heartbeat,
 * not a task listing, so a long drain stays cheap.
 *
 * `tickSeconds` is the schedule tick the sweep was fired for. Ticks are exactly one interval apart, so each back-off
 * point and the end of the grace period fall in exactly one sweep, however late that sweep runs or however often it
 * is retried. Timeouts and heartbeats are judged by the clock (`nowSeconds`): they must never be late.
 */
export function sweepAction(
  nowSeconds: number, tickSeconds: number, instance: ContainerInstanceState, marker: DrainMarker, config: DrainConfig,
): SweepAction {
  if (drainTimedOut(nowSeconds, marker, config)) return 'evaluate';
  // The sweep of the tick after the standalone grace period ends stops the standalone tasks.
  const sinceGrace = tickSeconds - marker.drainStartedAt - config.standaloneTaskGracePeriodSeconds;
  if (config.standaloneTaskPolicy === 'STOP' && sinceGrace >= 0 && sinceGrace < config.sweepIntervalSeconds) return 'evaluate';
  // Tasks still desired RUNNING: the task events will tell us when they stop.
  if (!countsProveNotDrained(instance, config.standaloneTaskPolicy)
    && backoffCheckDue(tickSeconds - marker.drainStartedAt, config.sweepIntervalSeconds)) return 'evaluate';
  return heartbeatDue(nowSeconds, marker, config) ? 'heartbeat' : 'none';
}
