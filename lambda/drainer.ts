/**
 * The drain workflow: reads state back from AWS on every trigger, applies the pure decisions, and makes the calls.
 * Nothing is remembered between invocations; the drain start and last heartbeat live in an ECS attribute.
 */
import type { DrainConfig } from './config';
import {
  type ContainerInstanceState,
  DRAIN_WAIT_STATES,
  type TaskState,
  WARM_POOL_TERMINATING_STATE,
  assessTasks,
  countsProveNotDrained,
  drainTimedOut,
  heartbeatDue,
  isInServiceState,
  ownMarker,
  planInstance,
  standaloneGraceOver,
  sweepAction,
} from './decisions';
import { type DrainMarker, DrainTrigger, encodeMarker, newMarker, ownerId } from './drain-marker';
import type { Trigger } from './events';
import {
  type AutoScalingGateway, type Clock, ClusterNotFoundError, type EcsGateway, type GroupInstance, type StatusFailure, UPDATE_STATE_BATCH,
  chunk, isTransientAwsError,
} from './ports';
import { type Logger, MetricName, type Metrics } from './telemetry';

export type InstanceOutcome =
  | 'completed' // drained: lifecycle action completed with CONTINUE
  | 'completed-unmanaged' // nothing to drain (not registered, not drainable, from the warm pool)
  | 'timed-out' // drainTimeout reached: completed with the configured result
  | 'waiting' // tasks still running or stopping
  | 'action-gone' // no lifecycle action pending any more (completed by an earlier or concurrent invocation, or expired)
  | 'reactivated' // returned from the warm pool and set ACTIVE again
  | 'drain-started-early' // Spot interruption warning: set DRAINING before the lifecycle action
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
interface Drain {
  readonly instance: ContainerInstanceState;
  readonly marker: DrainMarker;
  readonly recorded: boolean;
}

/** How a sweep runs a batch of instances: failures are reported per instance, and time is limited. */
interface BatchContext {
  failed(instanceIds: readonly string[], error: unknown): void;
  remainingMs(): number;
}

/**
 * Runs `work` for each item, SWEEP_CONCURRENCY at a time, and collects the reports; a failure is the item's own
 * (`ids` names its instances in the log).
 */
type SweepRunner = <T>(items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<InstanceReport[]>) => Promise<void>;

/** How many instances one sweep works on at once: enough for hundreds of instances, gentle on ECS throttling. */
export const SWEEP_CONCURRENCY = 8;
/** A sweep stops taking new instances when less than this is left of the invocation; the next sweep goes on. */
export const SWEEP_RESERVE_MS = 60_000;
/**
 * A sweep stops taking new instances this long before the next sweep is due, so that sweeps that run long (ECS
 * throttling) do not pile up and multiply the load: at most two overlap, briefly, whatever the cluster's size.
 */
export const SWEEP_OVERLAP_MARGIN_MS = 10_000;
/**
 * The sweep sets ACTIVE again a drained instance that Auto Scaling shows in service only when its drain marker is at
 * least this old: a drain that began after the group was read (a new scale-in) is never undone.
 */
export const RECONCILE_MIN_AGE_SECONDS = 120;

export class Drainer {
  private readonly owner: string;

  constructor(private readonly deps: DrainerDeps) {
    this.owner = ownerId(deps.config.autoScalingGroupName, deps.config.lifecycleHookName);
  }

  /** Handles one trigger. `remainingMs` tells how long the invocation may still run. */
  async handle(trigger: Trigger, remainingMs: () => number = () => Infinity): Promise<InstanceReport[]> {
    switch (trigger.kind) {
      case 'lifecycle-action':
        return [await this.onLifecycleAction(trigger.instanceId, trigger.origin)];
      case 'task-stopped':
        return this.onTaskStopped(trigger.containerInstanceArn, trigger.taskArn);
      case 'sweep':
        return this.sweep(remainingMs);
      case 'warm-pool-return':
        return [await this.onWarmPoolReturn(trigger.instanceId, trigger.occurredAt)];
      case 'spot-interruption':
        return [await this.onSpotInterruption(trigger.instanceId)];
      case 'ignored':
        this.deps.log.info('event ignored', { reason: trigger.reason, ...(trigger.instanceId ? { instanceId: trigger.instanceId } : {}) });
        return [];
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.deps.clock.now() / 1000);
  }

  private logFor(instanceId: string, extra: Record<string, unknown> = {}): Logger {
    return this.deps.log.child({ instanceId, ...extra });
  }

  async onLifecycleAction(instanceId: string, origin?: string): Promise<InstanceReport> {
    if (origin === 'WarmPool') {
      // Instances waiting in the warm pool are not in service and run no tasks.
      return this.completeUnmanaged(instanceId, 'the instance terminates from the warm pool');
    }
    try {
      // The common case, an ACTIVE instance, costs one ListContainerInstances: the counts come back with
      // UpdateContainerInstancesState. Anything else (not registered, already DRAINING, ...) is described first.
      const activeArn = await this.deps.ecs.findActiveContainerInstanceArn(instanceId);
      if (activeArn) {
        const [report] = await this.startDrain([{ arn: activeArn, ec2InstanceId: instanceId, status: 'ACTIVE', runningTasksCount: 0, pendingTasksCount: 0 }], true);
        return report;
      }
      return await this.drain(instanceId, await this.deps.ecs.findContainerInstance(instanceId));
    } catch (error) {
      if (!(error instanceof ClusterNotFoundError)) throw error;
      return this.completeWithoutCluster(instanceId, error);
    }
  }

  /**
   * The cluster does not exist (deleted, or a wrong name): nothing in it can be drained, and holding the instance
   * would only delay the group. The lifecycle action is completed at once, loudly.
   */
  private async completeWithoutCluster(instanceId: string, error: ClusterNotFoundError): Promise<InstanceReport> {
    this.deps.metrics.count(MetricName.CLUSTER_NOT_FOUND);
    this.logFor(instanceId).error('the ECS cluster does not exist: completing the lifecycle action without a drain', {
      cluster: error.cluster, error,
    });
    const result = await this.deps.autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
    return { instanceId, outcome: result === 'gone' ? 'action-gone' : 'completed-unmanaged' };
  }

  /** Plans and acts for one instance of the group that has a pending lifecycle action. */
  private async drain(instanceId: string, instance: ContainerInstanceState | undefined): Promise<InstanceReport> {
    const plan = planInstance(instance, this.owner);
    switch (plan.action) {
      case 'complete':
        if (!instance) this.deps.metrics.count(MetricName.INSTANCES_NOT_REGISTERED);
        return this.completeUnmanaged(instanceId, plan.reason);
      case 'start-drain':
      case 'adopt-drain': {
        const started = await this.startDrain([instance!], plan.action === 'start-drain');
        return started[0];
      }
      case 'evaluate':
        return this.evaluate({ instance: instance!, marker: plan.marker, recorded: true });
    }
  }

  private async completeUnmanaged(instanceId: string, reason: string): Promise<InstanceReport> {
    const result = await this.deps.autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
    this.logFor(instanceId).info('completed the lifecycle action at once: nothing to drain', { reason, lifecycleAction: result });
    return { instanceId, outcome: result === 'gone' ? 'action-gone' : 'completed-unmanaged' };
  }

  /**
   * Starts draining instances that have a pending lifecycle action. First a heartbeat, which both proves the action
   * is still pending (a late duplicate event must not drain an instance that is back in service) and resets its
   * timer; then the drain start is recorded and the ACTIVE ones are set DRAINING (in one call: at most 10); then their
   * tasks are checked at once, so an idle instance completes right away.
   *
   * ECS refuses the marker of an instance that already carries 10 custom attributes (its limit per resource). The
   * drain goes on without it: the instance is set DRAINING all the same, and the sweep checks it at every run (the
   * task events cannot tell such a drain from another hook's), timing it from the termination's scaling activity.
   *
   * With `batch` (the sweep), each instance is handled on its own: a failure is passed to `batch.failed` and the
   * other instances go on, and no new instance is checked when the invocation is nearly out of time (it is DRAINING
   * with its marker by then: the next sweep checks it). Without it (one event), the first failure is thrown.
   */
  private async startDrain(
    instances: readonly ContainerInstanceState[], setDraining: boolean, batch?: BatchContext,
  ): Promise<InstanceReport[]> {
    const reports: InstanceReport[] = [];
    const each = async <T>(instance: ContainerInstanceState, work: () => Promise<T>): Promise<T | undefined> => {
      if (!batch) return work();
      try {
        return await work();
      } catch (error) {
        batch.failed([instance.ec2InstanceId], error);
        return undefined;
      }
    };

    const pending: ContainerInstanceState[] = [];
    for (const instance of instances) {
      const heartbeat = await each(instance, () => this.deps.autoScaling.recordHeartbeat(instance.ec2InstanceId));
      if (heartbeat === 'gone') {
        this.logFor(instance.ec2InstanceId).info('no lifecycle action is pending for this instance: it is not drained');
        reports.push({ instanceId: instance.ec2InstanceId, outcome: 'action-gone' });
      } else if (heartbeat === 'done') {
        pending.push(instance);
      }
    }

    const marker = newMarker(this.owner, this.nowSeconds(), DrainTrigger.LIFECYCLE_ACTION);
    const marked: Drain[] = [];
    for (const instance of pending) {
      const write = await each(instance, () => this.deps.ecs.putMarker(instance.arn, encodeMarker(marker)));
      if (write !== undefined) marked.push({ instance, marker, recorded: write === 'recorded' });
    }
    if (marked.length === 0) return reports;
    const drains = setDraining ? marked : await this.timeUnrecordedAdoptions(marked);

    // The counts to evaluate with: for an instance set DRAINING here, the ones ECS answers the update with.
    const counted = new Map<string, ContainerInstanceState>();
    let refused: readonly StatusFailure[] = [];
    let refusedArns = new Set<string>();
    if (setDraining) {
      const update = await this.deps.ecs.updateStatus(drains.map((d) => d.instance.arn), 'DRAINING');
      refused = update.failures;
      refusedArns = new Set(refused.map((f) => f.arn));
      for (const ci of update.updated) counted.set(ci.arn, ci);
      // An instance ECS neither updated nor refused is described, so it is never evaluated with unknown counts.
      const unanswered = drains.filter((d) => !counted.has(d.instance.arn) && !refusedArns.has(d.instance.arn)).map((d) => d.instance.arn);
      if (unanswered.length > 0) {
        for (const ci of await this.deps.ecs.describeContainerInstances(unanswered)) counted.set(ci.arn, ci);
      }
    } else {
      for (const drain of drains) counted.set(drain.instance.arn, drain.instance);
    }
    const errors: string[] = refused.map((f) => `ECS could not set DRAINING: ${f.arn} (${f.reason})`);
    if (batch && refused.length > 0) {
      batch.failed(drains.filter((d) => refusedArns.has(d.instance.arn)).map((d) => d.instance.ec2InstanceId), new DrainError(errors.join(', ')));
    }

    for (const drain of drains) {
      const { instance } = drain;
      const current = counted.get(instance.arn);
      if (!current) {
        if (refusedArns.has(instance.arn)) continue;
        const message = `ECS did not describe ${instance.arn}, which it had just set DRAINING`;
        if (batch) batch.failed([instance.ec2InstanceId], new DrainError(message));
        else errors.push(message);
        continue;
      }
      const log = this.logFor(instance.ec2InstanceId, { containerInstanceArn: instance.arn });
      if (drain.recorded || setDraining) this.deps.metrics.count(MetricName.DRAINS_STARTED);
      if (!drain.recorded) this.reportUnrecorded(drain);
      if (setDraining) log.info('set the container instance to DRAINING');
      else if (drain.recorded) log.info('the container instance was already DRAINING: waiting for its tasks');
      if (batch && batch.remainingMs() <= SWEEP_RESERVE_MS) continue; // its marker is there: the next sweep checks it
      // The counts ECS reported with DRAINING (or, for an instance not set here, before): nothing has stopped yet.
      const report = await each(instance, () => this.evaluate({ ...drain, instance: current }));
      if (report) reports.push(report);
    }
    if (!batch && errors.length > 0) throw new DrainError(errors.join('; '));
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

  private reportUnrecorded(drain: Drain): void {
    this.deps.metrics.count(MetricName.DRAINS_WITHOUT_MARKER);
    this.logFor(drain.instance.ec2InstanceId, { containerInstanceArn: drain.instance.arn }).warn(
      'ECS refused the drain marker (the container instance already has 10 custom attributes): the drain goes on '
      + 'without it, checked by every sweep', { drainStartedAt: drain.marker.drainStartedAt });
  }

  /**
   * Checks whether every task on a DRAINING instance is STOPPED and acts: complete, stop standalone tasks,
   * time out, or keep the lifecycle action alive.
   */
  private async evaluate(drain: Drain, knownStopped?: string): Promise<InstanceReport> {
    const { config, ecs, autoScaling, metrics } = this.deps;
    const { instance, marker } = drain;
    const instanceId = instance.ec2InstanceId;
    const log = this.logFor(instanceId, { containerInstanceArn: instance.arn });
    const now = this.nowSeconds();

    let blocking = instance.runningTasksCount + instance.pendingTasksCount;
    let standaloneRunning: TaskState[] = [];
    if (!countsProveNotDrained(instance, config.standaloneTaskPolicy)) {
      const tasks = await this.listAllTasks(instance, knownStopped);
      const assessment = assessTasks(tasks, config.standaloneTaskPolicy);
      blocking = assessment.blocking.length;
      standaloneRunning = [...assessment.standaloneRunning];
      if (assessment.stillStopping.length > 0 && instance.runningTasksCount === 0) {
        // runningTasksCount says 0, but tasks are still deregistering or stopping: completing now would cut them.
        metrics.count(MetricName.PREMATURE_COMPLETION_GUARDS);
        log.info('tasks are still stopping although runningTasksCount is 0: not drained yet', {
          stillStopping: assessment.stillStopping.map((t) => ({ taskArn: t.arn, lastStatus: t.lastStatus })),
        });
      }
      if (assessment.drained) {
        const result = await autoScaling.completeLifecycleAction(instanceId, 'CONTINUE');
        if (result === 'gone') {
          log.info('drained, and the lifecycle action was already completed');
          return { instanceId, outcome: 'action-gone' };
        }
        metrics.count(MetricName.DRAINS_COMPLETED);
        metrics.seconds(MetricName.DRAIN_DURATION, now - marker.drainStartedAt);
        log.info('drained: every task is STOPPED; completed the lifecycle action', { drainSeconds: now - marker.drainStartedAt });
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

    if (drainTimedOut(now, marker, config)) {
      const result = await autoScaling.completeLifecycleAction(instanceId, config.drainTimeoutResult);
      if (result === 'gone') return { instanceId, outcome: 'action-gone' };
      metrics.count(MetricName.DRAIN_TIMEOUTS);
      log.warn('drain timed out with tasks still running; completed the lifecycle action', {
        result: config.drainTimeoutResult, drainSeconds: now - marker.drainStartedAt, tasksNotStopped: blocking,
      });
      return { instanceId, outcome: 'timed-out' };
    }

    if (heartbeatDue(now, marker, config)) return this.keepAlive(drain, blocking);
    return { instanceId, outcome: 'waiting' };
  }

  /** Records a lifecycle action heartbeat, and its time in the drain marker (when the drain has one). */
  private async keepAlive(drain: Drain, tasksNotStopped?: number): Promise<InstanceReport> {
    const { instance, marker } = drain;
    const instanceId = instance.ec2InstanceId;
    const log = this.logFor(instanceId, { containerInstanceArn: instance.arn });
    if (await this.deps.autoScaling.recordHeartbeat(instanceId) === 'gone') {
      log.info('no lifecycle action is pending any more: stopped keeping it alive');
      return { instanceId, outcome: 'action-gone' };
    }
    if (drain.recorded) await this.deps.ecs.putMarker(instance.arn, encodeMarker({ ...marker, lastHeartbeatAt: this.nowSeconds() }));
    log.info('recorded a lifecycle action heartbeat', tasksNotStopped !== undefined ? { tasksNotStopped } : {});
    return { instanceId, outcome: 'waiting' };
  }

  /**
   * Every task on the instance that could still be running: desired RUNNING and desired STOPPED (they may still be
   * DEACTIVATING or STOPPING); ECS never sets a desired status of PENDING (ECS API Reference, ListTasks). Desired
   * RUNNING is listed even when runningTasksCount and pendingTasksCount are 0: AWS documents them as the tasks "in
   * the RUNNING status" and "in the PENDING status", so a task still PROVISIONING or ACTIVATING may be in neither.
   * `knownStopped` is a task an ECS event reported with lastStatus STOPPED: STOPPED is final, so it needs no
   * DescribeTasks (an instance whose last task just stopped is then often checked with no DescribeTasks at all).
   */
  private async listAllTasks(instance: ContainerInstanceState, knownStopped?: string): Promise<TaskState[]> {
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

  /** An ECS event said a task of the cluster reached STOPPED: if it was the last one on a drain of ours, complete. */
  async onTaskStopped(containerInstanceArn: string, taskArn?: string): Promise<InstanceReport[]> {
    const [instance] = await this.deps.ecs.describeContainerInstances([containerInstanceArn]);
    if (!instance || instance.status !== 'DRAINING') return [];
    const marker = ownMarker(instance, this.owner);
    // Not drained by this hook: another hook (or nobody) is waiting for it.
    if (!marker) return [];
    return [await this.evaluate({ instance, marker, recorded: true }, taskArn)];
  }

  /**
   * The safety net, run on a schedule: finds every instance of the group in which a termination action of this hook
   * can be pending (Terminating:Wait, and Warmed:Pending:Wait for a scale-in into the warm pool) and makes sure it is
   * kept alive, draining (a lost lifecycle event), timed out, or completed (a lost task event). It completes warm-pool
   * instances that terminate (nothing runs on them), and sets ACTIVE again drained instances that came back into
   * service from the warm pool when that event was lost.
   *
   * Heartbeats go first: they are the work with a deadline. Each instance (each batch of 10 for drains to start)
   * is handled on its own: a failure is logged and counted, and does not keep the sweep from the other instances;
   * the next sweep tries again. A sweep takes no new instance once the next one is nearly due, so sweeps that run
   * long do not pile up.
   */
  async sweep(remainingMs: () => number): Promise<InstanceReport[]> {
    const { autoScaling, ecs, log, metrics, clock, config } = this.deps;
    const reports: InstanceReport[] = [];
    let failures = 0;
    const nextSweepAt = clock.now() + config.sweepIntervalSeconds * 1000 - SWEEP_OVERLAP_MARGIN_MS;
    const budgetMs = () => Math.min(remainingMs(), nextSweepAt - clock.now() + SWEEP_RESERVE_MS);
    const batch: BatchContext = {
      remainingMs: budgetMs,
      failed: (instanceIds, error) => {
        failures += 1;
        metrics.count(MetricName.HANDLER_ERRORS);
        log.error('sweep could not handle these instances; the next sweep tries again', { instanceIds, error });
      },
    };
    const run: SweepRunner = async (items, ids, work) => {
      await this.forEachBounded(items, budgetMs, async (item) => {
        try {
          reports.push(...await work(item));
        } catch (error) {
          batch.failed(ids(item), error);
        }
      });
    };

    const groupReadAt = this.nowSeconds();
    const group = await autoScaling.describeGroup();
    // The warm pool's instances, for a group that has one: a scale-in into the pool waits there, in
    // Warmed:Pending:Wait. Most groups have none, and the sweep runs every interval.
    let warmPool: GroupInstance[] = [];
    if (group.hasWarmPool) {
      try {
        warmPool = await autoScaling.describeWarmPoolInstances();
      } catch (error) {
        batch.failed([], error);
      }
    }
    const members = [...group.instances, ...warmPool];
    const waiting = [...new Set(members.filter((i) => DRAIN_WAIT_STATES.has(i.lifecycleState)).map((i) => i.instanceId))];
    const warmTerminating = members.filter((i) => i.lifecycleState === WARM_POOL_TERMINATING_STATE);
    const reconciling = group.hasWarmPool && config.warmPoolReactivation;

    let draining: Map<string, ContainerInstanceState> | undefined;
    if (waiting.length > 0 || reconciling) {
      try {
        draining = new Map((await ecs.listDrainingContainerInstances()).map((ci) => [ci.ec2InstanceId, ci]));
      } catch (error) {
        if (error instanceof ClusterNotFoundError) {
          // Nothing can be drained in a cluster that does not exist: let every waiting instance go.
          await run(waiting, (id) => [id], async (id) => [await this.completeWithoutCluster(id, error)]);
        } else if (!isTransientAwsError(error)) {
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
    if (draining && waiting.length > 0) await this.sweepWaiting(waiting, draining, batch, run);

    // Instances leaving from the warm pool have nothing to drain.
    await run(warmTerminating, (w) => [w.instanceId],
      async (w) => [await this.completeUnmanaged(w.instanceId, 'the instance terminates from the warm pool')]);

    if (draining && reconciling) {
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

  /** The sweep's work for the instances waiting to terminate, given the DRAINING container instances of the cluster. */
  private async sweepWaiting(
    waiting: readonly string[],
    draining: ReadonlyMap<string, ContainerInstanceState>,
    batch: BatchContext,
    run: SweepRunner,
  ): Promise<void> {
    const { ecs, config } = this.deps;
    const now = this.nowSeconds();
    const toEvaluate: Drain[] = [];
    const toKeepAlive: Drain[] = [];
    const checkAfterHeartbeat: Drain[] = [];
    const toLookUp: string[] = [];
    const toAdopt: ContainerInstanceState[] = [];
    for (const instanceId of waiting) {
      const instance = draining.get(instanceId);
      if (!instance) { toLookUp.push(instanceId); continue; }
      const marker = ownMarker(instance, this.owner);
      if (!marker) { toAdopt.push(instance); continue; }
      const drain: Drain = { instance, marker, recorded: true };
      const action = sweepAction(now, instance, marker, config);
      if (action === 'heartbeat') toKeepAlive.push(drain);
      else if (action === 'evaluate' && heartbeatDue(now, marker, config)) checkAfterHeartbeat.push(drain);
      else if (action === 'evaluate') toEvaluate.push(drain);
    }

    // Heartbeats first: they are the work with a deadline. An instance that is also due for a task check gets its
    // heartbeat here too, so a check that fails (or never runs) cannot let the action expire.
    await run(toKeepAlive, (d) => [d.instance.ec2InstanceId], async (drain) => [await this.keepAlive(drain)]);
    const heartbeat = new Map<string, InstanceOutcome>();
    await run(checkAfterHeartbeat, (d) => [d.instance.ec2InstanceId], async (drain) => {
      const report = await this.keepAlive(drain);
      heartbeat.set(drain.instance.arn, report.outcome);
      return report.outcome === 'action-gone' ? [report] : [];
    });
    for (const drain of checkAfterHeartbeat) {
      const outcome = heartbeat.get(drain.instance.arn);
      // No pending action: nothing to check. A heartbeat that failed (no outcome) is tried again by the check.
      if (outcome === 'action-gone') continue;
      toEvaluate.push(outcome === undefined ? drain : { ...drain, marker: { ...drain.marker, lastHeartbeatAt: now } });
    }

    // Lost lifecycle events: find the instances, then start their drains in batches of 10.
    const toStart: ContainerInstanceState[] = [];
    const others: Array<{ id: string; instance?: ContainerInstanceState }> = [];
    await run(toLookUp, (id) => [id], async (id) => {
      const instance = await ecs.findContainerInstance(id);
      const plan = planInstance(instance, this.owner);
      if (plan.action === 'start-drain') toStart.push(instance!);
      else if (plan.action === 'adopt-drain') toAdopt.push(instance!);
      else others.push({ id, instance });
      return [];
    });
    const ec2Ids = (instances: readonly ContainerInstanceState[]) => instances.map((i) => i.ec2InstanceId);
    await run(chunk(toStart, UPDATE_STATE_BATCH), ec2Ids, (instances) => this.startDrain(instances, true, batch));
    await run(chunk(toAdopt, UPDATE_STATE_BATCH), ec2Ids, (instances) => this.startDrain(instances, false, batch));
    await run(others, ({ id }) => [id], async ({ id, instance }) => [await this.drain(id, instance)]);
    await run(toEvaluate, (d) => [d.instance.ec2InstanceId], async (drain) => [await this.sweepCheck(drain)]);
  }

  /**
   * A task check by the sweep. Its time is recorded in the marker when the drain goes on, so the next back-off
   * point is judged from it (unless the check's own heartbeat recorded it already).
   */
  private async sweepCheck(drain: Drain): Promise<InstanceReport> {
    const now = this.nowSeconds();
    const checked: Drain = { ...drain, marker: { ...drain.marker, lastCheckedAt: now } };
    const heartbeatWillRecord = heartbeatDue(now, checked.marker, this.deps.config);
    const report = await this.evaluate(checked);
    if (report.outcome === 'waiting' && drain.recorded && !heartbeatWillRecord) {
      await this.deps.ecs.putMarker(drain.instance.arn, encodeMarker(checked.marker));
    }
    return report;
  }

  /** Runs `fn` over items, SWEEP_CONCURRENCY at a time, and takes no new item when the invocation is nearly out of time. */
  private async forEachBounded<T>(items: readonly T[], remainingMs: () => number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length && remainingMs() > SWEEP_RESERVE_MS) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, items.length) }, worker));
    if (next < items.length) this.deps.log.warn('sweep ran out of time; the next sweep continues', { left: items.length - next });
  }

  /** `occurredAt`: when the instance returned (the event's time, epoch seconds), if known. */
  async onWarmPoolReturn(instanceId: string, occurredAt?: number): Promise<InstanceReport> {
    const log = this.logFor(instanceId);
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
    const marker = instance ? ownMarker(instance, this.owner) : undefined;
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
    return this.reactivate(instance, 'instance returned from the warm pool: set its container instance ACTIVE again');
  }

  /**
   * A lost warm-pool return: a container instance this hook drained for a termination is DRAINING, while Auto Scaling
   * (read at `groupReadAt`) shows its instance in service, where no termination action can be pending. Only a drain
   * older than the read (by {@link RECONCILE_MIN_AGE_SECONDS}) is undone, so a drain that a new scale-in starts
   * meanwhile goes on; Spot-warning drains (the instance is about to be reclaimed) and drains of unknown cause
   * (markers of earlier releases) are left alone.
   */
  private async reconcileReturned(instance: ContainerInstanceState, groupReadAt: number): Promise<InstanceReport | undefined> {
    const marker = ownMarker(instance, this.owner);
    if (!marker || marker.trigger !== DrainTrigger.LIFECYCLE_ACTION) return undefined;
    const newest = Math.max(marker.drainStartedAt, marker.lastHeartbeatAt, marker.lastCheckedAt);
    if (newest > groupReadAt - RECONCILE_MIN_AGE_SECONDS) return undefined;
    return this.reactivate(instance, 'instance is in service again, but its return from the warm pool was not seen: set its container instance ACTIVE again');
  }

  private async reactivate(instance: ContainerInstanceState, message: string): Promise<InstanceReport> {
    const { failures } = await this.deps.ecs.updateStatus([instance.arn], 'ACTIVE');
    if (failures.length > 0) throw new DrainError(`ECS could not set ACTIVE: ${failures.map((f) => f.reason).join(', ')}`);
    // ACTIVE first, marker second: a marker left on an ACTIVE instance is harmless (the next drain overwrites it).
    await this.deps.ecs.deleteMarker(instance.arn);
    this.deps.metrics.count(MetricName.WARM_POOL_REACTIVATIONS);
    this.logFor(instance.ec2InstanceId).info(message, { containerInstanceArn: instance.arn });
    return { instanceId: instance.ec2InstanceId, outcome: 'reactivated' };
  }

  async onSpotInterruption(instanceId: string): Promise<InstanceReport> {
    const log = this.logFor(instanceId);
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
    const marker = newMarker(this.owner, this.nowSeconds(), DrainTrigger.SPOT_INTERRUPTION);
    if (await this.deps.ecs.putMarker(instance.arn, encodeMarker(marker)) === 'quota-full') {
      // Set DRAINING all the same: the lifecycle action that follows adopts the drain.
      this.reportUnrecorded({ instance, marker, recorded: false });
    }
    const { failures } = await this.deps.ecs.updateStatus([instance.arn], 'DRAINING');
    if (failures.length > 0) throw new DrainError(`ECS could not set DRAINING: ${failures.map((f) => f.reason).join(', ')}`);
    this.deps.metrics.count(MetricName.SPOT_INTERRUPTION_DRAINS);
    log.info('spot interruption warning: set the container instance to DRAINING two minutes early', { containerInstanceArn: instance.arn });
    return { instanceId, outcome: 'drain-started-early' };
  }
}
