/**
 * The disruption budget (`maxConcurrentDrains`): instances over the budget wait in their lifecycle wait state, kept
 * alive with heartbeats and marked QUEUED, and start draining once a drain of the group ends, oldest first.
 *
 * There is no slot to claim and no counter to update: every invocation reads the group from AWS and applies the same
 * pure rule (budget-decisions.ts), whose answer depends only on Auto Scaling's record of when each termination began.
 * So concurrent invocations, lost events and crashed invocations cannot push the group over its budget, and nothing
 * has to be released or repaired after a crash. docs/design-budget.md argues it in full.
 */
import {
  type BudgetCandidate, type BudgetDecision, type BudgetView, TERMINATION_UNDER_WAY_STATES, budgetLimit, decideAdmissions,
} from './budget-decisions';
import type { DrainBudgetSetting } from './config';
import { type ContainerInstanceState, DRAIN_WAIT_STATES, heartbeatDue, ownMarker, planInstance } from './decisions';
import type { DrainCore, DrainerDeps, InstanceOutcome, InstanceReport } from './drain-core';
import { DrainEventType, drainEvent } from './drain-events';
import { DrainPhase, DrainTrigger, encodeMarker, newMarker } from './drain-marker';
import { type GroupDescription, type GroupInstance, UPDATE_STATE_BATCH, chunk } from './ports';
import { isRetainedState } from './retention-decisions';
import { MetricName } from './telemetry';
import { INLINE, type WorkScope } from './work-scope';

/** Outcomes after which the instance no longer holds a place in the queue or a drain of the budget. */
const ENDED: ReadonlySet<InstanceOutcome> = new Set(['completed', 'completed-unmanaged', 'timed-out', 'action-gone']);

/** What a read of the group gave the budget. */
export interface BudgetRead {
  readonly view: BudgetView;
  /** Instances waiting on this hook (DRAIN_WAIT_STATES) whose container instance is not DRAINING. */
  readonly notDraining: readonly string[];
}

export class DrainBudgetGate {
  constructor(private readonly core: DrainCore, private readonly deps: DrainerDeps, private readonly budget: DrainBudgetSetting) {}

  /**
   * The budget's view of the group, from reads the caller already has: the group's instances (and its warm pool),
   * and the cluster's DRAINING container instances by EC2 instance id. `ended`: instances this invocation knows
   * are no longer terminating under this hook (it has just completed their action), which a read made before or
   * just after may still show.
   */
  async view(
    group: GroupDescription, warmPool: readonly GroupInstance[], drainingEc2Ids: ReadonlySet<string>, ended: ReadonlySet<string> = new Set(),
  ): Promise<BudgetRead> {
    const members = [...group.instances, ...warmPool];
    const inService = group.instances.filter((i) => i.lifecycleState === 'InService').length;
    // A retained instance (DrainTimeoutBehavior.retain()) whose container instance is DRAINING is a drain still under
    // way: it keeps its place. One that is not DRAINING is not drained by anyone, and would hold a place for ever.
    const counted = (i: GroupInstance) => !ended.has(i.instanceId)
      && (TERMINATION_UNDER_WAY_STATES.has(i.lifecycleState) || (isRetainedState(i.lifecycleState) && drainingEc2Ids.has(i.instanceId)));
    const terminatingIds = [...new Set(members.filter(counted).map((i) => i.instanceId))];
    const starts = terminatingIds.length === 0 ? new Map<string, number>() : await this.deps.autoScaling.terminationStartTimesMs(terminatingIds);
    const waiting = new Set(members.filter((i) => DRAIN_WAIT_STATES.has(i.lifecycleState)).map((i) => i.instanceId));
    return {
      view: {
        limit: budgetLimit(this.budget, inService),
        terminating: terminatingIds.map((instanceId) => {
          const at = starts.get(instanceId);
          return at === undefined ? { instanceId } : { instanceId, terminationStartedAtMs: at };
        }),
        draining: new Set(terminatingIds.filter((id) => drainingEc2Ids.has(id))),
      },
      notDraining: terminatingIds.filter((id) => waiting.has(id) && !drainingEc2Ids.has(id)),
    };
  }

  /** Reads the group, its warm pool and the DRAINING container instances, for an invocation that has none of them. */
  async read(ended: ReadonlySet<string> = new Set()): Promise<BudgetRead> {
    const group = await this.deps.autoScaling.describeGroup();
    const warmPool = group.hasWarmPool ? await this.deps.autoScaling.describeWarmPoolInstances() : [];
    const draining = await this.deps.ecs.listDrainingContainerInstances();
    return this.view(group, warmPool, new Set(draining.map((ci) => ci.ec2InstanceId)), ended);
  }

  /**
   * A lifecycle event for an ACTIVE instance: it starts draining if the budget allows, or waits QUEUED. When it
   * completes at once (nothing ran on it), the next waiting instance is admitted.
   */
  async onLifecycleAction(instance: ContainerInstanceState): Promise<InstanceReport> {
    const { view } = await this.read();
    const queued = ownMarker(instance, this.core.owner);
    const candidate: BudgetCandidate = {
      instanceId: instance.ec2InstanceId,
      // Not queued yet: it is queued now, if it waits.
      queuedAt: queued?.phase === DrainPhase.QUEUED ? queued.drainStartedAt : this.core.nowSeconds(),
    };
    const [decision] = decideAdmissions(view, [candidate], this.core.nowSeconds(), this.deps.config);
    if (decision.verdict === 'wait') return this.wait(instance, decision);
    this.reportAdmission(decision, view);
    const [report] = await this.core.startDrains([instance], INLINE);
    await this.admitAfterEvent([report]);
    return report;
  }

  /**
   * The sweep's instances waiting to terminate whose container instance is ACTIVE (a lost lifecycle event, or
   * waiting for the budget): those the budget admits start draining, the others are kept alive. Returns the
   * reports, and how many wait.
   */
  async admitOrKeepWaiting(
    instances: readonly ContainerInstanceState[], read: BudgetRead, scope: WorkScope,
  ): Promise<{ reports: InstanceReport[]; waiting: number }> {
    const byId = new Map(instances.map((i) => [i.ec2InstanceId, i]));
    const candidates = instances.map((instance): BudgetCandidate => {
      const marker = ownMarker(instance, this.core.owner);
      const queuedAt = marker?.phase === DrainPhase.QUEUED ? marker.drainStartedAt : undefined;
      return queuedAt === undefined ? { instanceId: instance.ec2InstanceId } : { instanceId: instance.ec2InstanceId, queuedAt };
    });
    const decisions = decideAdmissions(read.view, candidates, this.core.nowSeconds(), this.deps.config);
    const admitted = decisions.filter((d) => d.verdict !== 'wait');
    for (const decision of admitted) this.reportAdmission(decision, read.view);
    const reports: InstanceReport[] = [];
    for (const batch of chunk(admitted.map((d) => byId.get(d.instanceId)!), UPDATE_STATE_BATCH)) {
      reports.push(...await this.core.startDrains(batch, scope));
    }
    const waits = decisions.filter((d) => d.verdict === 'wait');
    for (const decision of waits) {
      const report = await scope.isolate([decision.instanceId], () => this.wait(byId.get(decision.instanceId)!, decision));
      if (report) reports.push(report);
    }
    return { reports, waiting: waits.length };
  }

  /**
   * Drains that ended in this invocation free their place: the next instances waiting for the budget are admitted
   * at once, instead of at the next sweep. Only admissions within the budget happen here; admissions over it are
   * the sweep's (it sees every waiting instance).
   */
  async afterEnded(reports: readonly InstanceReport[], scope: WorkScope): Promise<InstanceReport[]> {
    const ended = new Set(reports.filter((r) => ENDED.has(r.outcome)).map((r) => r.instanceId));
    if (ended.size === 0) return [];
    const read = await this.read(ended);
    if (read.notDraining.length === 0) return [];
    const decisions = decideAdmissions(read.view, read.notDraining.map((instanceId) => ({ instanceId })), this.core.nowSeconds(), this.deps.config)
      .filter((d) => d.verdict === 'admit');
    const out: InstanceReport[] = [];
    for (const decision of decisions) {
      const report = await scope.isolate([decision.instanceId], async () => {
        const instance = await this.deps.ecs.findContainerInstance(decision.instanceId);
        if (!instance || planInstance(instance, this.core.owner).action !== 'start-drain') return this.core.drain(decision.instanceId, instance);
        this.reportAdmission(decision, read.view);
        return (await this.core.startDrains([instance], scope))[0];
      });
      if (report) out.push(report);
    }
    return out;
  }

  /**
   * {@link afterEnded} for an event whose own work is done: a failure here is logged, not thrown, since a retry of
   * the event would find the drain ended and admit nobody. The next sweep admits in its place.
   */
  async admitAfterEvent(reports: readonly InstanceReport[]): Promise<InstanceReport[]> {
    try {
      return await this.afterEnded(reports, INLINE);
    } catch (error) {
      this.deps.metrics.count(MetricName.HANDLER_ERRORS);
      this.deps.log.error('could not admit the next instance waiting for the disruption budget; the next sweep does', { error });
      return [];
    }
  }

  /**
   * Keeps an instance waiting: the first time, a heartbeat (which proves the action is pending and restarts its
   * timer) and a QUEUED marker; after that, a heartbeat when one is due.
   */
  private async wait(instance: ContainerInstanceState, decision: BudgetDecision): Promise<InstanceReport> {
    const instanceId = instance.ec2InstanceId;
    const log = this.core.logFor(instanceId, { containerInstanceArn: instance.arn });
    const marker = ownMarker(instance, this.core.owner);
    if (marker?.phase === DrainPhase.QUEUED) {
      if (!heartbeatDue(this.core.nowSeconds(), marker, this.deps.config)) return { instanceId, outcome: 'queued' };
      const kept = await this.core.keepAlive({ instance, marker, recorded: true });
      return kept.outcome === 'action-gone' ? kept : { instanceId, outcome: 'queued' };
    }
    if (await this.deps.autoScaling.recordHeartbeat(instanceId) === 'gone') {
      log.info('no lifecycle action is pending for this instance: it is not queued');
      return { instanceId, outcome: 'action-gone' };
    }
    const queued = newMarker(this.core.owner, this.core.nowSeconds(), DrainTrigger.LIFECYCLE_ACTION, DrainPhase.QUEUED);
    // When ECS refuses the marker (10 custom attributes already) the instance waits all the same: the sweep sends
    // it a heartbeat at every run, and its deadline comes from its Auto Scaling termination activity.
    const write = await this.deps.ecs.putMarker(instance.arn, encodeMarker(queued));
    // Best effort, and never a failure of the drain (drain-events.ts); published when the instance is first queued.
    await this.deps.events.publish(drainEvent(DrainEventType.QUEUED, {
      instance, marker: queued, nowSeconds: this.core.nowSeconds(), blockingTaskCount: instance.runningTasksCount + instance.pendingTasksCount,
    }, this.deps.config));
    log.info('waiting for the disruption budget: not DRAINING yet; its lifecycle action is kept alive', {
      ahead: decision.ahead, ...(decision.admitBy !== undefined ? { admitBy: new Date(decision.admitBy * 1000).toISOString() } : {}),
      ...(write === 'quota-full' ? { marker: 'refused: 10 custom attributes already' } : {}),
    });
    return { instanceId, outcome: 'queued' };
  }

  private reportAdmission(decision: BudgetDecision, view: BudgetView): void {
    const log = this.core.logFor(decision.instanceId);
    if (decision.verdict === 'admit-over-budget') {
      this.deps.metrics.count(MetricName.DRAINS_OVER_BUDGET);
      log.warn('starting the drain over the disruption budget: waiting any longer would leave it less than drainTimeout before '
        + 'Auto Scaling ends the lifecycle action', { limit: view.limit, draining: view.draining.size, ahead: decision.ahead });
    } else {
      log.info('the disruption budget admits the drain', { limit: view.limit, draining: view.draining.size, ahead: decision.ahead });
    }
  }
}
