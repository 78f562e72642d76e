/**
 * TaskProtectionPolicy.WAIT: a terminating instance that runs a task protected from scale-in is not set DRAINING
 * (AWS names no exception for protected tasks when an instance drains: docs/aws-behaviour.md, "Task scale-in
 * protection"). It stays ACTIVE, marked with the drain marker in phase PROTECTED, its lifecycle action kept alive,
 * and is checked again at every sweep and whenever one of its tasks stops: protection that ends or expires sends no
 * ECS event. Once no task is protected, or drainTimeout comes, it is set DRAINING and drained as usual.
 *
 * Calls per check: ListTasks (desired RUNNING; paginated by 100) and GetTaskProtection (per 100 tasks); a heartbeat
 * and its PutAttributes when due. The sweep finds a held instance among those waiting to terminate that are not
 * DRAINING (ListContainerInstances and DescribeContainerInstances for it), so a held drain costs about four calls per
 * sweep.
 */
import type { Drain, DrainCore, DrainerDeps, InstanceReport } from './drain-core';
import { DrainPhase, encodeMarker } from './drain-marker';
import type { TaskProtection } from './ports';
import { holdDecision, latestExpiry, protectedAt } from './protection-decisions';
import { MetricName } from './telemetry';
import type { WorkScope } from './work-scope';

/** ECS refused to set DRAINING an instance whose hold ended. */
export class ProtectionHoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtectionHoldError';
  }
}

export class ProtectionHold {
  constructor(private readonly core: DrainCore, private readonly deps: DrainerDeps) {}

  /**
   * Drains just admitted (heartbeat sent, marker written), about to be set DRAINING: with WAIT, those with a protected
   * task are held instead (their marker rewritten in phase PROTECTED) and reported; the others are returned to drain.
   * With IGNORE nothing is read.
   */
  async holdProtected(drains: readonly Drain[], scope: WorkScope): Promise<{ reports: InstanceReport[]; drains: Drain[] }> {
    if (this.deps.config.taskProtectionPolicy !== 'WAIT' || drains.length === 0) return { reports: [], drains: [...drains] };
    const reports: InstanceReport[] = [];
    const toDrain: Drain[] = [];
    for (const drain of drains) {
      const id = drain.instance.ec2InstanceId;
      const outcome = await scope.isolate([id], async () => {
        const timed = await this.timed(drain);
        const protectedTasks = await this.protectedTasks(timed);
        const decision = holdDecision(this.core.nowSeconds(), timed.marker, this.deps.config, protectedTasks.length);
        if (decision.action === 'drain') {
          if (decision.why === 'drain-timeout') this.reportTimeout(timed, protectedTasks);
          toDrain.push(timed);
          return undefined;
        }
        return this.startHold(timed, protectedTasks);
      });
      if (outcome !== undefined) reports.push(outcome);
    }
    return { reports, drains: toDrain };
  }

  /**
   * A drain held for protected tasks, checked again (by the sweep, or after one of its tasks stopped): still held
   * (kept alive when a heartbeat is due), or set DRAINING and checked as a started drain.
   */
  async recheck(drain: Drain): Promise<InstanceReport> {
    const { config } = this.deps;
    const protectedTasks = config.taskProtectionPolicy === 'WAIT' ? await this.protectedTasks(drain) : [];
    const decision = holdDecision(this.core.nowSeconds(), drain.marker, config, protectedTasks.length);
    if (decision.action === 'drain') {
      if (decision.why === 'drain-timeout') this.reportTimeout(drain, protectedTasks);
      return this.release(drain, decision.why);
    }
    this.deps.metrics.count(MetricName.DRAINS_HELD_BY_PROTECTION);
    const report = await this.core.keepAliveIfDue(drain, { protectedTasks: protectedTasks.length });
    if (report.outcome === 'action-gone') {
      // No termination is pending any more: the instance is ACTIVE, and its marker must not keep new work off it.
      await this.deps.ecs.deleteMarker(drain.instance.arn);
      return report;
    }
    return { instanceId: drain.instance.ec2InstanceId, outcome: 'held' };
  }

  /** The tasks on the instance still desired RUNNING whose protection has not ended or expired. */
  private async protectedTasks(drain: Drain): Promise<TaskProtection[]> {
    const { ecs, clock } = this.deps;
    const running = await ecs.listTaskArns(drain.instance.arn, 'RUNNING');
    if (running.length === 0) return [];
    return protectedAt(await ecs.getTaskProtection(running), clock.now());
  }

  /**
   * A drain whose marker ECS refused (10 custom attributes already) is found again, unmarked, by every sweep: it is
   * timed from the start of its termination's scaling activity, so that drainTimeout still ends its hold.
   */
  private async timed(drain: Drain): Promise<Drain> {
    if (drain.recorded) return drain;
    const id = drain.instance.ec2InstanceId;
    const at = (await this.deps.autoScaling.terminationStartTimes([id])).get(id);
    return at === undefined ? drain : { ...drain, marker: { ...drain.marker, drainStartedAt: at, lastCheckedAt: at } };
  }

  private async startHold(drain: Drain, protectedTasks: readonly TaskProtection[]): Promise<InstanceReport> {
    const marker = { ...drain.marker, phase: DrainPhase.PROTECTED };
    if (drain.recorded) await this.deps.ecs.putMarker(drain.instance.arn, encodeMarker(marker));
    this.deps.metrics.count(MetricName.DRAINS_HELD_BY_PROTECTION);
    const expiry = latestExpiry(protectedTasks);
    this.core.logFor(drain.instance.ec2InstanceId, { containerInstanceArn: drain.instance.arn }).info(
      'tasks on the instance are protected from scale-in: it is left ACTIVE, not set DRAINING, until their protection ends '
      + 'or drainTimeout comes', {
        protectedTaskArns: protectedTasks.map((t) => t.arn),
        ...(expiry !== undefined ? { protectionExpiresBy: new Date(expiry).toISOString() } : {}),
        drainTimeoutAt: new Date((drain.marker.drainStartedAt + this.deps.config.drainTimeoutSeconds) * 1000).toISOString(),
      });
    return { instanceId: drain.instance.ec2InstanceId, outcome: 'held' };
  }

  /**
   * Ends a hold: a heartbeat first (it proves the termination is still pending, and resets the action's timer), then
   * DRAINING, then the marker in phase DRAINING, then the usual check with the counts ECS answered.
   */
  private async release(drain: Drain, why: 'unprotected' | 'drain-timeout' | 'policy-ignores-protection'): Promise<InstanceReport> {
    const { ecs, autoScaling } = this.deps;
    const { instance } = drain;
    const log = this.core.logFor(instance.ec2InstanceId, { containerInstanceArn: instance.arn });
    if (await autoScaling.recordHeartbeat(instance.ec2InstanceId) === 'gone') {
      await ecs.deleteMarker(instance.arn);
      log.info('no lifecycle action is pending any more for this instance held for protected tasks: left ACTIVE, its marker removed');
      return { instanceId: instance.ec2InstanceId, outcome: 'action-gone' };
    }
    const now = this.core.nowSeconds();
    const update = await ecs.updateStatus([instance.arn], 'DRAINING');
    if (update.failures.length > 0) {
      throw new ProtectionHoldError(`ECS could not set DRAINING: ${update.failures.map((f) => `${f.arn} (${f.reason})`).join(', ')}`);
    }
    const marker = { ...drain.marker, phase: DrainPhase.DRAINING, lastHeartbeatAt: now };
    if (drain.recorded) await ecs.putMarker(instance.arn, encodeMarker(marker));
    log.info(why === 'unprotected'
      ? 'no task on the instance is protected any more: set it DRAINING'
      : why === 'drain-timeout'
        ? 'drainTimeout reached while tasks are protected: set the instance DRAINING'
        : 'the task protection policy no longer waits: set the instance DRAINING', { heldSeconds: now - drain.marker.drainStartedAt });
    const counted = update.updated.find((ci) => ci.arn === instance.arn)
      ?? (await ecs.describeContainerInstances([instance.arn]))[0] ?? instance;
    // The instance is DRAINING from now on: that is the drain's start as its events tell it (drain-events.ts).
    await this.core.reportStarted({ ...drain, marker }, counted);
    return this.core.evaluate({ ...drain, instance: { ...counted, status: 'DRAINING' }, marker });
  }

  private reportTimeout(drain: Drain, protectedTasks: readonly TaskProtection[]): void {
    this.core.logFor(drain.instance.ec2InstanceId, { containerInstanceArn: drain.instance.arn }).warn(
      'drainTimeout reached while tasks on the instance are still protected from scale-in: the drain goes on without '
      + 'waiting for them, and times out', { protectedTaskArns: protectedTasks.map((t) => t.arn), drainTimeoutSeconds: this.deps.config.drainTimeoutSeconds });
  }
}
