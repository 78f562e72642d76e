/**
 * Reacting to single events: a lifecycle action, a task that stopped, an instance back from the warm pool, a Spot
 * interruption warning. Each re-reads AWS and hands the drain work to the core; a failure fails the invocation, so
 * Lambda retries the event (and the sweep re-checks the instance in any case).
 */
import type { DrainBudgetGate } from './budget';
import { isInServiceState, ownMarker, planInstance } from './decisions';
import { type DrainCore, DrainError, type DrainerDeps, type InstanceReport } from './drain-core';
import { DrainTrigger, encodeMarker, newMarker } from './drain-marker';
import { ClusterNotFoundError } from './ports';
import { MetricName } from './telemetry';
import { INLINE } from './work-scope';

export class EventHandlers {
  constructor(private readonly core: DrainCore, private readonly deps: DrainerDeps, private readonly budget?: DrainBudgetGate) {}

  async onLifecycleAction(instanceId: string, origin: string | undefined): Promise<InstanceReport> {
    if (origin === 'WarmPool') {
      // Instances waiting in the warm pool are not in service and run no tasks.
      return this.core.completeUnmanaged(instanceId, 'the instance terminates from the warm pool');
    }
    try {
      if (this.budget) return await this.onLifecycleActionWithBudget(instanceId, this.budget);
      // The common case, an ACTIVE instance, costs one ListContainerInstances: the counts come back with
      // UpdateContainerInstancesState. Anything else (not registered, already DRAINING, ...) is described first.
      // With TaskProtectionPolicy.WAIT an ACTIVE instance may be held for protected tasks already (a repeated event):
      // it is described, so that its drain keeps the start its marker recorded.
      const activeArn = this.deps.config.taskProtectionPolicy === 'WAIT' ? undefined : await this.deps.ecs.findActiveContainerInstanceArn(instanceId);
      if (activeArn) {
        const active = { arn: activeArn, ec2InstanceId: instanceId, status: 'ACTIVE', runningTasksCount: 0, pendingTasksCount: 0 };
        const [report] = await this.core.startDrains([active], INLINE);
        return report;
      }
      return await this.core.drain(instanceId, await this.deps.ecs.findContainerInstance(instanceId));
    } catch (error) {
      if (!(error instanceof ClusterNotFoundError)) throw error;
      return this.core.completeWithoutCluster(instanceId, error);
    }
  }

  /** With a disruption budget, an ACTIVE instance starts draining only if the budget admits it. */
  private async onLifecycleActionWithBudget(instanceId: string, budget: DrainBudgetGate): Promise<InstanceReport> {
    const instance = await this.deps.ecs.findContainerInstance(instanceId);
    if (instance && planInstance(instance, this.core.owner).action === 'start-drain') return budget.onLifecycleAction(instance);
    const report = await this.core.drain(instanceId, instance);
    await budget.admitAfterEvent([report]);
    return report;
  }

  /**
   * An ECS event said a task of the cluster reached STOPPED: if it was the last one on a drain of ours, complete. On an
   * instance held for protected tasks (ACTIVE, marker in phase PROTECTED) the stopped task may have been the last
   * protected one: its protection is checked again.
   */
  async onTaskStopped(containerInstanceArn: string, taskArn: string): Promise<InstanceReport[]> {
    const [instance] = await this.deps.ecs.describeContainerInstances([containerInstanceArn]);
    if (instance?.status === 'ACTIVE' && planInstance(instance, this.core.owner).action === 'hold') {
      return [await this.core.drain(instance.ec2InstanceId, instance)];
    }
    if (!instance || instance.status !== 'DRAINING') return [];
    const marker = ownMarker(instance, this.core.owner);
    // Not drained by this hook: another hook (or nobody) is waiting for it.
    if (!marker) return [];
    const report = await this.core.evaluateAfterTaskStopped({ instance, marker, recorded: true }, taskArn);
    // The drain that ended frees its place in the disruption budget: the next waiting instance starts now.
    return this.budget ? [report, ...await this.budget.admitAfterEvent([report])] : [report];
  }

  /** `occurredAt`: when the instance returned (the event's time, epoch seconds), if known. */
  async onWarmPoolReturn(instanceId: string, occurredAt: number | undefined): Promise<InstanceReport> {
    const log = this.core.logFor(instanceId);
    // A late or repeated event must not set ACTIVE an instance that is terminating again (or back in the warm
    // pool): ECS would place tasks on it in the middle of its drain.
    const { instances: members } = await this.deps.autoScaling.describeGroup();
    const lifecycleState = members.find((m) => m.instanceId === instanceId)?.lifecycleState;
    if (lifecycleState === undefined || !isInServiceState(lifecycleState)) {
      log.info('instance returned from the warm pool, but it is not in service any more: left as it is', {
        lifecycleState: lifecycleState ?? 'not in the group',
      });
      return { instanceId, outcome: 'skipped' };
    }
    const instance = await this.deps.ecs.findContainerInstance(instanceId);
    const marker = instance ? ownMarker(instance, this.core.owner) : undefined;
    if (!instance || instance.status !== 'DRAINING' || !marker) {
      log.info('instance returned from the warm pool; it was not drained by this hook, so it is left as it is', {
        status: instance?.status ?? 'not registered',
      });
      return { instanceId, outcome: 'skipped' };
    }
    if (occurredAt !== undefined && marker.drainStartedAt > occurredAt) {
      // A late event: a drain that began after the return (a Spot interruption warning) must go on.
      log.info('instance returned from the warm pool before its current drain started: the drain goes on', {
        returnedAt: occurredAt, drainStartedAt: marker.drainStartedAt,
      });
      return { instanceId, outcome: 'skipped' };
    }
    return this.core.reactivate(instance, 'instance returned from the warm pool: set its container instance ACTIVE again');
  }

  async onSpotInterruption(instanceId: string): Promise<InstanceReport> {
    const log = this.core.logFor(instanceId);
    const { instances: members } = await this.deps.autoScaling.describeGroup();
    if (!members.some((m) => m.instanceId === instanceId)) {
      log.info('spot interruption warning for an instance of another group: ignored');
      return { instanceId, outcome: 'skipped' };
    }
    const instance = await this.deps.ecs.findContainerInstance(instanceId);
    if (!instance || instance.status !== 'ACTIVE') {
      log.info('spot interruption warning: the container instance is not ACTIVE, nothing to start', { status: instance?.status ?? 'not registered' });
      return { instanceId, outcome: 'skipped' };
    }
    const marker = newMarker(this.core.owner, this.core.nowSeconds(), DrainTrigger.SPOT_INTERRUPTION);
    const recorded = await this.deps.ecs.putMarker(instance.arn, encodeMarker(marker)) === 'recorded';
    if (!recorded) {
      // Set DRAINING all the same: the lifecycle action that follows adopts the drain.
      this.core.reportUnrecorded({ instance, marker, recorded: false });
    }
    const { failures, updated } = await this.deps.ecs.updateStatus([instance.arn], 'DRAINING');
    if (failures.length > 0) throw new DrainError(`ECS could not set DRAINING: ${failures.map((f) => f.reason).join(', ')}`);
    this.deps.metrics.count(MetricName.SPOT_INTERRUPTION_DRAINS);
    log.info('spot interruption warning: set the container instance to DRAINING two minutes early', { containerInstanceArn: instance.arn });
    await this.core.reportStarted({ instance, marker, recorded }, updated.find((ci) => ci.arn === instance.arn) ?? instance);
    return { instanceId, outcome: 'drain-started-early' };
  }
}
