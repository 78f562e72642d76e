/**
 * TaskProtectionPolicy.WAIT at the SDK level (aws-sdk-client-mock backed by a small in-memory ECS and Auto Scaling):
 * a terminating instance with a protected task stays ACTIVE and kept alive, is checked again at every sweep and task
 * stop, and is set DRAINING once no task is protected or drainTimeout comes. Each scenario also runs with IGNORE where
 * that shows the difference.
 */
import { GetTaskProtectionCommand } from '@aws-sdk/client-ecs';
import type { DrainConfig } from '../../lambda/config';
import { planInstance } from '../../lambda/decisions';
import type { DrainEvent } from '../../lambda/drain-events';
import { DRAIN_MARKER_ATTRIBUTE, DrainPhase, DrainTrigger, decodeMarker, encodeMarker } from '../../lambda/drain-marker';
import { type Drainer } from '../../lambda/drainer';
import { classifyEvent } from '../../lambda/events';
import { CapturedLines, OWNER, config as baseConfig, instance, lifecycleEvent, marker, scheduledEvent, taskStoppedEvent, sdkDrainer } from './fixtures';
import { FakeAws, type FakeInstance, type FakeTask } from './mock-aws';

const I1 = 'i-0123456789abcdef0';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const WAIT: Partial<DrainConfig> = { taskProtectionPolicy: 'WAIT' };

class Harness {
  readonly aws = new FakeAws();
  readonly out = new CapturedLines();
  nowMs = T0;
  readonly config: DrainConfig;
  readonly drainer: Drainer;
  /** The drain events the core published. */
  readonly events: DrainEvent[] = [];

  constructor(overrides: Partial<DrainConfig> = {}) {
    this.config = baseConfig(overrides);
    this.drainer = sdkDrainer(this.config, () => this.nowMs, this.out, this.events);
  }

  advance(seconds: number): void { this.nowMs += seconds * 1000; }
  send(event: unknown) { return this.drainer.handle(classifyEvent(event, this.config)); }
  lifecycle() { return this.send(lifecycleEvent({ EC2InstanceId: I1 })); }
  sweep() { return this.send(scheduledEvent(new Date(this.nowMs).toISOString())); }
  taskStopped(ci: FakeInstance, task: FakeTask) { return this.send(taskStoppedEvent({ containerInstanceArn: ci.arn, taskArn: task.arn })); }
  markerOf() { return decodeMarker(this.aws.instances[0].attributes.get(DRAIN_MARKER_ATTRIBUTE)); }
  /** The commands sent since `from` (an index into calls()). */
  callsSince(from: number): string[] { return this.aws.calls().slice(from); }
  logMessages(level: string): string[] { return this.out.logs().filter((l) => l.level === level).map((l) => l.message); }
}

let h: Harness;
afterEach(() => h.aws.restore());

/** GIVEN an ACTIVE instance in Terminating:Wait with a service task protected for `minutes` and an unprotected one. */
function givenProtected(minutes: number, overrides: Partial<DrainConfig> = WAIT): { ci: FakeInstance; guarded: FakeTask; other: FakeTask } {
  h = new Harness(overrides);
  const ci = h.aws.addInstance(I1);
  const [guarded, other] = h.aws.addTasks(ci, 2);
  h.aws.protect([guarded], new Date(h.nowMs), minutes);
  h.aws.terminate(I1);
  return { ci, guarded, other };
}

describe('the lifecycle event finds a protected task', () => {
  test('WAIT: the instance stays ACTIVE, its marker in phase PROTECTED, the action kept alive; no task is stopped', async () => {
    const { ci } = givenProtected(30);
    const reports = await h.lifecycle();
    expect(reports).toEqual([{ instanceId: I1, outcome: 'held' }]);
    expect(ci.status).toBe('ACTIVE');
    expect(h.markerOf()).toEqual({ owner: OWNER, drainStartedAt: T0 / 1000, lastHeartbeatAt: T0 / 1000, lastCheckedAt: T0 / 1000,
      trigger: DrainTrigger.LIFECYCLE_ACTION, phase: DrainPhase.PROTECTED });
    expect(h.aws.calls()).toEqual(['ListContainerInstances', 'DescribeContainerInstances', 'RecordLifecycleActionHeartbeat',
      'PutAttributes', 'ListTasks', 'GetTaskProtection', 'PutAttributes']);
    expect(h.aws.tasks.every((t) => t.desiredStatus === 'RUNNING')).toBe(true);
    expect(h.aws.completedWith(I1)).toBeUndefined();
    expect(h.out.metricValues('DrainsHeldByProtection')).toEqual([1]);
    expect(h.out.logs().find((l) => /protected from scale-in: it is left ACTIVE/.test(l.message))).toMatchObject({
      instanceId: I1, protectedTaskArns: [h.aws.tasks[0].arn], protectionExpiresBy: new Date(T0 + 30 * 60_000).toISOString(),
    });
  });

  test('IGNORE (the default): DRAINING at once, protection is never read', async () => {
    const { ci } = givenProtected(30, {});
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.ecs.commandCalls(GetTaskProtectionCommand)).toHaveLength(0);
    expect(h.markerOf()?.phase).toBe(DrainPhase.DRAINING);
  });

  test('no task protected (or only standalone tasks, which cannot be): DRAINING at once, as with IGNORE', async () => {
    h = new Harness(WAIT);
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1);
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.calls()).toContain('GetTaskProtection');
    expect(h.out.metricValues('DrainsHeldByProtection')).toEqual([]);
  });

  test('protection already expired (its date passed) counts as none', async () => {
    const { ci } = givenProtected(1);
    h.aws.tasks[0].protection = { enabled: true, expiresAt: new Date(T0 - 1000) }; // ECS has not reset it yet
    await h.lifecycle();
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.ecs.commandCalls(GetTaskProtectionCommand)).toHaveLength(1); // read, and found expired
  });

  test('a failure reason GetTaskProtection does not document for unprotectable tasks leaves the protection unknown: held', async () => {
    const { ci } = givenProtected(30);
    h.aws.ecs.on(GetTaskProtectionCommand).resolves({ protectedTasks: [], failures: [{ arn: h.aws.tasks[0].arn, reason: 'SERVICE_UNAVAILABLE' }] });
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'held' }]);
    expect(ci.status).toBe('ACTIVE');
  });

  test('more than 100 running tasks: GetTaskProtection in batches of 100', async () => {
    h = new Harness(WAIT);
    const ci = h.aws.addInstance(I1);
    const tasks = h.aws.addTasks(ci, 150);
    h.aws.protect([tasks[149]], new Date(h.nowMs), 10);
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'held' }]);
    expect(h.aws.ecs.commandCalls(GetTaskProtectionCommand).map((c) => c.args[0].input.tasks!.length)).toEqual([100, 50]);
  });

  test('a repeated lifecycle event for a held instance keeps the drain start its marker recorded', async () => {
    givenProtected(90);
    await h.lifecycle();
    h.advance(600);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'held' }]);
    expect(h.markerOf()).toMatchObject({ drainStartedAt: T0 / 1000, phase: DrainPhase.PROTECTED });
  });
});

describe('the hold, over time', () => {
  test('every sweep checks the protection again (four calls), with a heartbeat when due: the action never expires', async () => {
    const { ci } = givenProtected(120, { ...WAIT, drainTimeoutSeconds: 7200 });
    await h.lifecycle();
    const heartbeatsAtStart = h.aws.heartbeats.length;
    for (let minute = 1; minute <= 60; minute++) {
      h.advance(60);
      const from = h.aws.calls().length;
      expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'held' }]);
      const calls = h.callsSince(from);
      // DescribeAutoScalingGroups and ListContainerInstances (DRAINING) are the sweep's own, shared by every drain
      expect(calls.filter((c) => !['RecordLifecycleActionHeartbeat', 'PutAttributes'].includes(c))).toEqual([
        'DescribeAutoScalingGroups', 'ListContainerInstances', 'ListContainerInstances', 'DescribeContainerInstances', 'ListTasks', 'GetTaskProtection',
      ]);
    }
    expect(ci.status).toBe('ACTIVE');
    // a heartbeat whenever the action came within the lead time of its 10-minute timeout: about every 6 minutes
    expect(h.aws.heartbeats.length - heartbeatsAtStart).toBeGreaterThanOrEqual(9);
    const marker = h.markerOf()!;
    expect(h.nowMs / 1000 - marker.lastHeartbeatAt).toBeLessThan(h.config.heartbeatTimeoutSeconds);
    expect(marker.phase).toBe(DrainPhase.PROTECTED);
    expect(h.aws.tasks.every((t) => t.desiredStatus === 'RUNNING')).toBe(true);
  });

  test('the protection expires: the next sweep sets DRAINING, and the drain completes once the tasks have stopped', async () => {
    const { ci } = givenProtected(5);
    await h.lifecycle();
    h.advance(240);
    await h.sweep();
    expect(ci.status).toBe('ACTIVE');
    h.advance(61); // 5 minutes and 1 second: the expiration date has passed (the fake still says protectionEnabled)
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.markerOf()).toMatchObject({ drainStartedAt: T0 / 1000, phase: DrainPhase.DRAINING });
    expect(h.out.logs().find((l) => /no task on the instance is protected any more/.test(l.message))).toMatchObject({ heldSeconds: 301 });
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci, h.aws.tasks[0])).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    // Drain Started when the hold ended and the instance was set DRAINING (none while it was held), then Completed
    expect(h.events.map((e) => [e.type, e.detail.drainSeconds])).toEqual([['Drain Started', 301], ['Drain Completed', 301]]);
  });

  test('the worker drops its protection (UpdateTaskProtection false): no event comes, the next sweep sets DRAINING', async () => {
    const { ci, guarded } = givenProtected(60);
    await h.lifecycle();
    expect(ci.status).toBe('ACTIVE');
    guarded.protection = { enabled: false };
    h.advance(60);
    await h.sweep();
    expect(ci.status).toBe('DRAINING');
  });

  test('the protected task stops by itself: its task event checks the hold at once', async () => {
    const { ci, guarded } = givenProtected(60);
    await h.lifecycle();
    expect(ci.status).toBe('ACTIVE');
    guarded.desiredStatus = 'STOPPED';
    guarded.lastStatus = 'STOPPED';
    h.advance(20);
    expect(await h.taskStopped(ci, guarded)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
  });

  test('a task event for another task, while protection lasts: the instance stays held', async () => {
    const { ci, other } = givenProtected(60);
    await h.lifecycle();
    other.desiredStatus = 'STOPPED';
    other.lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci, other)).toEqual([{ instanceId: I1, outcome: 'held' }]);
    expect(ci.status).toBe('ACTIVE');
  });

  test('protection that outlives drainTimeout: at drainTimeout the instance is set DRAINING and the drain times out at once', async () => {
    const { ci } = givenProtected(48 * 60, { ...WAIT, drainTimeoutSeconds: 1800 });
    await h.lifecycle();
    h.advance(1799);
    await h.sweep();
    expect(ci.status).toBe('ACTIVE');
    h.advance(1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.out.metricValues('DrainTimeouts')).toEqual([1]);
    expect(h.logMessages('WARN')).toContainEqual(expect.stringMatching(/^drainTimeout reached while tasks on the instance are still protected/));
  });

  test('a held instance whose lifecycle action is gone: its marker is removed, so that it does not keep new work off', async () => {
    const { ci } = givenProtected(60);
    await h.lifecycle();
    h.aws.actions.set(I1, { result: 'CONTINUE' }); // completed by someone else
    h.advance(400); // a heartbeat is due
    const [instanceId] = [I1];
    const reports = await h.drainer.handle({ kind: 'task-stopped', containerInstanceArn: ci.arn, taskArn: h.aws.tasks[1].arn });
    expect(reports).toEqual([{ instanceId, outcome: 'action-gone' }]);
    expect(ci.attributes.has(DRAIN_MARKER_ATTRIBUTE)).toBe(false);
    expect(ci.status).toBe('ACTIVE');
  });

  test('with StandaloneTaskPolicy.STOP, nothing is stopped while held; after, only the standalone task is', async () => {
    h = new Harness({ ...WAIT, standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 60 });
    const ci = h.aws.addInstance(I1);
    const [guarded] = h.aws.addTasks(ci, 1);
    const [batch] = h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.protect([guarded], new Date(h.nowMs), 5);
    h.aws.terminate(I1);
    await h.lifecycle();
    for (let i = 0; i < 4; i++) {
      h.advance(60);
      await h.sweep();
    }
    expect(h.aws.calls()).not.toContain('StopTask');
    h.advance(120);
    await h.sweep();
    expect(ci.status).toBe('DRAINING');
    const stopped = h.aws.ecs.calls().map((c) => c.args[0].input as { task?: string }).filter((i) => i.task !== undefined).map((i) => i.task);
    expect(stopped).toEqual([batch.arn]);
  });

  test('ECS refused the marker (10 custom attributes): the hold is timed from the termination activity, so drainTimeout still ends it', async () => {
    h = new Harness({ ...WAIT, drainTimeoutSeconds: 1800 });
    const ci = h.aws.addInstance(I1);
    h.aws.fillAttributes(ci);
    const [guarded] = h.aws.addTasks(ci, 1);
    h.aws.protect([guarded], new Date(h.nowMs), 120);
    h.aws.terminate(I1, new Date(T0));
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'held' }]);
    h.advance(1000);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'held' }]);
    h.advance(800);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(ci.status).toBe('DRAINING');
  });

  test('the policy changed to IGNORE while an instance was held: the next check sets it DRAINING, without reading protection', async () => {
    h = new Harness({});
    const ci = h.aws.addInstance(I1);
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000, T0 / 1000, OWNER, T0 / 1000, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.PROTECTED));
    h.aws.addTasks(ci, 1);
    h.aws.terminate(I1);
    h.advance(60);
    await h.sweep();
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.ecs.commandCalls(GetTaskProtectionCommand)).toHaveLength(0);
  });
});

describe('the marker and the plan', () => {
  test('phase PROTECTED is written as version 3 and read back', () => {
    const value = marker(100, 200, OWNER, 300, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.PROTECTED);
    expect(value).toBe(`${OWNER}/100/200/300/L/P`);
    expect(decodeMarker(value)?.phase).toBe(DrainPhase.PROTECTED);
    expect(encodeMarker(decodeMarker(value)!)).toBe(value);
  });

  test('an ACTIVE instance with this hook\'s PROTECTED marker is a hold; another hook\'s, or a DRAINING phase, is not', () => {
    const held = marker(100, 100, OWNER, 100, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.PROTECTED);
    expect(planInstance(instance({ markerValue: held }), OWNER).action).toBe('hold');
    expect(planInstance(instance({ markerValue: marker(100, 100, 'ffffffffffffffff', 100, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.PROTECTED) }), OWNER).action).toBe('start-drain');
    expect(planInstance(instance({ markerValue: marker(100) }), OWNER).action).toBe('start-drain');
    expect(planInstance(instance({ status: 'DRAINING', markerValue: held }), OWNER).action).toBe('evaluate');
  });
});
