/**
 * The safety sweep, run on a schedule: finds every instance of the group in which a termination action of this hook
 * can be pending (Terminating:Wait, and Warmed:Pending:Wait for a scale-in into the warm pool) and makes sure it is
 * kept alive, draining (a lost lifecycle event), timed out, or completed (a lost task event). It completes warm-pool
 * instances that terminate (nothing runs on them), and sets ACTIVE again drained instances that came back into
 * service from the warm pool when that event was lost.
 */
import type { BudgetRead, DrainBudgetGate } from './budget';
import {
  type ContainerInstanceState,
  DRAIN_WAIT_STATES,
  WARM_POOL_TERMINATING_STATE,
  heartbeatDue,
  isInServiceState,
  ownMarker,
  planInstance,
  sweepAction,
} from './decisions';
import type { Drain, DrainCore, DrainerDeps, InstanceOutcome, InstanceReport } from './drain-core';
import { DrainPhase, DrainTrigger, encodeMarker } from './drain-marker';
import { ClusterNotFoundError, type GroupInstance, UPDATE_STATE_BATCH, chunk } from './ports';
import { isRetainedState } from './retention-decisions';
import { MetricName } from './telemetry';
import { BoundedRunner } from './work-scope';

/** How many instances one sweep works on at once: enough for hundreds of instances, gentle on ECS throttling. */
export const SWEEP_CONCURRENCY = 8;
/** A sweep stops taking new instances when less than this is left of the invocation; the next sweep goes on. */
export const SWEEP_RESERVE_MS = 60_000;
/**
 * A sweep stops taking new instances this long before the next sweep is due, so that sweeps that run long (ECS
 * throttling) do not pile up and multiply the load: whatever the cluster's size, at most two take new work at once
 * (EventBridge fires one tick per minute, at any second of it), and a third may still be finishing its calls.
 */
export const SWEEP_OVERLAP_MARGIN_MS = 10_000;
/**
 * The sweep sets ACTIVE again a drained instance that Auto Scaling shows in service only when its drain marker is at
 * least this old: a drain that began after the group was read (a new scale-in) is never undone.
 */
export const RECONCILE_MIN_AGE_SECONDS = 120;

export class Sweep {
  constructor(private readonly core: DrainCore, private readonly deps: DrainerDeps, private readonly budget?: DrainBudgetGate) {}

  /**
   * One sweep. Heartbeats go first: they are the work with a deadline. Each instance (each batch of 10 for drains to
   * start) is handled on its own: a failure is logged and counted, and does not keep the sweep from the other
   * instances; the next sweep tries again. A sweep takes no new instance once the next one is nearly due, so sweeps
   * that run long do not pile up. `remainingMs` tells how long the invocation may still run.
   */
  async run(remainingMs: () => number): Promise<InstanceReport[]> {
    const { autoScaling, ecs, log, metrics, clock, config } = this.deps;
    const reports: InstanceReport[] = [];
    let failures = 0;
    const nextSweepAt = clock.now() + config.sweepIntervalSeconds * 1000 - SWEEP_OVERLAP_MARGIN_MS;
    const runner = new BoundedRunner({
      concurrency: SWEEP_CONCURRENCY,
      remainingMs: () => Math.min(remainingMs(), nextSweepAt - clock.now() + SWEEP_RESERVE_MS),
      reserveMs: SWEEP_RESERVE_MS,
      onFailure: (instanceIds, error) => {
        failures += 1;
        metrics.count(MetricName.HANDLER_ERRORS);
        log.error('sweep could not handle these instances; the next sweep tries again', { instanceIds, error });
      },
      onOutOfTime: (left) => log.warn('sweep ran out of time; the next sweep continues', { left }),
    });
    const run = async <T>(items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<readonly InstanceReport[]>) => {
      reports.push(...await runner.run(items, ids, work));
    };

    const groupReadAt = this.core.nowSeconds();
    const group = await autoScaling.describeGroup();
    // The warm pool's instances, for a group that has one: a scale-in into the pool waits there, in
    // Warmed:Pending:Wait. Most groups have none, and the sweep runs every interval.
    let warmPool: GroupInstance[] = [];
    if (group.hasWarmPool) {
      const listed = await runner.isolate([], () => autoScaling.describeWarmPoolInstances());
      warmPool = listed ?? [];
    }
    const members = [...group.instances, ...warmPool];
    const waiting = [...new Set(members.filter((i) => DRAIN_WAIT_STATES.has(i.lifecycleState)).map((i) => i.instanceId))];
    const warmTerminating = members.filter((i) => i.lifecycleState === WARM_POOL_TERMINATING_STATE);
    const reconciling = group.hasWarmPool && config.warmPoolReactivation;
    const retained = this.core.retention ? members.filter((i) => isRetainedState(i.lifecycleState)) : [];

    let draining: Map<string, ContainerInstanceState> | undefined;
    if (waiting.length > 0 || reconciling || retained.length > 0) {
      try {
        draining = new Map((await ecs.listDrainingContainerInstances()).map((ci) => [ci.ec2InstanceId, ci]));
      } catch (error) {
        if (error instanceof ClusterNotFoundError) {
          // Nothing can be drained in a cluster that does not exist: let every waiting instance go.
          await run(waiting, (id) => [id], async (id) => [await this.core.completeWithoutCluster(id, error)]);
        } else if (!ecs.isTransient(error)) {
          // A permanent error (access denied, a bad parameter) fails the sweep: it needs fixing, and it must not
          // hold every terminating instance past drainTimeout.
          throw error;
        } else {
          // ECS cannot be read for now (throttled or failing past every retry): keep every waiting action alive
          // through Auto Scaling alone. Nothing is recorded, so the next sweep that can read ECS sends its own heartbeats.
          log.error('sweep could not list DRAINING container instances; sending a heartbeat for every instance waiting to terminate', {
            terminatingWait: waiting.length, error,
          });
          metrics.count(MetricName.HANDLER_ERRORS);
          await run(waiting, (id) => [id], async (id) => [{ instanceId: id, outcome: await autoScaling.recordHeartbeat(id) === 'gone' ? 'action-gone' : 'waiting' }]);
        }
      }
    }
    if (waiting.length === 0) this.reportDrains([]);
    else if (draining) this.reportDrains(waiting.map((id) => draining.get(id)).filter((ci): ci is ContainerInstanceState => ci !== undefined));
    let queued = 0;
    if (draining && waiting.length > 0) {
      // With a disruption budget: the group as the budget sees it (undefined when it could not be read).
      const budgetRead = this.budget && await runner.isolate([], () => this.budget!.view(group, warmPool, new Set(draining.keys())));
      queued = await this.sweepWaiting(waiting, draining, runner, run, budgetRead);
    }
    if (this.budget) {
      // Drains this sweep ended free their places at once; the gauge counts the instances still waiting.
      await run([reports.slice()], () => [], (ended) => this.budget!.afterEnded(ended, runner));
      metrics.count(MetricName.INSTANCES_QUEUED, queued);
    }

    // Drains that go on in the group's retained state (DrainTimeoutBehavior.retain()).
    if (this.core.retention && (draining || retained.length === 0)) {
      await this.core.retention.sweep(this.core, retained, draining ?? new Map(), run);
    }

    // Instances leaving from the warm pool have nothing to drain.
    await run(warmTerminating, (w) => [w.instanceId],
      async (w) => [await this.core.completeUnmanaged(w.instanceId, 'the instance terminates from the warm pool')]);

    if (draining && reconciling) {
      // Only instances Auto Scaling shows in service: a retained instance (Terminating:Retained, Warmed:*:Retained) is
      // not, so its drain goes on, DRAINING.
      const inService = new Set(group.instances.filter((i) => isInServiceState(i.lifecycleState)).map((i) => i.instanceId));
      const returned = [...draining.values()].filter((ci) => inService.has(ci.ec2InstanceId));
      await run(returned, (ci) => [ci.ec2InstanceId], async (ci) => {
        const report = await this.reconcileReturned(ci, groupReadAt);
        return report ? [report] : [];
      });
    }

    if (waiting.length > 0 || warmTerminating.length > 0 || failures > 0) {
      log.info('sweep finished', { terminatingWait: waiting.length, checked: reports.length, failures });
    }
    return reports;
  }

  /**
   * The group's drains as this sweep found them, as two gauges: how many instances waiting to terminate are DRAINING,
   * and how old the oldest of those drains is (by its marker; drains without one count, but have no age). Sent at
   * every sweep that could read ECS (or had nothing to read), so an alarm on "a drain older than 30 minutes" needs no
   * log. It costs no AWS call: the sweep reads all of it anyway.
   */
  private reportDrains(drainingWaiting: readonly ContainerInstanceState[]): void {
    const now = this.core.nowSeconds();
    const starts = drainingWaiting.map((ci) => ownMarker(ci, this.core.owner)?.drainStartedAt).filter((t): t is number => t !== undefined);
    this.deps.metrics.count(MetricName.INSTANCES_DRAINING, drainingWaiting.length);
    this.deps.metrics.seconds(MetricName.OLDEST_DRAIN_AGE, starts.length === 0 ? 0 : Math.max(0, now - Math.min(...starts)));
  }

  /** The sweep's work for the instances waiting to terminate, given the DRAINING container instances of the cluster. */
  private async sweepWaiting(
    waiting: readonly string[],
    draining: ReadonlyMap<string, ContainerInstanceState>,
    runner: BoundedRunner,
    run: <T>(items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<readonly InstanceReport[]>) => Promise<void>,
    budgetRead?: BudgetRead,
  ): Promise<number> {
    const { ecs, config } = this.deps;
    const now = this.core.nowSeconds();
    const toEvaluate: Drain[] = [];
    const toKeepAlive: Drain[] = [];
    const checkAfterHeartbeat: Drain[] = [];
    const toLookUp: string[] = [];
    const toAdopt: ContainerInstanceState[] = [];
    for (const instanceId of waiting) {
      const instance = draining.get(instanceId);
      if (!instance) { toLookUp.push(instanceId); continue; }
      const marker = ownMarker(instance, this.core.owner);
      // No marker of ours, or a QUEUED one (someone set it DRAINING while it waited for the budget): adopt it.
      if (!marker || marker.phase === DrainPhase.QUEUED) { toAdopt.push(instance); continue; }
      const drain: Drain = { instance, marker, recorded: true };
      const action = sweepAction(now, instance, marker, config);
      if (action === 'heartbeat') toKeepAlive.push(drain);
      else if (action === 'evaluate' && heartbeatDue(now, marker, config)) checkAfterHeartbeat.push(drain);
      else if (action === 'evaluate') toEvaluate.push(drain);
    }

    // Heartbeats first: they are the work with a deadline. An instance that is also due for a task check gets its
    // heartbeat here too, so a check that fails (or never runs) cannot let the action expire.
    await run(toKeepAlive, (d) => [d.instance.ec2InstanceId], async (drain) => [await this.core.keepAlive(drain)]);
    const heartbeat = new Map<string, InstanceOutcome>();
    await run(checkAfterHeartbeat, (d) => [d.instance.ec2InstanceId], async (drain) => {
      const report = await this.core.keepAliveBeforeCheck(drain);
      heartbeat.set(drain.instance.arn, report.outcome);
      return report.outcome === 'action-gone' ? [report] : [];
    });
    // Checked after their heartbeat: the check names the blocking tasks, as the heartbeat would have.
    const toEvaluateAfterHeartbeat: Drain[] = [];
    for (const drain of checkAfterHeartbeat) {
      const outcome = heartbeat.get(drain.instance.arn);
      // No pending action: nothing to check. A heartbeat that failed (no outcome) is tried again by the check.
      if (outcome === 'action-gone') continue;
      if (outcome === undefined) toEvaluate.push(drain);
      else toEvaluateAfterHeartbeat.push({ ...drain, marker: { ...drain.marker, lastHeartbeatAt: now } });
    }

    // Lost lifecycle events: find the instances, then start their drains in batches of 10.
    const toStart: ContainerInstanceState[] = [];
    const others: Array<{ id: string; instance?: ContainerInstanceState }> = [];
    await run(toLookUp, (id) => [id], async (id) => {
      const instance = await ecs.findContainerInstance(id);
      const plan = planInstance(instance, this.core.owner);
      if (plan.action === 'start-drain') toStart.push(instance!);
      else if (plan.action === 'adopt-drain') toAdopt.push(instance!);
      else others.push({ id, instance });
      return [];
    });
    const ec2Ids = (instances: readonly ContainerInstanceState[]) => instances.map((i) => i.ec2InstanceId);
    const queued = await this.startOrQueue(toStart, runner, run, budgetRead);
    await run(chunk(toAdopt, UPDATE_STATE_BATCH), ec2Ids, (instances) => this.core.adoptDrains(instances, runner));
    await run(others, ({ id }) => [id], async ({ id, instance }) => [await this.core.drain(id, instance)]);
    await run(toEvaluateAfterHeartbeat, (d) => [d.instance.ec2InstanceId],
      async (drain) => [await this.check(drain, (checked) => this.core.evaluateAfterHeartbeat(checked))]);
    await run(toEvaluate, (d) => [d.instance.ec2InstanceId], async (drain) => [await this.check(drain, (checked) => this.core.evaluate(checked))]);
    return queued;
  }

  /**
   * ACTIVE instances waiting to terminate: without a budget, their drains start (in batches of 10). With one, the
   * budget admits some and keeps the others waiting; when the group could not be read for it, every one only gets
   * a heartbeat, and none starts. Returns how many wait for the budget.
   */
  private async startOrQueue(
    toStart: readonly ContainerInstanceState[], runner: BoundedRunner,
    run: <T>(items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<readonly InstanceReport[]>) => Promise<void>,
    budgetRead: BudgetRead | undefined,
  ): Promise<number> {
    const ec2Ids = (instances: readonly ContainerInstanceState[]) => instances.map((i) => i.ec2InstanceId);
    if (!this.budget) {
      await run(chunk(toStart, UPDATE_STATE_BATCH), ec2Ids, (instances) => this.core.startDrains(instances, runner));
      return 0;
    }
    if (toStart.length === 0) return 0;
    if (!budgetRead) {
      await run(toStart, (i) => [i.ec2InstanceId], async (i) => [{
        instanceId: i.ec2InstanceId, outcome: await this.deps.autoScaling.recordHeartbeat(i.ec2InstanceId) === 'gone' ? 'action-gone' : 'queued',
      }]);
      return toStart.length;
    }
    let waiting = 0;
    await run([toStart], ec2Ids, async (instances) => {
      const result = await this.budget!.admitOrKeepWaiting(instances, budgetRead, runner);
      waiting = result.waiting;
      return result.reports;
    });
    return waiting;
  }

  /**
   * A task check by the sweep, made by `evaluate`. Its time is recorded in the marker when the drain goes on, so the
   * next back-off point is judged from it (unless the check's own heartbeat recorded it already).
   */
  private async check(drain: Drain, evaluate: (checked: Drain) => Promise<InstanceReport>): Promise<InstanceReport> {
    const now = this.core.nowSeconds();
    const checked: Drain = { ...drain, marker: { ...drain.marker, lastCheckedAt: now } };
    const heartbeatWillRecord = heartbeatDue(now, checked.marker, this.deps.config);
    const report = await evaluate(checked);
    if (report.outcome === 'waiting' && drain.recorded && !heartbeatWillRecord) {
      await this.deps.ecs.putMarker(drain.instance.arn, encodeMarker(checked.marker));
    }
    return report;
  }

  /**
   * A lost warm-pool return: a container instance this hook drained for a termination is DRAINING, while Auto Scaling
   * (read at `groupReadAt`) shows its instance in service, where no termination action can be pending. Only a drain
   * older than the read (by {@link RECONCILE_MIN_AGE_SECONDS}) is undone, so a drain that a new scale-in starts
   * meanwhile goes on; Spot-warning drains (the instance is about to be reclaimed) and drains of unknown cause
   * (markers of earlier releases) are left alone.
   */
  private async reconcileReturned(instance: ContainerInstanceState, groupReadAt: number): Promise<InstanceReport | undefined> {
    const marker = ownMarker(instance, this.core.owner);
    if (!marker || marker.trigger !== DrainTrigger.LIFECYCLE_ACTION) return undefined;
    const newest = Math.max(marker.drainStartedAt, marker.lastHeartbeatAt, marker.lastCheckedAt);
    if (newest > groupReadAt - RECONCILE_MIN_AGE_SECONDS) return undefined;
    return this.core.reactivate(instance, 'instance is in service again, but its return from the warm pool was not seen: set its container instance ACTIVE again');
  }
}
