/**
 * DrainTimeoutBehavior.retain() in the handler: at drainTimeout the lifecycle action is completed with ABANDON into the
 * group's retained state, the drain goes on (task events and the sweep), and the drained instance is terminated
 * through Auto Scaling without decrementing the desired capacity. SDK calls are mocked (aws-sdk-client-mock, with the
 * in-memory FakeAws); behaviour over time is in test/e2e/retention.test.ts.
 */
import type { DrainConfig } from '../../lambda/config';
import type { DrainEvent } from '../../lambda/drain-events';
import { DRAIN_MARKER_ATTRIBUTE, DrainPhase, DrainTrigger, decodeMarker } from '../../lambda/drain-marker';
import { type Drainer } from '../../lambda/drainer';
import { classifyEvent } from '../../lambda/events';
import { CapturedLines, OWNER, config as baseConfig, lifecycleEvent, marker, scheduledEvent, taskStoppedEvent, sdkDrainer } from './fixtures';
import { FakeAws, type FakeInstance } from './mock-aws';

const I1 = 'i-0123456789abcdef0';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const T0S = T0 / 1000;
/** The retention configuration (DrainTimeoutBehavior.retain(), overdueAfter 7 days). */
const RETAIN: Partial<DrainConfig> = { drainTimeoutResult: 'ABANDON', retention: { overdueAfterSeconds: 7 * 86400 } };

class Harness {
  readonly aws = new FakeAws();
  readonly out = new CapturedLines();
  readonly events: DrainEvent[] = [];
  nowMs = T0;
  readonly config: DrainConfig;
  readonly drainer: Drainer;

  constructor(overrides: Partial<DrainConfig> = {}) {
    this.config = baseConfig({ drainTimeoutSeconds: 600, ...overrides });
    this.drainer = sdkDrainer(this.config, () => this.nowMs, this.out, this.events);
  }

  advance(seconds: number): void { this.nowMs += seconds * 1000; }
  send(event: unknown) { return this.drainer.handle(classifyEvent(event, this.config)); }
  lifecycle() { return this.send(lifecycleEvent({ EC2InstanceId: I1 })); }
  taskStopped(ci: FakeInstance) {
    const stopped = this.aws.tasks.find((t) => t.containerInstanceArn === ci.arn && t.lastStatus === 'STOPPED')!;
    return this.send(taskStoppedEvent({ containerInstanceArn: ci.arn, taskArn: stopped.arn }));
  }
  sweep() { return this.send(scheduledEvent(new Date(this.nowMs).toISOString())); }
  markerOf() { return decodeMarker(this.aws.instances[0].attributes.get(DRAIN_MARKER_ATTRIBUTE)); }
  resetCalls(): void {
    this.aws.ecs.resetHistory();
    this.aws.autoScaling.resetHistory();
  }
  logsAt(level: string): string[] { return this.out.logs().filter((l) => l.level === level).map((l) => l.message); }
}

let h: Harness;
afterEach(() => h.aws.restore());

/** GIVEN a drain of I1 with two service tasks that do not stop, WHEN drainTimeout passes and a sweep runs. */
async function drainTimedOut(overrides: Partial<DrainConfig>, retainOnAbandon = true): Promise<FakeInstance> {
  h = new Harness(overrides);
  h.aws.retainOnAbandon = retainOnAbandon;
  const ci = h.aws.addInstance(I1);
  h.aws.addTasks(ci, 2);
  h.aws.terminate(I1);
  await h.lifecycle();
  h.aws.applyDraining();
  h.advance(600);
  h.resetCalls();
  return ci;
}

/** GIVEN I1 already retained (Terminating:Retained), DRAINING with this hook's marker in the phase RETAINED. */
function retained(overrides: Partial<DrainConfig> = RETAIN, phase = DrainPhase.RETAINED, startedAt = T0S - 3600): FakeInstance {
  h = new Harness(overrides);
  h.aws.retainOnAbandon = true;
  const ci = h.aws.addInstance(I1, 'DRAINING');
  ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(startedAt, startedAt + 600, OWNER, startedAt + 600, DrainTrigger.LIFECYCLE_ACTION, phase));
  h.aws.addTasks(ci, 2, 'DEACTIVATING', 'STOPPED');
  h.aws.groupStates.set(I1, 'Terminating:Retained');
  return ci;
}

describe('at drainTimeout', () => {
  test('the lifecycle action is completed with ABANDON into the retained state: the tasks keep running, the marker says RETAINED', async () => {
    await drainTimedOut(RETAIN);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'retained' }]);
    expect(h.aws.completedWith(I1)).toBe('ABANDON');
    expect(h.aws.groupStates.get(I1)).toBe('Terminating:Retained');
    // the phase is recorded before the ABANDON, so a failure in between leaves a marker the next check acts on
    const calls = h.aws.calls();
    expect(calls.indexOf('DescribeAutoScalingGroups')).toBeLessThan(calls.lastIndexOf('PutAttributes'));
    expect(calls.lastIndexOf('PutAttributes')).toBeLessThan(calls.indexOf('CompleteLifecycleAction'));
    expect(h.markerOf()).toMatchObject({ drainStartedAt: T0S, phase: DrainPhase.RETAINED });
    expect(h.aws.tasks.every((t) => t.lastStatus === 'DEACTIVATING')).toBe(true);
    expect(calls).not.toContain('StopTask');
    expect(h.out.metricValues('DrainsRetained')).toEqual([1]);
    expect(h.out.metricValues('DrainTimeouts')).toEqual([]);
    expect(h.logsAt('WARN')).toEqual([expect.stringMatching(/^drainTimeout reached with tasks still running: completed the lifecycle action with ABANDON/)]);
    // a Drain Retained event, not Drain Timed Out: the tasks were not cut
    expect(h.events.map((e) => e.type)).toEqual(['Drain Started', 'Drain Retained']);
    expect(h.events[1].detail).toMatchObject({ instanceId: I1, lifecycleActionResult: 'ABANDON', blockingTaskCount: 2 });
  });

  test('without retention (the default), the same drain ends with the configured result and the instance terminates', async () => {
    await drainTimedOut({});
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.markerOf()?.phase).toBe(DrainPhase.DRAINING);
    expect(h.out.metricValues('DrainsRetained')).toEqual([]);
  });

  test('a group without the retention trigger: ABANDON terminates the instance, so it is an ERROR and a DrainTimeout', async () => {
    await drainTimedOut(RETAIN, false);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('ABANDON');
    expect(h.out.metricValues('DrainTimeouts')).toEqual([1]);
    expect(h.out.metricValues('DrainsRetained')).toEqual([]);
    expect(h.logsAt('ERROR')).toEqual([expect.stringMatching(/shows no instance lifecycle policy that retains instances on TerminateHookAbandon/)]);
  });

  test('an answer without the policy (a runtime SDK that predates it) while the group does retain: the marker says RETAINED, and the drain goes on', async () => {
    const ci = await drainTimedOut(RETAIN);
    h.aws.policyInAnswer = false;
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.groupStates.get(I1)).toBe('Terminating:Retained');
    expect(h.markerOf()?.phase).toBe(DrainPhase.RETAINED);
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'released' }]);
  });
});

test('with TaskProtectionPolicy.WAIT, a drain held by a protected task that reaches drainTimeout is set DRAINING and retained, the protected task running', async () => {
  h = new Harness({ ...RETAIN, taskProtectionPolicy: 'WAIT' });
  h.aws.retainOnAbandon = true;
  const ci = h.aws.addInstance(I1);
  const [task] = h.aws.addTasks(ci, 1);
  h.aws.protect([task], new Date(T0), 24 * 60);
  h.aws.terminate(I1);
  await h.lifecycle();
  expect(ci.status).toBe('ACTIVE');
  h.advance(600);
  expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'retained' }]);
  expect(ci.status).toBe('DRAINING');
  expect(h.aws.groupStates.get(I1)).toBe('Terminating:Retained');
  expect(h.markerOf()?.phase).toBe(DrainPhase.RETAINED);
  expect(task.lastStatus).toBe('RUNNING');
});

describe('a retained drain goes on', () => {
  test('a task event of a retained drain sends no lifecycle call; the last one terminates the instance through Auto Scaling, without decrementing', async () => {
    const ci = await drainTimedOut(RETAIN);
    await h.sweep();
    h.advance(3600);
    h.aws.tasks[0].lastStatus = 'STOPPED';
    h.resetCalls();
    // WHEN a task stops, and another still runs: it waits, with no heartbeat or completion (no action is pending)
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.calls().filter((c) => /Lifecycle|Terminate/.test(c))).toEqual([]);
    // WHEN the last task stops
    h.aws.tasks[1].lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'released' }]);
    // THEN Auto Scaling is asked to terminate it, keeping the desired capacity (the group replaced it when it was retained)
    expect(h.aws.terminations).toEqual([{ instanceId: I1, decrement: false }]);
    expect(h.aws.calls().slice(-2)).toEqual(['DescribeAutoScalingGroups', 'TerminateInstanceInAutoScalingGroup']);
    expect(h.out.metricValues('DrainsCompleted')).toEqual([1]);
    expect(h.out.metricValues('DrainDuration')).toEqual([600 + 3600]);
    expect(h.events.map((e) => e.type)).toEqual(['Drain Started', 'Drain Retained', 'Drain Completed']);
    // AND when the termination runs the hooks again, this hook's new action finds the drain done: CONTINUE
    expect(h.aws.groupStates.get(I1)).toBe('Terminating:Wait');
    h.resetCalls();
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.aws.terminations).toHaveLength(1);
    expect(h.events.map((e) => e.type)).toEqual(['Drain Started', 'Drain Retained', 'Drain Completed']);
  });

  test('when the termination does not run the hooks again, nothing is left to do', async () => {
    const ci = retained();
    h.aws.retainedTerminationRunsHooks = false;
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'released' }]);
    expect(h.aws.groupStates.get(I1)).toBe('Terminating');
    // a late duplicate task event: the instance is not retained any more, so nothing is terminated twice
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
    expect(h.aws.terminations).toHaveLength(1);
  });

  test('a new lifecycle action of a retained drain whose tasks still run is neither abandoned nor kept alive: its default result retains it again', async () => {
    const ci = retained();
    h.aws.terminate(I1); // someone terminated it by hand while its tasks run: the hooks run again
    h.advance(600);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();
    expect(h.aws.heartbeats).toEqual([]);
    expect(ci.status).toBe('DRAINING');
  });
});

describe('the sweep and retained instances', () => {
  test('finds them, reports them as gauges, and checks one whose task event was lost: it is terminated', async () => {
    const ci = retained();
    h.aws.stopAll(ci); // the task events were lost
    h.advance(1); // back-off: the last check (marker) was at T0S - 3000; a point passed since
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'released' }]);
    expect(h.aws.terminations).toEqual([{ instanceId: I1, decrement: false }]);
    expect(h.out.metricValues('InstancesRetained')).toEqual([1]);
    expect(h.out.metricValues('OldestRetainedDrainAge')).toEqual([3601]);
    expect(h.out.metricValues('RetainedDrainsOverdue')).toEqual([0]);
    // a retained instance is not waiting to terminate: the drain gauges do not count it
    expect(h.out.metricValues('InstancesDraining')).toEqual([0]);
  });

  test('a retained drain whose tasks ECS no longer counts is checked at least every 15 minutes, whatever the back-off says (a lost task event)', async () => {
    // GIVEN a drain three days old, last checked 10 minutes ago: its next back-off point is days away
    const ci = retained(RETAIN, DrainPhase.RETAINED, T0S - 3 * 86400);
    const started = T0S - 3 * 86400;
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(started, started, OWNER, T0S - 600, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.RETAINED));
    const listings = () => h.aws.calls().filter((c) => c === 'ListTasks').length;
    h.aws.ecs.resetHistory();
    await h.sweep();
    expect(listings()).toBe(0);
    h.advance(5 * 60);
    await h.sweep();
    expect(listings()).toBe(2);
    expect(h.markerOf()?.lastCheckedAt).toBe(T0S + 300);
    // WHEN its tasks stop and their events are lost THEN the next check 15 minutes on terminates it
    h.aws.stopAll(ci);
    h.advance(14 * 60);
    expect(await h.sweep()).toEqual([]);
    h.advance(60);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'released' }]);
    expect(h.aws.autoScaling.calls().map((c) => (c.args[0] as object).constructor.name)).not.toContain('RecordLifecycleActionHeartbeatCommand');
  });

  test('while ECS counts tasks running, the check lists none (the task events will tell), but still records the check', async () => {
    retained();
    for (const t of h.aws.tasks) { t.lastStatus = 'RUNNING'; t.desiredStatus = 'RUNNING'; }
    h.aws.ecs.resetHistory();
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.calls().filter((c) => c === 'ListTasks')).toEqual([]);
    expect(h.markerOf()?.lastCheckedAt).toBe(T0S);
  });

  test('an overdue retained drain: an ERROR at each check, and the RetainedDrainsOverdue gauge', async () => {
    retained(RETAIN, DrainPhase.RETAINED, T0S - 8 * 86400);
    await h.sweep();
    expect(h.out.metricValues('RetainedDrainsOverdue')).toEqual([1]);
    expect(h.logsAt('ERROR')).toEqual([expect.stringMatching(/^a retained instance is still draining past overdueAfter/)]);
    expect(h.aws.terminations).toEqual([]);
  });

  test('retained without this hook abandoning (its action expired with the default ABANDON): adopted, phase RETAINED, the drain goes on', async () => {
    const ci = retained(RETAIN, DrainPhase.DRAINING);
    await h.sweep();
    expect(h.markerOf()).toMatchObject({ phase: DrainPhase.RETAINED, drainStartedAt: T0S - 3600 });
    expect(h.logsAt('WARN')).toEqual([expect.stringMatching(/^the group retained this instance without this hook abandoning its lifecycle action/)]);
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci)).toEqual([{ instanceId: I1, outcome: 'released' }]);
  });

  test('a retained instance with another hook\'s marker, or not DRAINING, is not this hook\'s: reported, never terminated', async () => {
    const ci = retained();
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0S - 3600, T0S - 3600, '0123456789abcdef', T0S - 3600, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.RETAINED));
    h.aws.stopAll(ci);
    h.resetCalls();
    expect(await h.sweep()).toEqual([]);
    expect(h.out.metricValues('InstancesRetained')).toEqual([0]);
    expect(h.aws.mutatingCalls()).toEqual([]);
    ci.status = 'ACTIVE';
    expect(await h.sweep()).toEqual([]);
    expect(h.aws.mutatingCalls()).toEqual([]);
    // never terminated, but never unnoticed: they need a person
    expect(h.out.metricValues('RetainedDrainsOverdue')).toEqual([1, 1]);
    expect(h.logsAt('ERROR')).toEqual([expect.stringMatching(/^retained instances of the group that this hook does not drain/),
      expect.stringMatching(/^retained instances of the group that this hook does not drain/)]);
  });

  test('a retained instance whose marker ECS refused (10 custom attributes) is checked at every sweep and terminated once drained', async () => {
    const ci = retained();
    ci.attributes.delete(DRAIN_MARKER_ATTRIBUTE);
    h.aws.fillAttributes(ci);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.out.metricValues('InstancesRetained')).toEqual([1]);
    h.aws.stopAll(ci);
    h.advance(60);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'released' }]);
  });

  test('the reconciliation of drained instances back in service leaves a retained instance DRAINING (and does reactivate one in service)', async () => {
    const ci = retained();
    h.aws.warmPoolStates.set('i-0aaaaaaaaaaaaaaa0', 'Warmed:Stopped'); // a warm pool: the sweep reconciles
    h.advance(600);
    await h.sweep();
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.calls()).not.toContain('DeleteAttributes');
    expect(h.out.metricValues('WarmPoolReactivations')).toEqual([]);
    // the same container instance, shown in service: reconciled (the check above is not vacuous)
    h.aws.groupStates.set(I1, 'InService');
    h.advance(600);
    await h.sweep();
    expect(ci.status).toBe('ACTIVE');
    expect(h.out.metricValues('WarmPoolReactivations')).toEqual([1]);
  });

  test('retained in the warm pool (Warmed:Pending:Retained): no documented call releases it, so once drained it is an ERROR and overdue', async () => {
    const ci = retained();
    h.aws.groupStates.delete(I1);
    h.aws.warmPoolStates.set(I1, 'Warmed:Pending:Retained');
    h.aws.stopAll(ci);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.terminations).toEqual([]);
    expect(h.out.metricValues('RetainedDrainsOverdue')).toEqual([1]);
    expect(h.logsAt('ERROR')).toEqual([expect.stringMatching(/retained in the warm pool, and Auto Scaling documents no call that lets such an instance go/)]);
  });

  test('without retention, a retained instance (another hook abandoned it) is left alone, and no retention gauge is sent', async () => {
    const ci = retained({});
    h.aws.stopAll(ci);
    h.resetCalls();
    expect(await h.sweep()).toEqual([]);
    expect(h.aws.calls()).toEqual(['DescribeAutoScalingGroups']);
    expect(h.out.metricValues('InstancesRetained')).toEqual([]);
  });
});
