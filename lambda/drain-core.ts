/**
 * The drain core that the event handlers and the sweep share: start a drain (an ACTIVE instance, set DRAINING) or
 * adopt one (an instance already DRAINING), check a drain's tasks and act on them, keep its lifecycle action alive,
 * and let an instance go. It reads state back from AWS every time; the drain state lives in an ECS attribute.
 */
import { DrainLogMessage } from '../lib/handler-contract';
import type { DrainConfig, LifecycleResult } from './config';
import {
  type ContainerInstanceState,
  type TaskState,
  assessTasks,
  countsProveNotDrained,
  drainTimedOut,
  heartbeatDue,
  planInstance,
  standaloneGraceOver,
} from './decisions';
import { type DrainEventPublisher, DrainEventType, drainEvent, logBlockingTasks, triggerName } from './drain-events';
import { type DrainMarker, DrainPhase, DrainTrigger, encodeMarker, newMarker, ownerId } from './drain-marker';
import type { AutoScalingGateway, Clock, ClusterNotFoundError, EcsGateway, StatusFailure } from './ports';
import { RetainedDrains } from './retention';
import { ProtectionHold } from './task-protection';
import { type Logger, MetricName, type Metrics } from './telemetry';
import { INLINE, type WorkScope } from './work-scope';

export type InstanceOutcome =
  | 'completed' // drained: lifecycle action completed with CONTINUE
  | 'completed-unmanaged' // nothing to drain (not registered, not drainable, from the warm pool)
  | 'timed-out' // drainTimeout reached: completed with the configured result
  | 'waiting' // tasks still running or stopping
  | 'held' // TaskProtectionPolicy.WAIT: a task is protected, so the instance is left ACTIVE, its action kept alive
  | 'action-gone' // no lifecycle action pending any more (completed by an earlier or concurrent invocation, or expired)
  | 'reactivated' // returned from the warm pool and set ACTIVE again
  | 'drain-started-early' // Spot interruption warning: set DRAINING before the lifecycle action
  | 'retained' // drainTimeout reached: completed with ABANDON into the group's retained state; the drain goes on
  | 'released' // a retained instance drained: terminated through Auto Scaling
  | 'queued' // waiting for the disruption budget: kept alive, not DRAINING yet (lambda/budget.ts)
  | 'skipped'; // not ours or nothing to do

export interface InstanceReport {
  readonly instanceId: string;
  readonly outcome: InstanceOutcome;
}

export interface DrainerDeps {
  readonly config: DrainConfig;
  readonly ecs: EcsGateway;
  readonly autoScaling: AutoScalingGateway;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Where drain events go (drain-events.ts): EventBridge, or nowhere with `publishDrainEvents: false`. */
  readonly events: DrainEventPublisher;
}

export class DrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrainError';
  }
}

/**
 * A drain being checked: the container instance, what is known of the drain, and whether that is stored on the
 * container instance (`recorded`: false when ECS refused the marker, its custom-attribute quota being full).
 */
export interface Drain {
  readonly instance: ContainerInstanceState;
  readonly marker: DrainMarker;
  readonly recorded: boolean;
}

export class DrainCore {
  /** Which hook drains an instance: the owner in its drain marker. */
  readonly owner: string;
  /** TaskProtectionPolicy.WAIT: drains that are not set DRAINING while a task on the instance is protected. */
  private readonly protection: ProtectionHold;

  /** With `DrainTimeoutBehavior.retain()`: the drains that go on in the group's retained state (retention.ts). */
  readonly retention?: RetainedDrains;

  constructor(private readonly deps: DrainerDeps) {
    this.owner = ownerId(deps.config.autoScalingGroupName, deps.config.lifecycleHookName);
    this.protection = new ProtectionHold(this, deps);
    if (deps.config.retention) this.retention = new RetainedDrains(deps, deps.config.retention);
  }

  nowSeconds(): number {
    return Math.floor(this.deps.clock.now() / 1000);
  }

  logFor(instanceId: string, extra: Record<string, unknown> = {}): Logger {
    return this.deps.log.child({ instanceId, ...extra });
  }

  /** The logger of a drain: its lines name the instance, the container instance, when and why the drain started. */
  drainLog(drain: Pick<Drain, 'instance' | 'marker'>): Logger {
    return this.logFor(drain.instance.ec2InstanceId, {
      containerInstanceArn: drain.instance.arn,
      drainStartedAt: new Date(drain.marker.drainStartedAt * 1000).toISOString(),
      drainTrigger: triggerName(drain.marker.trigger),
    });
  }

  /**
   * Publishes that a drain started, with the task counts ECS reported for the instance (the tasks are not listed: a
   * drain's start costs no more calls for it). Never fails.
   */
  async reportStarted(drain: Drain, counts: Pick<ContainerInstanceState, 'runningTasksCount' | 'pendingTasksCount'>): Promise<void> {
    await this.publish(DrainEventType.STARTED, drain, { blockingTaskCount: counts.runningTasksCount + counts.pendingTasksCount });
  }

  /** Publishes a drain event about `drain` as of now. Never fails (see DrainEventPublisher). */
  private async publish(type: DrainEventType, drain: Drain, facts: {
    blockingTaskCount: number; blockingTasks?: readonly TaskState[]; lifecycleActionResult?: LifecycleResult;
  }): Promise<void> {
    const event = drainEvent(type, { instance: drain.instance, marker: drain.marker, nowSeconds: this.nowSeconds(), ...facts }, this.deps.config);
    await this.deps.events.publish(event);
  }

  /**
   * The cluster does not exist (deleted, or a wrong name): nothing in it can be drained, and holding the instance
   * would only delay the group. The lifecycle action is completed at once, loudly.
   */
  async completeWithoutCluster(instanceId: string, error: ClusterNotFoundError): Promise<InstanceReport> {
    this.deps.metrics.count(MetricName.CLUSTER_NOT_FOUND);
    this.logFor(instanceId).error('the ECS cluster does not exist: completing the lifecycle action without a drain', {
      cluster: error.cluster, error,
    });
    const result = await this.deps.autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
    return { instanceId, outcome: result === 'gone' ? 'action-gone' : 'completed-unmanaged' };
  }

  /**
   * Plans and acts for one instance of the group that has a pending lifecycle action, as one piece of work: its
   * failure is thrown (an event's invocation fails and is retried; the sweep isolates it like any other item).
   */
  async drain(instanceId: string, instance: ContainerInstanceState | undefined): Promise<InstanceReport> {
    const plan = planInstance(instance, this.owner);
    switch (plan.action) {
      case 'complete':
        if (!instance) this.deps.metrics.count(MetricName.INSTANCES_NOT_REGISTERED);
        return this.completeUnmanaged(instanceId, plan.reason);
      case 'start-drain':
        return (await this.startDrains([instance!], INLINE))[0];
      case 'adopt-drain':
        return (await this.adoptDrains([instance!], INLINE))[0];
      case 'evaluate':
        return this.evaluate({ instance: instance!, marker: plan.marker, recorded: true });
      case 'hold':
        return this.protection.recheck({ instance: instance!, marker: plan.marker, recorded: true });
    }
  }

  async completeUnmanaged(instanceId: string, reason: string): Promise<InstanceReport> {
    const result = await this.deps.autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
    this.logFor(instanceId).info('completed the lifecycle action at once: nothing to drain', { reason, lifecycleAction: result });
    return { instanceId, outcome: result === 'gone' ? 'action-gone' : 'completed-unmanaged' };
  }

  /**
   * Starts draining ACTIVE instances that have a pending lifecycle action: proves the action is pending and records
   * the drain (see {@link admit}), sets them DRAINING in one call (at most 10), and checks their tasks at once with
   * the counts ECS answers the update with, so an idle instance completes right away.
   */
  async startDrains(instances: readonly ContainerInstanceState[], scope: WorkScope): Promise<InstanceReport[]> {
    const admitted = await this.admit(instances, scope);
    // TaskProtectionPolicy.WAIT: an instance with a protected task is held ACTIVE instead (task-protection.ts).
    const held = await this.protection.holdProtected(admitted.drains, scope);
    const reports = [...admitted.reports, ...held.reports];
    const drains = held.drains;
    if (drains.length === 0) return reports;
    const update = await this.deps.ecs.updateStatus(drains.map((d) => d.instance.arn), 'DRAINING');
    const refusedArns = new Set(update.failures.map((f) => f.arn));
    const counted = new Map(update.updated.map((ci) => [ci.arn, ci]));
    // An instance ECS neither updated nor refused is described, so it is never evaluated with unknown counts.
    const unanswered = drains.filter((d) => !counted.has(d.instance.arn) && !refusedArns.has(d.instance.arn)).map((d) => d.instance.arn);
    if (unanswered.length > 0) {
      for (const ci of await this.deps.ecs.describeContainerInstances(unanswered)) counted.set(ci.arn, ci);
    }
    if (update.failures.length > 0) {
      scope.fail(drains.filter((d) => refusedArns.has(d.instance.arn)).map((d) => d.instance.ec2InstanceId), refusal(update.failures));
    }
    const set = drains.filter((d) => !refusedArns.has(d.instance.arn));
    return [...reports, ...await this.checkStarted(set, counted, scope, async (drain, log, current) => {
      this.deps.metrics.count(MetricName.DRAINS_STARTED);
      if (!drain.recorded) this.reportUnrecorded(drain);
      log.info('set the container instance to DRAINING');
      await this.reportStarted(drain, current);
    })];
  }

  /**
   * Takes over the drain of instances that are DRAINING already (set by hand, by another tool, or by this hook with
   * a marker ECS refused) and have a pending lifecycle action: proves the action is pending and records the drain,
   * then checks their tasks. A drain whose marker ECS refused is timed from the start of its termination's scaling
   * activity, since the sweep adopts it again at every run.
   */
  async adoptDrains(instances: readonly ContainerInstanceState[], scope: WorkScope): Promise<InstanceReport[]> {
    const admitted = await this.admit(instances, scope);
    if (admitted.drains.length === 0) return admitted.reports;
    const drains = await this.timeUnrecordedAdoptions(admitted.drains);
    const counted = new Map(drains.map((d) => [d.instance.arn, d.instance]));
    return [...admitted.reports, ...await this.checkStarted(drains, counted, scope, async (drain, log, current) => {
      if (!drain.recorded) {
        this.reportUnrecorded(drain);
        return;
      }
      this.deps.metrics.count(MetricName.DRAINS_STARTED);
      log.info('the container instance was already DRAINING: waiting for its tasks');
      await this.reportStarted(drain, current);
    })];
  }

  /**
   * The first steps of every drain: a heartbeat, which both proves the action is still pending (a late duplicate
   * event must not drain an instance that is back in service) and resets its timer, then the drain marker. ECS
   * refuses the marker of an instance that already carries 10 custom attributes (its limit per resource); the drain
   * goes on without it, and the sweep checks it at every run (the task events cannot tell such a drain from another
   * hook's). Each instance's failure is its own (see {@link WorkScope}).
   */
  private async admit(instances: readonly ContainerInstanceState[], scope: WorkScope): Promise<{ reports: InstanceReport[]; drains: Drain[] }> {
    const reports: InstanceReport[] = [];
    const pending: ContainerInstanceState[] = [];
    for (const instance of instances) {
      const heartbeat = await scope.isolate([instance.ec2InstanceId], () => this.deps.autoScaling.recordHeartbeat(instance.ec2InstanceId));
      if (heartbeat === 'gone') {
        this.logFor(instance.ec2InstanceId).info('no lifecycle action is pending for this instance: it is not drained');
        reports.push({ instanceId: instance.ec2InstanceId, outcome: 'action-gone' });
      } else if (heartbeat === 'done') {
        pending.push(instance);
      }
    }
    const marker = newMarker(this.owner, this.nowSeconds(), DrainTrigger.LIFECYCLE_ACTION);
    const drains: Drain[] = [];
    for (const instance of pending) {
      const write = await scope.isolate([instance.ec2InstanceId], () => this.deps.ecs.putMarker(instance.arn, encodeMarker(marker)));
      if (write !== undefined) drains.push({ instance, marker, recorded: write === 'recorded' });
    }
    return { reports, drains };
  }

  /**
   * Checks the tasks of drains just started or adopted, with the counts `counted` holds (nothing has stopped yet).
   * `announce` counts, logs and publishes the start (given the counts ECS reported). No new instance is checked when
   * time is short: it is DRAINING by then, and the next sweep checks it.
   */
  private async checkStarted(
    drains: readonly Drain[], counted: ReadonlyMap<string, ContainerInstanceState>, scope: WorkScope,
    announce: (drain: Drain, log: Logger, current: ContainerInstanceState) => Promise<void>,
  ): Promise<InstanceReport[]> {
    const reports: InstanceReport[] = [];
    for (const drain of drains) {
      const { instance } = drain;
      const current = counted.get(instance.arn);
      if (!current) {
        scope.fail([instance.ec2InstanceId], new DrainError(`ECS did not describe ${instance.arn}, which it had just set DRAINING`));
        continue;
      }
      await announce(drain, this.drainLog(drain), current);
      if (!scope.hasTime()) continue;
      const report = await scope.isolate([instance.ec2InstanceId], () => this.evaluate({ ...drain, instance: current }));
      if (report) reports.push(report);
    }
    return reports;
  }

  /**
   * Drains that were DRAINING already and whose marker ECS refused: the sweep finds them again at every run, so the
   * drain start comes from AWS, as the start of the termination's scaling activity. When it cannot be found the
   * drain is timed from now, and so never times out: Auto Scaling's own limit for the action ends it.
   */
  private async timeUnrecordedAdoptions(drains: readonly Drain[]): Promise<Drain[]> {
    const unrecorded = drains.filter((d) => !d.recorded).map((d) => d.instance.ec2InstanceId);
    if (unrecorded.length === 0) return [...drains];
    const started = await this.deps.autoScaling.terminationStartTimes(unrecorded);
    return drains.map((d) => {
      const at = started.get(d.instance.ec2InstanceId);
      return d.recorded || at === undefined ? d : { ...d, marker: { ...d.marker, drainStartedAt: at, lastCheckedAt: at } };
    });
  }

  /** Counts and logs a drain whose marker ECS refused. */
  reportUnrecorded(drain: Drain): void {
    this.deps.metrics.count(MetricName.DRAINS_WITHOUT_MARKER);
    this.logFor(drain.instance.ec2InstanceId, { containerInstanceArn: drain.instance.arn }).warn(
      'ECS refused the drain marker (the container instance already has 10 custom attributes): the drain goes on '
      + 'without it, checked by every sweep', { drainStartedAt: drain.marker.drainStartedAt });
  }

  /**
   * Checks whether every task on a DRAINING instance is STOPPED and acts: complete, stop standalone tasks,
   * time out, or keep the lifecycle action alive.
   */
  async evaluate(drain: Drain): Promise<InstanceReport> {
    return this.check(drain, { heartbeatJustSent: false });
  }

  /** {@link evaluate}, after an ECS event reported `taskArn` STOPPED: that task needs no DescribeTasks. */
  async evaluateAfterTaskStopped(drain: Drain, taskArn: string): Promise<InstanceReport> {
    return this.check(drain, { knownStopped: taskArn, heartbeatJustSent: false });
  }

  /**
   * {@link evaluate} of a drain whose heartbeat was just sent ({@link keepAliveBeforeCheck}): a drain still waiting
   * gets its blocking tasks logged, as every heartbeat does.
   */
  async evaluateAfterHeartbeat(drain: Drain): Promise<InstanceReport> {
    return this.check(drain, { heartbeatJustSent: true });
  }

  /**
   * The check behind every evaluate. `knownStopped`: a task an ECS event reported STOPPED. `heartbeatJustSent`: the
   * caller sent the drain's heartbeat a moment ago, so the blocking tasks are logged as at a heartbeat.
   */
  private async check(drain: Drain, how: { knownStopped?: string; heartbeatJustSent: boolean }): Promise<InstanceReport> {
    const { config, ecs, autoScaling, metrics } = this.deps;
    const { instance, marker } = drain;
    const instanceId = instance.ec2InstanceId;
    const log = this.drainLog(drain);
    const now = this.nowSeconds();

    let blocking = instance.runningTasksCount + instance.pendingTasksCount;
    // The blocking tasks, when this check listed them (the counts alone often decide, and cost no call).
    let blockers: readonly TaskState[] | undefined;
    let standaloneRunning: TaskState[] = [];
    if (!countsProveNotDrained(instance, config.standaloneTaskPolicy)) {
      const tasks = await this.listAllTasks(instance, how.knownStopped);
      const assessment = assessTasks(tasks, config.standaloneTaskPolicy);
      blocking = assessment.blocking.length;
      blockers = assessment.blocking;
      standaloneRunning = [...assessment.standaloneRunning];
      if (assessment.stillStopping.length > 0 && instance.runningTasksCount === 0) {
        // runningTasksCount says 0, but tasks are still deregistering or stopping: completing now would cut them.
        metrics.count(MetricName.PREMATURE_COMPLETION_GUARDS);
        log.info('tasks are still stopping although runningTasksCount is 0: not drained yet', {
          stillStopping: assessment.stillStopping.map((t) => ({ taskArn: t.arn, lastStatus: t.lastStatus })),
        });
      }
      if (assessment.drained && this.retention && marker.phase === DrainPhase.RETAINED) {
        const released = await this.retention.releaseDrained(this, drain);
        // One Drain Completed per drain: when the instance is let go (a new action after that, if the termination runs
        // the hooks again, is the same drain).
        if (released.outcome === 'released') {
          await this.publish(DrainEventType.COMPLETED, drain, { blockingTaskCount: 0, blockingTasks: [] });
        }
        return released;
      }
      if (assessment.drained) {
        const result = await autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
        if (result === 'gone') {
          log.info('drained, and the lifecycle action was already completed');
          return { instanceId, outcome: 'action-gone' };
        }
        metrics.count(MetricName.DRAINS_COMPLETED);
        metrics.seconds(MetricName.DRAIN_DURATION, now - marker.drainStartedAt);
        log.info(DrainLogMessage.DRAINED, { drainSeconds: now - marker.drainStartedAt });
        await this.publish(DrainEventType.COMPLETED, drain, { blockingTaskCount: 0, blockingTasks: [], lifecycleActionResult: 'CONTINUE' });
        return { instanceId, outcome: 'completed' };
      }
    }

    if (standaloneRunning.length > 0 && standaloneGraceOver(now, marker, config)) {
      for (const task of standaloneRunning) {
        await ecs.stopTask(task.arn, `ecs-draining-lifecycle-hook: instance ${instanceId} is terminating`);
      }
      metrics.count(MetricName.STANDALONE_TASKS_STOPPED, standaloneRunning.length);
      log.info('stopped standalone tasks after the grace period', { taskArns: standaloneRunning.map((t) => t.arn) });
    }

    // A retained drain has no lifecycle action to time out or keep alive (a new one, if its termination runs the
    // hooks again, ends with the hook's default result ABANDON: retained again).
    if (this.retention && marker.phase === DrainPhase.RETAINED) return this.retention.keepWaiting(this, drain, blocking);
    if (drainTimedOut(now, marker, config) && this.retention) {
      const retained = await this.retention.retain(this, drain, blocking);
      if (retained.outcome === 'retained' || retained.outcome === 'timed-out') {
        await this.publish(retained.outcome === 'retained' ? DrainEventType.RETAINED : DrainEventType.TIMED_OUT, drain, {
          blockingTaskCount: blockers?.length ?? blocking, blockingTasks: blockers, lifecycleActionResult: 'ABANDON',
        });
      }
      return retained;
    }
    if (drainTimedOut(now, marker, config)) {
      // The action first (it is what the timeout is for); the tasks still running are named after it, best effort.
      const result = await autoScaling.completeLifecycleAction(instanceId, config.drainTimeoutResult);
      if (result === 'gone') return { instanceId, outcome: 'action-gone' };
      metrics.count(MetricName.DRAIN_TIMEOUTS);
      const named = blockers ?? await this.listBlockers(drain, log);
      const tasksNotStopped = named?.length ?? blocking;
      log.warn(DrainLogMessage.DRAIN_TIMED_OUT, {
        result: config.drainTimeoutResult, drainSeconds: now - marker.drainStartedAt, tasksNotStopped,
      });
      if (named) logBlockingTasks(log, named, 'timeout');
      await this.publish(DrainEventType.TIMED_OUT, drain, {
        blockingTaskCount: tasksNotStopped, blockingTasks: named, lifecycleActionResult: config.drainTimeoutResult,
      });
      return { instanceId, outcome: 'timed-out' };
    }

    if (heartbeatDue(now, marker, config)) return this.heartbeatNamingBlockers(drain, blockers);
    if (how.heartbeatJustSent) {
      const named = blockers ?? await this.listBlockers(drain, log);
      if (named) logBlockingTasks(log, named, 'heartbeat');
    }
    return { instanceId, outcome: 'waiting' };
  }

  /**
   * Keeps a waiting drain alive: a lifecycle action heartbeat, its time in the drain marker (when the drain has one),
   * and a log line for each task still blocking the drain. Naming them costs a task listing (ListTasks twice, and
   * DescribeTasks per 100 tasks) at each heartbeat, not at each task event.
   */
  async keepAlive(drain: Drain): Promise<InstanceReport> {
    return this.heartbeatNamingBlockers(drain, undefined);
  }

  /**
   * A heartbeat when one is due ({@link heartbeatDue}), for a drain held back before DRAINING (its tasks are not
   * named: the caller logs what holds it); `fields` go into its log line.
   */
  async keepAliveIfDue(drain: Drain, fields: Record<string, number>): Promise<InstanceReport> {
    const instanceId = drain.instance.ec2InstanceId;
    if (!heartbeatDue(this.nowSeconds(), drain.marker, this.deps.config)) return { instanceId, outcome: 'waiting' };
    if (!await this.sendHeartbeat(drain)) return { instanceId, outcome: 'action-gone' };
    this.drainLog(drain).info(DrainLogMessage.HEARTBEAT, fields);
    return { instanceId, outcome: 'waiting' };
  }

  /**
   * {@link keepAlive} for a drain whose tasks are checked right after ({@link evaluateAfterHeartbeat}), which names
   * the blocking tasks from its own listing: the heartbeat alone, with no task listing.
   */
  async keepAliveBeforeCheck(drain: Drain): Promise<InstanceReport> {
    const instanceId = drain.instance.ec2InstanceId;
    if (!await this.sendHeartbeat(drain)) return { instanceId, outcome: 'action-gone' };
    this.drainLog(drain).info(DrainLogMessage.HEARTBEAT);
    return { instanceId, outcome: 'waiting' };
  }

  /** A heartbeat, then the blocking tasks: `known` when the caller listed them, else listed now (best effort). */
  private async heartbeatNamingBlockers(drain: Drain, known: readonly TaskState[] | undefined): Promise<InstanceReport> {
    const instanceId = drain.instance.ec2InstanceId;
    if (!await this.sendHeartbeat(drain)) return { instanceId, outcome: 'action-gone' };
    const log = this.drainLog(drain);
    const named = known ?? await this.listBlockers(drain, log);
    log.info(DrainLogMessage.HEARTBEAT, named ? { tasksNotStopped: named.length } : {});
    if (named) logBlockingTasks(log, named, 'heartbeat');
    return { instanceId, outcome: 'waiting' };
  }

  /** Records a lifecycle action heartbeat, and its time in the drain marker; false when no action is pending. */
  private async sendHeartbeat(drain: Drain): Promise<boolean> {
    const { instance, marker } = drain;
    if (await this.deps.autoScaling.recordHeartbeat(instance.ec2InstanceId) === 'gone') {
      this.drainLog(drain).info('no lifecycle action is pending any more: stopped keeping it alive');
      return false;
    }
    if (drain.recorded) await this.deps.ecs.putMarker(instance.arn, encodeMarker({ ...marker, lastHeartbeatAt: this.nowSeconds() }));
    return true;
  }

  /**
   * The tasks still blocking a drain, to name them; undefined (and a WARN line) when they cannot be listed. Only for
   * the logs and the events: a failure here never changes the drain.
   */
  private async listBlockers(drain: Drain, log: Logger): Promise<readonly TaskState[] | undefined> {
    try {
      return assessTasks(await this.listAllTasks(drain.instance, undefined), this.deps.config.standaloneTaskPolicy).blocking;
    } catch (error) {
      log.warn('could not list the tasks still blocking the drain, to name them; the drain is not affected', { error });
      return undefined;
    }
  }

  /**
   * Every task on the instance that could still be running: desired RUNNING and desired STOPPED (they may still be
   * DEACTIVATING or STOPPING); ECS never sets a desired status of PENDING (ECS API Reference, ListTasks). Desired
   * RUNNING is listed even when runningTasksCount and pendingTasksCount are 0: AWS documents them as the tasks "in
   * the RUNNING status" and "in the PENDING status", so a task still PROVISIONING or ACTIVATING may be in neither.
   * `knownStopped` is a task an ECS event reported with lastStatus STOPPED: STOPPED is final, so it needs no
   * DescribeTasks (an instance whose last task just stopped is then often checked with no DescribeTasks at all).
   */
  private async listAllTasks(instance: ContainerInstanceState, knownStopped: string | undefined): Promise<TaskState[]> {
    const { ecs } = this.deps;
    // RUNNING first, then STOPPED: desired status only ever moves from RUNNING to STOPPED, so a task told to stop
    // between the two calls is in the second list. The other order would miss it in both, and complete too early.
    const arns = new Set<string>();
    for (const arn of await ecs.listTaskArns(instance.arn, 'RUNNING')) arns.add(arn);
    for (const arn of await ecs.listTaskArns(instance.arn, 'STOPPED')) arns.add(arn);
    const stopped: TaskState[] = [];
    if (knownStopped !== undefined && arns.delete(knownStopped)) {
      stopped.push({ arn: knownStopped, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    }
    return arns.size === 0 ? stopped : [...stopped, ...await ecs.describeTasks([...arns])];
  }

  /** Sets a drained container instance ACTIVE again and removes its marker. */
  async reactivate(instance: ContainerInstanceState, message: string): Promise<InstanceReport> {
    const { failures } = await this.deps.ecs.updateStatus([instance.arn], 'ACTIVE');
    if (failures.length > 0) throw new DrainError(`ECS could not set ACTIVE: ${failures.map((f) => f.reason).join(', ')}`);
    // ACTIVE first, marker second: a marker left on an ACTIVE instance is harmless (the next drain overwrites it).
    await this.deps.ecs.deleteMarker(instance.arn);
    this.deps.metrics.count(MetricName.WARM_POOL_REACTIVATIONS);
    this.logFor(instance.ec2InstanceId).info(message, { containerInstanceArn: instance.arn });
    return { instanceId: instance.ec2InstanceId, outcome: 'reactivated' };
  }
}

/** ECS refused to set these container instances DRAINING. */
function refusal(failures: readonly StatusFailure[]): DrainError {
  return new DrainError(failures.map((f) => `ECS could not set DRAINING: ${f.arn} (${f.reason})`).join(', '));
}
