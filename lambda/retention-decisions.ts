/**
 * Pure decisions for drains that go on in the group's retained state (`DrainTimeoutBehavior.retain()`): which Auto
 * Scaling states are retained states, when a retained drain is checked, when it is overdue, and how a drained
 * retained instance is let go. No I/O, no clock: tested without mocks.
 *
 * AWS: an instance whose termination lifecycle action is abandoned, in a group whose instance lifecycle policy has
 * the retention trigger `TerminateHookAbandon: retain`, moves to `Terminating:Retained` (`Warmed:Pending:Retained`
 * when it was scaling in into the warm pool, `Warmed:Terminating:Retained` when it was terminating from the warm
 * pool); it does not count toward the desired capacity, and "remain[s] until you call
 * TerminateInstanceInAutoScalingGroup" (EC2 Auto Scaling User Guide, "Manage retained instances",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/manage-retained-instances.html; API Reference,
 * RetentionTriggers, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RetentionTriggers.html).
 */
import type { DrainConfig, RetentionConfig } from './config';
import { type ContainerInstanceState, DRAIN_WAIT_STATES, backoffCheckDue, countsProveNotDrained, graceEndedSinceCheck } from './decisions';
import type { DrainMarker } from './drain-marker';

/** A retained instance of the group (not of its warm pool): the one retained state AWS documents a way out of. */
export const TERMINATING_RETAINED_STATE = 'Terminating:Retained';

/**
 * Retained states of the warm pool. TerminateInstanceInAutoScalingGroup "cannot be called on instances in a warm
 * pool" (API Reference, TerminateInstanceInAutoScalingGroup), and AWS documents no other call that lets them go: a
 * person must.
 */
export const WARM_POOL_RETAINED_STATES: ReadonlySet<string> = new Set(['Warmed:Pending:Retained', 'Warmed:Terminating:Retained']);

export function isRetainedState(lifecycleState: string): boolean {
  return lifecycleState === TERMINATING_RETAINED_STATE || WARM_POOL_RETAINED_STATES.has(lifecycleState);
}

/**
 * A retained drain's tasks are listed at least this often by the sweep, even while ECS still counts tasks running
 * (the task events are then the way its end is seen): the back-off alone would space checks of a drain that lasts
 * days a day apart, and a retained instance costs money for as long as a lost task event keeps it.
 */
export const RETAINED_CHECK_INTERVAL_SECONDS = 15 * 60;

/** How long apart the sweep checks a retained drain at most: 15 minutes, or one sweep interval if that is longer. */
export function retainedCheckIntervalSeconds(config: Pick<DrainConfig, 'sweepIntervalSeconds'>): number {
  return Math.max(RETAINED_CHECK_INTERVAL_SECONDS, config.sweepIntervalSeconds);
}

/**
 * Whether the sweep checks a retained drain's tasks now: the standalone grace period ended since the last check, a
 * back-off point passed (when ECS counts no task running), or the last check is {@link retainedCheckIntervalSeconds}
 * old. Judged against what the marker recorded, so a sweep that runs early, late or twice decides the same.
 */
export function retainedCheckDue(nowSeconds: number, instance: ContainerInstanceState, marker: DrainMarker, config: DrainConfig): boolean {
  if (graceEndedSinceCheck(nowSeconds, marker, config)) return true;
  if (nowSeconds - marker.lastCheckedAt >= retainedCheckIntervalSeconds(config)) return true;
  return !countsProveNotDrained(instance, config.standaloneTaskPolicy) && backoffCheckDue(nowSeconds, marker, config.sweepIntervalSeconds);
}

/** A retained drain older than `overdueAfter` (from its start) needs a person: it is reported at every check. */
export function retainedDrainOverdue(nowSeconds: number, marker: DrainMarker, retention: RetentionConfig): boolean {
  return nowSeconds - marker.drainStartedAt >= retention.overdueAfterSeconds;
}

/** How a drained instance whose drain went on in the retained state is let go, given its Auto Scaling state. */
export type ReleaseAction =
  /** `Terminating:Retained`: TerminateInstanceInAutoScalingGroup, without decrementing the desired capacity. */
  | 'terminate'
  /**
   * Waiting on a termination lifecycle action again (TerminateInstanceInAutoScalingGroup started a new termination
   * whose hooks run, or a new termination began): complete it with CONTINUE.
   */
  | 'complete'
  /** A warm-pool retained state: no documented call lets it go; report it. */
  | 'release-by-hand'
  /** Anything else (terminating, terminated, gone from the group): nothing left to do. */
  | 'none';

export function releaseAction(lifecycleState: string | undefined): ReleaseAction {
  if (lifecycleState === TERMINATING_RETAINED_STATE) return 'terminate';
  if (lifecycleState !== undefined && DRAIN_WAIT_STATES.has(lifecycleState)) return 'complete';
  if (lifecycleState !== undefined && WARM_POOL_RETAINED_STATES.has(lifecycleState)) return 'release-by-hand';
  return 'none';
}
