/**
 * Drains that outlive drainTimeout in the group's retained state (`DrainTimeoutBehavior.retain()`): at drainTimeout
 * the lifecycle action is completed with ABANDON, which, with the group's retention trigger, moves the instance to
 * `Terminating:Retained` with its tasks still running; the drain goes on (task events and the sweep keep checking it),
 * and once every task on it is STOPPED the instance is terminated through Auto Scaling, without changing the group's
 * desired capacity. The drain marker's phase RETAINED says the drain goes on outside a lifecycle action.
 *
 * AWS sources: docs/aws-behaviour.md, "Instance retention"; the pure decisions are in retention-decisions.ts.
 */
import type { RetentionConfig } from './config';
import { type ContainerInstanceState, ownMarker } from './decisions';
import type { Drain, DrainerDeps, InstanceReport } from './drain-core';
import { DrainPhase, DrainTrigger, decodeMarker, encodeMarker, newMarker } from './drain-marker';
import type { GroupInstance } from './ports';
import {
  WARM_POOL_RETAINED_STATES, isRetainedState, releaseAction, retainedCheckDue, retainedDrainOverdue,
} from './retention-decisions';
import { type Logger, MetricName } from './telemetry';

/** What the retention workflow needs of the drain core. */
export interface RetentionCore {
  readonly owner: string;
  nowSeconds(): number;
  logFor(instanceId: string, extra?: Record<string, unknown>): Logger;
  evaluate(drain: Drain): Promise<InstanceReport>;
}

/** Runs each item on its own (the sweep's BoundedRunner): a failure is the item's alone. */
export type RunEach = <T>(
  items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<readonly InstanceReport[]>,
) => Promise<void>;

export class RetainedDrains {
  constructor(private readonly deps: DrainerDeps, private readonly retention: RetentionConfig) {}

  /**
   * drainTimeout reached with tasks still running: record the phase RETAINED, then complete the lifecycle action with
   * ABANDON, so the group retains the instance and its tasks keep running. The marker goes first: an invocation that
   * fails between the two leaves a marker the next check acts on again. A group without the retention trigger
   * terminates the instance on ABANDON: its policy is read first (DescribeAutoScalingGroups), and a missing trigger is
   * an ERROR and a DrainTimeout.
   */
  async retain(core: RetentionCore, drain: Drain, tasksNotStopped: number): Promise<InstanceReport> {
    const { autoScaling, ecs, metrics } = this.deps;
    const { instance, marker } = drain;
    const instanceId = instance.ec2InstanceId;
    const log = core.logFor(instanceId, { containerInstanceArn: instance.arn });
    const now = core.nowSeconds();
    const group = await autoScaling.describeGroup();
    // The phase goes first in either case: if the group does retain the instance although its answer showed no
    // policy (an SDK in the Lambda runtime that predates InstanceLifecyclePolicy reads none), the drain goes on.
    if (drain.recorded) {
      await ecs.putMarker(instance.arn, encodeMarker({ ...marker, phase: DrainPhase.RETAINED, lastCheckedAt: now }));
    }
    if (!group.retainsOnAbandon) {
      const result = await autoScaling.completeLifecycleAction(instanceId, 'ABANDON');
      if (result === 'gone') return { instanceId, outcome: 'action-gone' };
      metrics.count(MetricName.DRAIN_TIMEOUTS);
      log.error('drain timed out, and the group\'s DescribeAutoScalingGroups answer shows no instance lifecycle policy that retains '
        + 'instances on TerminateHookAbandon: ABANDON terminates the instance with its tasks still running. Set the group\'s '
        + 'instanceLifecyclePolicy (retentionTriggers.terminateHookAbandon: RETAIN)', { drainSeconds: now - marker.drainStartedAt, tasksNotStopped });
      return { instanceId, outcome: 'timed-out' };
    }
    const result = await autoScaling.completeLifecycleAction(instanceId, 'ABANDON');
    if (result === 'gone') return { instanceId, outcome: 'action-gone' };
    metrics.count(MetricName.DRAINS_RETAINED);
    log.warn('drainTimeout reached with tasks still running: completed the lifecycle action with ABANDON, so the group retains '
      + 'the instance (Terminating:Retained); the drain goes on, and the instance is terminated once every task is STOPPED', {
      drainSeconds: now - marker.drainStartedAt, tasksNotStopped,
    });
    return { instanceId, outcome: 'retained' };
  }

  /** A retained drain whose tasks have not all stopped: no lifecycle action to keep alive; an overdue one is an ERROR. */
  keepWaiting(core: RetentionCore, drain: Drain, tasksNotStopped: number): InstanceReport {
    const instanceId = drain.instance.ec2InstanceId;
    const now = core.nowSeconds();
    if (drain.recorded && retainedDrainOverdue(now, drain.marker, this.retention)) {
      core.logFor(instanceId, { containerInstanceArn: drain.instance.arn }).error(
        'a retained instance is still draining past overdueAfter: it stays retained (and billed) until its tasks stop. Stop them '
        + '(aws ecs stop-task), and the instance is terminated at the next check; or terminate it yourself', {
          drainSeconds: now - drain.marker.drainStartedAt, overdueAfterSeconds: this.retention.overdueAfterSeconds, tasksNotStopped,
        });
    }
    return { instanceId, outcome: 'waiting' };
  }

  /**
   * Every task on a drain in the phase RETAINED has stopped: let the instance go as its Auto Scaling state allows. A
   * retained instance is terminated with TerminateInstanceInAutoScalingGroup without decrementing the desired
   * capacity (the group replaced it when it was retained); if that termination runs the group's termination hooks
   * again, this hook's new lifecycle action finds the drain done and completes it with CONTINUE.
   */
  async releaseDrained(core: RetentionCore, drain: Drain): Promise<InstanceReport> {
    const { autoScaling, metrics } = this.deps;
    const { instance, marker } = drain;
    const instanceId = instance.ec2InstanceId;
    const log = core.logFor(instanceId, { containerInstanceArn: instance.arn });
    const now = core.nowSeconds();
    const lifecycleState = await this.lifecycleStateOf(instanceId);
    switch (releaseAction(lifecycleState)) {
      case 'terminate':
        await autoScaling.terminateRetainedInstance(instanceId);
        metrics.count(MetricName.DRAINS_COMPLETED);
        metrics.seconds(MetricName.DRAIN_DURATION, now - marker.drainStartedAt);
        log.info('drained in the retained state: every task is STOPPED; asked Auto Scaling to terminate the instance, without '
          + 'decrementing the desired capacity', { drainSeconds: now - marker.drainStartedAt });
        return { instanceId, outcome: 'released' };
      case 'complete': {
        const result = await autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
        if (result === 'gone') return { instanceId, outcome: 'action-gone' };
        log.info('drained: every task is STOPPED; completed the termination lifecycle action of the retained instance', {
          drainSeconds: now - marker.drainStartedAt,
        });
        return { instanceId, outcome: 'completed' };
      }
      case 'release-by-hand':
        log.error('drained, but the instance is retained in the warm pool, and Auto Scaling documents no call that lets such an '
          + 'instance go (TerminateInstanceInAutoScalingGroup cannot be called on instances in a warm pool): release it by hand', {
          lifecycleState,
        });
        return { instanceId, outcome: 'waiting' };
      case 'none':
        log.info('drained; the instance is not retained any more, nothing to do', { lifecycleState: lifecycleState ?? 'not in the group' });
        return { instanceId, outcome: 'action-gone' };
    }
  }

  /** The instance's Auto Scaling state: in the group, else in its warm pool (Warmed:*:Retained), else undefined. */
  private async lifecycleStateOf(instanceId: string): Promise<string | undefined> {
    const { autoScaling } = this.deps;
    const group = await autoScaling.describeGroup();
    const inGroup = group.instances.find((i) => i.instanceId === instanceId)?.lifecycleState;
    if (inGroup !== undefined || !group.hasWarmPool) return inGroup;
    return (await autoScaling.describeWarmPoolInstances()).find((i) => i.instanceId === instanceId)?.lifecycleState;
  }

  /**
   * The sweep's part: finds the group's retained instances (DescribeAutoScalingGroups and DescribeWarmPool list them in
   * their retained states) whose container instance is DRAINING by this hook, or DRAINING without any drain marker
   * (ECS refused it), reports them as gauges, and checks each one that is due. A retained instance whose drain marker
   * is still in the phase DRAINING was retained without this hook abandoning it (its lifecycle action expired with the
   * default result ABANDON, or another hook abandoned it): its marker is moved to the phase RETAINED, and its drain goes
   * on. Retained instances with another hook's marker, or not DRAINING, are not this hook's: they are reported (an
   * ERROR, and the RetainedDrainsOverdue gauge), never terminated.
   */
  async sweep(
    core: RetentionCore, members: readonly GroupInstance[], draining: ReadonlyMap<string, ContainerInstanceState>, run: RunEach,
  ): Promise<void> {
    const { config, ecs } = this.deps;
    const now = core.nowSeconds();
    const ours: Array<{ readonly drain: Drain; readonly lifecycleState: string; readonly adopted: boolean }> = [];
    const others: GroupInstance[] = [];
    for (const member of members) {
      if (!isRetainedState(member.lifecycleState)) continue;
      const instance = draining.get(member.instanceId);
      const marker = instance ? ownMarker(instance, core.owner) : undefined;
      if (!instance || (!marker && decodeMarker(instance.markerValue) !== undefined)) {
        others.push(member);
        continue;
      }
      if (marker) {
        ours.push({ drain: { instance, marker: { ...marker, phase: DrainPhase.RETAINED }, recorded: true }, lifecycleState: member.lifecycleState,
          adopted: marker.phase !== DrainPhase.RETAINED });
      } else {
        // No marker at all: ECS refused it (10 custom attributes). Checked at every sweep; its age is unknown.
        const unrecorded = newMarker(core.owner, now, DrainTrigger.UNKNOWN, DrainPhase.RETAINED);
        ours.push({ drain: { instance, marker: unrecorded, recorded: false }, lifecycleState: member.lifecycleState, adopted: false });
      }
    }
    this.report(now, ours.map((o) => ({ drain: o.drain, lifecycleState: o.lifecycleState })), others);
    if (others.length > 0) {
      this.deps.log.error('retained instances of the group that this hook does not drain (another termination hook abandoned them, '
        + 'or their lifecycle action expired with the default result ABANDON before a drain started, or they run nothing to drain): '
        + 'they stay retained, and billed, until someone terminates them', { instances: others });
    }

    await run(ours.filter((o) => o.adopted), (o) => [o.drain.instance.ec2InstanceId], async ({ drain }) => {
      await ecs.putMarker(drain.instance.arn, encodeMarker(drain.marker));
      core.logFor(drain.instance.ec2InstanceId, { containerInstanceArn: drain.instance.arn }).warn('the group retained this instance '
        + 'without this hook abandoning its lifecycle action (it expired with the default result ABANDON, or another termination hook '
        + 'abandoned it): its drain goes on, and the instance is terminated once every task is STOPPED');
      return [];
    });
    const due = ours.filter((o) => !o.drain.recorded || retainedCheckDue(now, o.drain.instance, o.drain.marker, config));
    await run(due, (o) => [o.drain.instance.ec2InstanceId], async ({ drain }) => [await this.check(core, drain, now)]);
  }

  /** A sweep's check of a retained drain; its time is recorded in the marker while the drain goes on. */
  private async check(core: RetentionCore, drain: Drain, now: number): Promise<InstanceReport> {
    const checked: Drain = { ...drain, marker: { ...drain.marker, lastCheckedAt: now } };
    const report = await core.evaluate(checked);
    if (report.outcome === 'waiting' && drain.recorded) await this.deps.ecs.putMarker(drain.instance.arn, encodeMarker(checked.marker));
    return report;
  }

  /**
   * The retained instances as this sweep found them, as three gauges: how many drains go on in the retained state,
   * how old the oldest of them is (by its marker), and how many retained instances need a person: drains older than
   * overdueAfter, instances retained in the warm pool (no documented call releases them), and the group's retained
   * instances this hook does not drain (`others`: this hook never terminates them). Sent at every sweep that could
   * read ECS, zeros included, so an alarm sees silence as a fault.
   */
  private report(now: number, found: ReadonlyArray<{ readonly drain: Drain; readonly lifecycleState: string }>,
    others: readonly GroupInstance[]): void {
    const { metrics } = this.deps;
    const recorded = found.filter((f) => f.drain.recorded);
    const starts = recorded.map((f) => f.drain.marker.drainStartedAt);
    const overdue = found.filter((f) => WARM_POOL_RETAINED_STATES.has(f.lifecycleState)
      || (f.drain.recorded && retainedDrainOverdue(now, f.drain.marker, this.retention)));
    metrics.count(MetricName.INSTANCES_RETAINED, found.length);
    metrics.seconds(MetricName.OLDEST_RETAINED_DRAIN_AGE, starts.length === 0 ? 0 : Math.max(0, now - Math.min(...starts)));
    metrics.count(MetricName.RETAINED_DRAINS_OVERDUE, overdue.length + others.length);
  }
}
