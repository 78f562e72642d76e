import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SdkAutoScalingGateway, SdkEcsGateway, SdkEventBridgeGateway } from '../../lambda/aws-gateways';
import type { DrainConfig } from '../../lambda/config';
import { EventBridgeDrainEvents } from '../../lambda/drain-events';
import { DrainTrigger, decodeMarker, DRAIN_MARKER_ATTRIBUTE } from '../../lambda/drain-marker';
import { Drainer } from '../../lambda/drainer';
import { classifyEvent } from '../../lambda/events';
import { EmfMetrics, JsonLogger } from '../../lambda/telemetry';
import { ASG, CapturedLines, HOOK, OWNER, config as baseConfig, lifecycleEvent, marker, markerV1, scheduledEvent, taskArn, taskStoppedEvent } from './fixtures';
import { FakeAws, type FakeInstance } from './mock-aws';

const I1 = 'i-0123456789abcdef0';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

class Harness {
  readonly aws = new FakeAws();
  readonly out = new CapturedLines();
  nowMs = T0;
  readonly config: DrainConfig;
  readonly drainer: Drainer;

  constructor(overrides: Partial<DrainConfig> = {}) {
    this.config = baseConfig(overrides);
    const clock = { now: () => this.nowMs };
    const log = new JsonLogger(this.out.write, clock.now);
    const metrics = new EmfMetrics(this.out.write, clock.now, this.config.metricsNamespace, ASG);
    this.drainer = new Drainer({
      config: this.config,
      ecs: new SdkEcsGateway(new ECSClient({ region: 'eu-west-1' }), this.config.clusterName),
      autoScaling: new SdkAutoScalingGateway(new AutoScalingClient({ region: 'eu-west-1' }), ASG, HOOK),
      clock,
      log,
      metrics,
      // A new publisher per handled event, as the handler makes one per invocation.
      events: { publish: (event) => this.publisher.publish(event) },
    });
    this.newPublisher = () => new EventBridgeDrainEvents(new SdkEventBridgeGateway(new EventBridgeClient({ region: 'eu-west-1' })), log, metrics);
    this.publisher = this.newPublisher();
  }

  private readonly newPublisher: () => EventBridgeDrainEvents;
  private publisher: EventBridgeDrainEvents;

  advance(seconds: number): void { this.nowMs += seconds * 1000; }
  send(event: unknown) {
    this.publisher = this.newPublisher();
    return this.drainer.handle(classifyEvent(event, this.config));
  }
  lifecycle(instanceId = I1, detail: Record<string, unknown> = {}) { return this.send(lifecycleEvent({ EC2InstanceId: instanceId, ...detail })); }
  /** The event ECS sends when a task on the instance reaches STOPPED: it names a task that really is STOPPED. */
  taskStopped(ciArn: string, stoppedTaskArn?: string) {
    const named = stoppedTaskArn
      ?? this.aws.tasks.find((t) => t.containerInstanceArn === ciArn && t.lastStatus === 'STOPPED')?.arn
      ?? taskArn(9999); // a task no longer listed
    return this.send(taskStoppedEvent({ containerInstanceArn: ciArn, taskArn: named }));
  }
  /** A sweep fired for the current tick (as EventBridge does), or for an earlier one (run late or retried). */
  sweep(tickMs = this.nowMs) { return this.send(scheduledEvent(new Date(tickMs).toISOString())); }
  markerOf(ec2InstanceId = I1) {
    return decodeMarker(this.aws.instances.find((i) => i.ec2InstanceId === ec2InstanceId)!.attributes.get(DRAIN_MARKER_ATTRIBUTE));
  }
}

let h: Harness;

/** GIVEN an ACTIVE instance with `tasks` service tasks in Terminating:Wait, WHEN its lifecycle event is handled. */
async function drainStarted(tasks: number, overrides: Partial<DrainConfig> = {}): Promise<FakeInstance> {
  h = new Harness(overrides);
  const ci = h.aws.addInstance(I1);
  h.aws.addTasks(ci, tasks);
  h.aws.terminate(I1);
  await h.lifecycle();
  return ci;
}
/** GIVEN an ACTIVE instance I1 with `tasks` service tasks (and a fresh harness). */
function givenInstance(tasks: number, overrides: Partial<DrainConfig> = {}): FakeInstance {
  h = new Harness(overrides);
  const ci = h.aws.addInstance(I1);
  h.aws.addTasks(ci, tasks);
  return ci;
}
afterEach(() => h.aws.restore());

describe('happy path', () => {
  test('ACTIVE instance: heartbeat, marker, DRAINING; completes only once every task is STOPPED', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 3);
    h.aws.terminate(I1);

    // WHEN the lifecycle action arrives
    const first = await h.lifecycle();

    // THEN the instance is DRAINING, the drain start is recorded in AWS, and nothing is completed yet
    expect(first).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.markerOf()).toEqual({ owner: OWNER, drainStartedAt: T0 / 1000, lastHeartbeatAt: T0 / 1000, lastCheckedAt: T0 / 1000, trigger: 'L', phase: 'D' });
    // (one ListContainerInstances, for ACTIVE ones only: the counts come back with UpdateContainerInstancesState)
    expect(h.aws.calls()).toEqual([
      'ListContainerInstances', 'RecordLifecycleActionHeartbeat', 'PutAttributes', 'UpdateContainerInstancesState',
    ]);
    expect(h.aws.completedWith(I1)).toBeUndefined();

    // WHEN ECS tells the tasks to stop (DEACTIVATING) and two reach STOPPED
    h.aws.applyDraining();
    h.advance(20);
    h.aws.tasks[0].lastStatus = 'STOPPED';
    h.aws.tasks[1].lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();

    // WHEN the last one stops
    h.aws.tasks[2].lastStatus = 'STOPPED';
    h.advance(10);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);

    // THEN the action is completed with CONTINUE and the drain duration is measured
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.out.metricValues('DrainsStarted')).toEqual([1]);
    expect(h.out.metricValues('DrainsCompleted')).toEqual([1]);
    expect(h.out.metricValues('DrainDuration')).toEqual([30]);
  });

  test('the task the event reports STOPPED is not described again (STOPPED is final)', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    const [only] = h.aws.addTasks(ci, 1);
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.applyDraining();
    only.lastStatus = 'STOPPED';
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    expect(await h.taskStopped(ci.arn, only.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    // desired RUNNING is listed even with counts at 0 (a task PROVISIONING or ACTIVATING is in neither count)
    expect(h.aws.calls()).toEqual(['DescribeContainerInstances', 'ListTasks', 'ListTasks', 'CompleteLifecycleAction']);
  });

  test('a task desired RUNNING that neither count includes (still ACTIVATING) keeps the drain waiting', async () => {
    const ci = await drainStarted(1);
    h.aws.stopAll(ci);
    const [late] = h.aws.addTasks(ci, 1, 'ACTIVATING', 'RUNNING');
    // GIVEN ECS reports counts of 0 (AWS documents them as tasks in the RUNNING and PENDING status)
    h.aws.ecs.on(require('@aws-sdk/client-ecs').DescribeContainerInstancesCommand).resolves({
      containerInstances: [{ containerInstanceArn: ci.arn, ec2InstanceId: I1, status: 'DRAINING', runningTasksCount: 0, pendingTasksCount: 0,
        attributes: [...ci.attributes].map(([name, value]) => ({ name, value })) }],
    });
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();
    expect(late.lastStatus).toBe('ACTIVATING');
  });

  test('a task the event does not name is still described: the event is no proof for the others', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    const [first, second] = h.aws.addTasks(ci, 2);
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.applyDraining();
    first.lastStatus = 'STOPPED';
    second.lastStatus = 'STOPPING';
    expect(await h.taskStopped(ci.arn, first.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();
  });

  test('an instance with no tasks completes within the first invocation', async () => {
    h = new Harness();
    h.aws.addInstance(I1);
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
  });
});

describe('the DEACTIVATING trap', () => {
  test('runningTasksCount 0 with tasks still DEACTIVATING/STOPPING is not drained', async () => {
    const ci = await drainStarted(2);
    h.aws.applyDraining();
    h.aws.tasks[1].lastStatus = 'STOPPING';

    // runningTasksCount is now 0: a count-based drainer would complete here
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();
    expect(h.out.metricValues('PrematureCompletionGuards')).toEqual([1]);
    expect(h.out.logs().find((l) => /still stopping/.test(l.message))?.stillStopping).toHaveLength(2);

    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });
});

describe('a task told to stop while the instance is being checked', () => {
  test('desired RUNNING is listed before desired STOPPED, so a task that changes in between is never missed', async () => {
    h = new Harness({ standaloneTaskPolicy: 'IGNORE' });
    const ci = h.aws.addInstance(I1);
    const [a, b] = h.aws.addTasks(ci, 2);
    h.aws.terminate(I1);
    await h.lifecycle();
    a.desiredStatus = 'STOPPED';
    a.lastStatus = 'STOPPED';
    // GIVEN ECS tells task B to stop right after the first ListTasks of the check
    h.aws.afterListTasks = () => {
      h.aws.afterListTasks = undefined;
      b.desiredStatus = 'STOPPED';
      b.lastStatus = 'DEACTIVATING';
    };
    // WHEN A's STOPPED event is handled THEN B, still deregistering, keeps the instance
    expect(await h.taskStopped(ci.arn, a.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.completedWith(I1)).toBeUndefined();
    b.lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci.arn, b.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('an instance ECS set DRAINING without describing it is described, never taken for empty', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 2);
    h.aws.terminate(I1);
    h.aws.unreportedUpdates.add(ci.arn);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.calls()).toContain('DescribeContainerInstances');
    expect(h.aws.completedWith(I1)).toBeUndefined();
  });
});

describe('pagination and batching', () => {
  test('more than 100 tasks: ListTasks pages and DescribeTasks batches of 100, one straggler blocks', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000));
    h.aws.terminate(I1);
    h.aws.addTasks(ci, 250, 'STOPPED', 'STOPPED');
    h.aws.tasks[237].lastStatus = 'DEACTIVATING';

    // (the event names a task that is no longer listed, so all 250 are described)
    expect(await h.taskStopped(ci.arn, taskArn(9999))).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    const listCalls = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').ListTasksCommand);
    expect(listCalls.filter((c) => c.args[0].input.desiredStatus === 'STOPPED')).toHaveLength(3);
    const describeCalls = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').DescribeTasksCommand);
    expect(describeCalls.map((c) => c.args[0].input.tasks!.length)).toEqual([100, 100, 50]);

    h.aws.tasks[237].lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('a sweep reads every page of DRAINING container instances: no instance is looked up on its own', async () => {
    h = new Harness();
    const ids = Array.from({ length: 150 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    for (const id of ids) {
      const ci = h.aws.addInstance(id, 'DRAINING');
      ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000));
      h.aws.addTasks(ci, 1, 'DEACTIVATING', 'STOPPED');
      h.aws.terminate(id);
    }
    h.advance(30); // no back-off point, no heartbeat due
    expect(await h.sweep()).toEqual([]);
    const lists = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').ListContainerInstancesCommand);
    expect(lists.map((c) => [c.args[0].input.status, c.args[0].input.filter])).toEqual([['DRAINING', undefined], ['DRAINING', undefined]]);
    const describes = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').DescribeContainerInstancesCommand);
    expect(describes.map((c) => c.args[0].input.containerInstances!.length)).toEqual([100, 50]);
  });

  test('a sweep reads every page of the warm pool (50 per page)', async () => {
    h = new Harness();
    const ids = Array.from({ length: 60 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    for (const id of ids) {
      h.aws.actions.set(id, 'pending');
      h.aws.warmPoolStates.set(id, 'Warmed:Terminating:Wait');
    }
    const reports = await h.sweep();
    expect(reports.filter((r) => r.outcome === 'completed-unmanaged')).toHaveLength(60);
    expect(h.aws.calls().filter((c) => c === 'DescribeWarmPool')).toHaveLength(2);
  });

  test('a sweep that finds lost lifecycle events sets DRAINING in batches of 10', async () => {
    h = new Harness();
    const ids = Array.from({ length: 23 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    for (const id of ids) {
      h.aws.addTasks(h.aws.addInstance(id), 1);
      h.aws.terminate(id);
    }
    const reports = await h.sweep();
    expect(reports.filter((r) => r.outcome === 'waiting')).toHaveLength(23);
    const updates = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').UpdateContainerInstancesStateCommand);
    // (the batches run side by side, so their order is not fixed)
    expect(updates.map((c) => c.args[0].input.containerInstances!.length).sort((x, y) => y - x)).toEqual([10, 10, 3]);
    expect(h.aws.instances.every((i) => i.status === 'DRAINING')).toBe(true);
  });
});

describe('instances with nothing to drain', () => {
  test('INACTIVE (deregistered) is not listed: complete at once', async () => {
    h = new Harness();
    h.aws.addInstance(I1, 'INACTIVE');
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
  });

  test('not registered in the cluster: complete at once, counted', async () => {
    h = new Harness();
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.out.metricValues('InstancesNotRegistered')).toEqual([1]);
    expect(h.out.logs().find((l) => /nothing to drain/.test(l.message))?.reason).toMatch(/not registered/);
  });

  test.each(['REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'])('%s: complete at once without touching ECS state', async (status) => {
    h = new Harness();
    h.aws.addInstance(I1, status);
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
    expect(h.aws.mutatingCalls()).toEqual(['CompleteLifecycleAction']);
  });

  test('terminating from the warm pool: complete at once, no ECS call', async () => {
    h = new Harness();
    h.aws.terminate(I1);
    expect(await h.lifecycle(I1, { Origin: 'WarmPool', Destination: 'EC2' })).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
    expect(h.aws.calls()).toEqual(['CompleteLifecycleAction']);
  });
});

describe('already DRAINING', () => {
  test('drained by someone else: adopted without resetting the status, then waited for', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    h.aws.addTasks(ci, 1, 'RUNNING', 'STOPPED');
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.calls()).not.toContain('UpdateContainerInstancesState');
    expect(h.markerOf()?.drainStartedAt).toBe(T0 / 1000);
  });

  test('drained by this hook: the recorded drain start is kept', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000 - 500, T0 / 1000 - 100));
    h.aws.addTasks(ci, 1, 'RUNNING', 'STOPPED');
    h.aws.terminate(I1);
    await h.lifecycle();
    expect(h.aws.mutatingCalls()).toEqual([]);
    expect(h.markerOf()?.drainStartedAt).toBe(T0 / 1000 - 500);
  });
});

describe('duplicate and reordered events', () => {
  test('the same lifecycle event three times: one drain, one completion, no error', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.terminate(I1);
    h.aws.addTasks(ci, 1);
    await h.lifecycle();
    await h.lifecycle();
    expect(h.aws.calls().filter((c) => c === 'UpdateContainerInstancesState')).toHaveLength(1);
    h.aws.stopAll(ci);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    // a late duplicate after completion does nothing harmful
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
  });

  test('a task event before the lifecycle event is ignored; the lifecycle event still drains', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.terminate(I1);
    expect(await h.taskStopped(ci.arn)).toEqual([]);
    expect(h.aws.mutatingCalls()).toEqual([]);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('a late duplicate lifecycle event for an instance back in service does not drain it', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    // no pending lifecycle action: the instance went to the warm pool and came back
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
    expect(ci.status).toBe('ACTIVE');
    expect(h.aws.mutatingCalls()).toEqual(['RecordLifecycleActionHeartbeat']);
  });
});

describe('heartbeats and timeouts', () => {
  async function drainingWithStuckTask(overrides: Partial<DrainConfig> = {}) {
    h = new Harness(overrides);
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    await h.lifecycle();
    return ci;
  }

  test('a heartbeat is recorded before the action would expire, and the marker remembers it', async () => {
    await drainingWithStuckTask();
    expect(h.aws.heartbeats).toHaveLength(1); // at drain start
    h.advance(359);
    await h.sweep();
    expect(h.aws.heartbeats).toHaveLength(1);
    h.advance(1); // 360 s = 600 - 3 × 60 - 60
    await h.sweep();
    expect(h.aws.heartbeats).toHaveLength(2);
    expect(h.markerOf()?.lastHeartbeatAt).toBe(T0 / 1000 + 360);
    h.advance(60);
    await h.sweep();
    expect(h.aws.heartbeats).toHaveLength(2);
  });

  test('a sweep leaves an instance with running tasks to the events: no ECS call per instance, no DescribeWarmPool without a warm pool', async () => {
    await drainingWithStuckTask();
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    h.advance(120);
    await h.sweep();
    expect(h.aws.calls()).toEqual(['DescribeAutoScalingGroups', 'ListContainerInstances', 'DescribeContainerInstances']);
  });

  test('drainTimeout reached: completed with the configured result, logged and counted', async () => {
    await drainingWithStuckTask({ drainTimeoutSeconds: 1800, drainTimeoutResult: 'ABANDON' });
    h.advance(1799);
    await h.sweep();
    expect(h.aws.completedWith(I1)).toBeUndefined();
    h.advance(1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('ABANDON');
    expect(h.out.metricValues('DrainTimeouts')).toEqual([1]);
    expect(h.out.logs().find((l) => l.level === 'WARN')).toMatchObject({ result: 'ABANDON', drainSeconds: 1800, tasksNotStopped: 1 });
  });

  test('the action expired meanwhile: the handler stops keeping it alive', async () => {
    await drainingWithStuckTask();
    h.aws.actions.delete(I1);
    h.advance(360);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
  });
});

describe('standalone tasks', () => {
  test('STOP: stopped with a reason once the grace period is over, then waited for', async () => {
    h = new Harness({ standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 300 });
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    await h.lifecycle();
    expect(h.aws.calls()).not.toContain('StopTask');
    h.advance(300);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    const stops = h.aws.ecs.commandCalls(require('@aws-sdk/client-ecs').StopTaskCommand);
    expect(stops.map((c) => c.args[0].input.reason)).toEqual([`ecs-draining-lifecycle-hook: instance ${I1} is terminating`]);
    expect(h.out.metricValues('StandaloneTasksStopped')).toEqual([1]);
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('IGNORE: a running standalone task does not hold the instance', async () => {
    h = new Harness({ standaloneTaskPolicy: 'IGNORE' });
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('WAIT (default): a daemon service task that stops last is still waited for', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'service:web');
    h.aws.addTasks(ci, 1, 'RUNNING', 'RUNNING', 'service:log-router');
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.tasks[0].desiredStatus = 'STOPPED';
    h.aws.tasks[0].lastStatus = 'STOPPED';
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });
});

describe('sweep as a safety net', () => {
  test('a lost task event: the back-off check completes the drain', async () => {
    const ci = await drainStarted(1);
    h.aws.stopAll(ci); // the STOPPED event is lost
    h.advance(65);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('a sweep long after a back-off point (no sweep ran near it) still makes that check', async () => {
    const ci = await drainStarted(1);
    h.aws.stopAll(ci); // the STOPPED event is lost
    h.advance(305); // 5 intervals on the clock: no back-off point, but the ones at 1, 2 and 4 were never checked
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('a sweep check is recorded in the marker, so the next sweep does not check again before the next point', async () => {
    const ci = await drainStarted(1);
    h.aws.applyDraining(); // DEACTIVATING: counts are 0
    h.advance(70);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.markerOf()?.lastCheckedAt).toBe(T0 / 1000 + 70);
    h.aws.ecs.resetHistory();
    h.advance(20); // a retried or early sweep
    expect(await h.sweep()).toEqual([]);
    expect(h.aws.calls()).not.toContain('ListTasks');
    expect(ci.status).toBe('DRAINING');
  });

  test('a lost lifecycle event: the sweep starts the drain', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1);
    h.aws.terminate(I1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
  });

  const I2 = 'i-0fedcba9876543210';
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });

  test('heartbeats go first, and an instance that fails does not keep the sweep from the others', async () => {
    h = new Harness();
    const c1 = h.aws.addInstance(I1);
    const c2 = h.aws.addInstance(I2);
    h.aws.addTasks(c1, 1);
    h.aws.addTasks(c2, 1);
    h.aws.terminate(I1);
    h.aws.terminate(I2);
    await h.lifecycle(I1);
    h.advance(104);
    await h.lifecycle(I2);
    h.aws.stopAll(c2); // its STOPPED event is lost
    h.advance(256); // I1: a heartbeat is due; I2: 4 intervals into its drain, a back-off check
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    // GIVEN the heartbeat of I1 fails past every retry
    h.aws.autoScaling.on(require('@aws-sdk/client-auto-scaling').RecordLifecycleActionHeartbeatCommand, { InstanceId: I1 }).rejects(throttled());

    // WHEN the sweep runs THEN I2 is still completed, and the failure is logged and counted, not thrown
    expect(await h.sweep()).toEqual([{ instanceId: I2, outcome: 'completed' }]);
    expect(h.aws.completedWith(I2)).toBe('CONTINUE');
    expect(h.aws.calls().slice(0, 4)).toEqual([
      'DescribeAutoScalingGroups', 'ListContainerInstances', 'DescribeContainerInstances', 'RecordLifecycleActionHeartbeat',
    ]);
    expect(h.out.logs().find((l) => l.level === 'ERROR')).toMatchObject({ instanceIds: [I1], error: { name: 'ThrottlingException' } });
    expect(h.out.metricValues('HandlerErrors')).toEqual([1]);
  });

  test('an instance due for a task check and a heartbeat gets the heartbeat first: a failing check cannot let it expire', async () => {
    await drainStarted(1);
    h.aws.applyDraining(); // DEACTIVATING: counts are 0, so the back-off point at 8 intervals checks the tasks
    h.advance(480);
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListTasksCommand).rejects(throttled());
    expect(await h.sweep()).toEqual([]);
    expect(h.aws.heartbeats).toEqual([I1, I1]);
    expect(h.markerOf()?.lastHeartbeatAt).toBe(T0 / 1000 + 480);
    expect(h.out.logs().find((l) => l.level === 'ERROR')).toMatchObject({ instanceIds: [I1] });
  });

  test('... and when the check succeeds, that one heartbeat is all: one report, no second heartbeat', async () => {
    await drainStarted(1);
    h.aws.applyDraining();
    h.advance(480);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.heartbeats).toEqual([I1, I1]);
  });

  test('a heartbeat that fails before a task check is tried again by the check', async () => {
    await drainStarted(1);
    h.aws.applyDraining();
    h.advance(480);
    h.aws.autoScaling.on(require('@aws-sdk/client-auto-scaling').RecordLifecycleActionHeartbeatCommand, { InstanceId: I1 }).rejects(throttled());
    expect(await h.sweep()).toEqual([]);
    const heartbeats = h.aws.calls().filter((c) => c === 'RecordLifecycleActionHeartbeat');
    expect(heartbeats).toHaveLength(1 + 2); // at drain start; before the check; in the check
    expect(h.aws.calls()).toContain('ListTasks');
  });

  test('drains started by one sweep are checked each on its own: one failing check keeps no other report back', async () => {
    h = new Harness();
    const idle = h.aws.addInstance(I1);
    const busy = h.aws.addInstance(I2);
    h.aws.addTasks(busy, 1, 'STOPPED', 'STOPPED');
    h.aws.terminate(I1);
    h.aws.terminate(I2);
    // GIVEN both lifecycle events were lost, and the task listing of I2 fails past every retry
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListTasksCommand, { containerInstance: busy.arn }).rejects(throttled());
    // WHEN the sweep starts both drains in one batch THEN I1 completes and is reported; only I2 is named in the error
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    expect([idle.status, busy.status]).toEqual(['DRAINING', 'DRAINING']);
    expect(h.out.logs().filter((l) => l.level === 'ERROR').map((l) => l.instanceIds)).toEqual([[I2]]);
  });

  test('a permanent ECS error (access denied) fails the sweep instead of holding every instance with blind heartbeats', async () => {
    h = new Harness();
    h.aws.addTasks(h.aws.addInstance(I1), 1);
    h.aws.terminate(I1);
    await h.lifecycle();
    const denied = Object.assign(new Error('User is not authorized to perform: ecs:ListContainerInstances'), {
      name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 },
    });
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListContainerInstancesCommand).rejects(denied);
    h.advance(60);
    await expect(h.sweep()).rejects.toThrow(/not authorized/);
    expect(h.aws.heartbeats).toEqual([I1]); // only the one sent when the drain started
  });

  test('ECS cannot be read: the warm pool is still swept (it needs no ECS call)', async () => {
    h = new Harness();
    h.aws.terminate(I1);
    h.aws.actions.set(I2, 'pending');
    h.aws.warmPoolStates.set(I2, 'Warmed:Terminating:Wait');
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListContainerInstancesCommand).rejects(throttled());
    expect(await h.sweep()).toEqual(expect.arrayContaining([{ instanceId: I2, outcome: 'completed-unmanaged' }]));
  });

  test('ECS cannot be read: every instance in Terminating:Wait is still kept alive through Auto Scaling', async () => {
    h = new Harness();
    h.aws.addTasks(h.aws.addInstance(I1), 1);
    h.aws.terminate(I1);
    h.aws.terminate(I2);
    await h.lifecycle(I1);
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListContainerInstancesCommand).rejects(throttled());
    h.advance(60);
    expect(await h.sweep()).toEqual(expect.arrayContaining([{ instanceId: I1, outcome: 'waiting' }, { instanceId: I2, outcome: 'waiting' }]));
    // (the first heartbeat is the one sent when I1's drain started)
    expect(h.aws.heartbeats.slice(1).sort()).toEqual([I1, I2].sort());
    expect(h.out.logs().find((l) => l.level === 'ERROR')?.message).toMatch(/could not list DRAINING container instances/);
  });

  test('warm pool instances in Warmed:Terminating:Wait are completed', async () => {
    h = new Harness();
    h.aws.actions.set(I1, 'pending');
    h.aws.warmPoolStates.set(I1, 'Warmed:Terminating:Wait');
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
  });
});

describe('warm pool round trip', () => {
  const back = { 'source': 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Successful', 'detail': { AutoScalingGroupName: ASG, EC2InstanceId: I1, Origin: 'WarmPool', Destination: 'AutoScalingGroup' } };

  test('scale-in into the warm pool drains; the return sets ACTIVE again and removes the marker', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.terminate(I1);
    expect(await h.lifecycle(I1, { Destination: 'WarmPool' })).toEqual([{ instanceId: I1, outcome: 'completed' }]);
    expect(ci.status).toBe('DRAINING');
    h.aws.groupStates.set(I1, 'InService'); // back from the warm pool
    expect(await h.send(back)).toEqual([{ instanceId: I1, outcome: 'reactivated' }]);
    expect(ci.status).toBe('ACTIVE');
    expect(ci.attributes.has(DRAIN_MARKER_ATTRIBUTE)).toBe(false);
    expect(h.out.metricValues('WarmPoolReactivations')).toEqual([1]);
  });

  test('a late return event for an instance that is terminating again is ignored: its drain goes on', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 1);
    h.aws.terminate(I1); // scaled in again: Terminating:Wait, drained by this hook
    await h.lifecycle();
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    expect(await h.send(back)).toEqual([{ instanceId: I1, outcome: 'skipped' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.mutatingCalls()).toEqual([]);
    expect(h.out.logs().find((l) => /not in service any more/.test(l.message))?.lifecycleState).toBe('Terminating:Wait');
  });

  test('a return event older than the current drain (a Spot warning came after the return) leaves that drain alone', async () => {
    h = new Harness({ spotInterruptionDraining: true });
    const ci = h.aws.addInstance(I1);
    h.aws.groupStates.set(I1, 'InService'); // back from the warm pool at T0; its event is late
    h.advance(600);
    await h.send({ 'source': 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', 'detail': { 'instance-id': I1, 'instance-action': 'terminate' } });
    expect(ci.status).toBe('DRAINING');
    h.advance(30);
    expect(await h.send({ ...back, time: new Date(T0).toISOString() })).toEqual([{ instanceId: I1, outcome: 'skipped' }]);
    expect(ci.status).toBe('DRAINING');
    // a return after the drain started (the usual round trip: scale-in into the warm pool, then back) reactivates
    expect(await h.send({ ...back, time: new Date(T0 + 700_000).toISOString() })).toEqual([{ instanceId: I1, outcome: 'reactivated' }]);
  });

  test('an instance DRAINING by someone else is left alone', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    h.aws.groupStates.set(I1, 'InService');
    expect(await h.send(back)).toEqual([{ instanceId: I1, outcome: 'skipped' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.mutatingCalls()).toEqual([]);
  });
});

describe('spot interruption', () => {
  const warning = (id: string) => ({ 'source': 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', 'detail': { 'instance-id': id, 'instance-action': 'terminate' } });

  test('an instance of this group is set DRAINING at once; the lifecycle action later completes it', async () => {
    h = new Harness({ spotInterruptionDraining: true });
    const ci = h.aws.addInstance(I1);
    h.aws.groupStates.set(I1, 'InService');
    h.aws.addTasks(ci, 1);
    expect(await h.send(warning(I1))).toEqual([{ instanceId: I1, outcome: 'drain-started-early' }]);
    expect(ci.status).toBe('DRAINING');
    h.aws.stopAll(ci);
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('an instance of another group is ignored', async () => {
    h = new Harness({ spotInterruptionDraining: true });
    h.aws.addInstance(I1);
    expect(await h.send(warning(I1))).toEqual([{ instanceId: I1, outcome: 'skipped' }]);
    expect(h.aws.mutatingCalls()).toEqual([]);
  });
});

describe('foreign and malformed events', () => {
  test.each([
    ['another group', lifecycleEvent({ AutoScalingGroupName: 'other' })],
    ['another hook', lifecycleEvent({ LifecycleHookName: 'other' })],
    ['a test notification', { Event: 'autoscaling:TEST_NOTIFICATION', AutoScalingGroupName: ASG }],
    ['another cluster', taskStoppedEvent({ clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/other' })],
    ['garbage', { hello: 'world' }],
  ])('%s: no AWS call at all', async (_, event) => {
    h = new Harness();
    h.aws.addInstance(I1);
    h.aws.terminate(I1);
    expect(await h.send(event)).toEqual([]);
    expect(h.aws.calls()).toEqual([]);
    expect(h.out.logs()[0]).toMatchObject({ level: 'INFO', message: 'event ignored' });
  });
});

describe('two hooks, one cluster', () => {
  test('an instance drained by another group\'s hook is not touched by this one', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000, T0 / 1000, 'ffffffffffffffff'));
    expect(await h.taskStopped(ci.arn)).toEqual([]);
    expect(h.aws.mutatingCalls()).toEqual([]);
  });
});

describe('scale-in into a warm pool: Warmed:Pending:Wait', () => {
  test('the sweep keeps the drain alive and enforces drainTimeout, as for Terminating:Wait', async () => {
    const ci = givenInstance(1);
    h.aws.scaleInToWarmPool(I1);
    await h.lifecycle(I1, { Destination: 'WarmPool' });
    expect(ci.status).toBe('DRAINING');
    // heartbeats while the tasks keep running
    h.advance(360);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.heartbeats).toEqual([I1, I1]);
    // and the timeout
    h.advance(3600);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
  });

  test('a lost lifecycle event: the sweep starts the drain of an instance waiting in Warmed:Pending:Wait', async () => {
    const ci = givenInstance(1);
    h.aws.scaleInToWarmPool(I1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
  });

  test('a new instance launching into the warm pool (Warmed:Pending:Wait for a launch hook) is not drained', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1);
    h.aws.warmPoolStates.set(I1, 'Warmed:Pending:Wait'); // no action of this termination hook is pending
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'action-gone' }]);
    expect(ci.status).toBe('ACTIVE');
  });
});

describe('the ECS custom-attribute quota (10 per resource) is full', () => {
  test('the lifecycle event still sets DRAINING and checks the tasks; the drain is counted as without marker', async () => {
    const ci = givenInstance(1);
    h.aws.fillAttributes(ci);
    h.aws.terminate(I1, new Date(T0));
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(ci.status).toBe('DRAINING');
    expect(h.markerOf()).toBeUndefined();
    expect(h.out.metricValues('DrainsWithoutMarker')).toEqual([1]);
    expect(h.out.logs().find((l) => l.level === 'WARN')?.message).toMatch(/10 custom attributes/);
  });

  test('every sweep keeps it alive and checks it: it completes once its tasks have stopped, with no task event', async () => {
    const ci = givenInstance(1);
    h.aws.fillAttributes(ci);
    h.aws.terminate(I1, new Date(T0));
    await h.lifecycle();
    h.aws.applyDraining();
    h.advance(60);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.aws.heartbeats).toEqual([I1, I1]);
    h.aws.stopAll(ci);
    // the task event cannot tell this drain from another hook's: it leaves it to the sweep
    expect(await h.taskStopped(ci.arn)).toEqual([]);
    h.advance(60);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('drainTimeout is timed from the start of the termination activity (Auto Scaling), since ECS keeps no marker', async () => {
    const ci = givenInstance(1);
    h.aws.fillAttributes(ci);
    h.aws.terminate(I1, new Date(T0));
    await h.lifecycle();
    h.advance(3590);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    h.advance(60);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
  });
});

describe('the cluster does not exist', () => {
  test('a lifecycle action completes at once, with an ERROR log and the ClusterNotFound metric', async () => {
    h = new Harness({ clusterName: 'deleted-cluster' });
    h.aws.addInstance(I1);
    h.aws.terminate(I1);
    expect(await h.lifecycle()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.out.metricValues('ClusterNotFound')).toEqual([1]);
    expect(h.out.logs().find((l) => l.level === 'ERROR')).toMatchObject({ cluster: 'deleted-cluster', error: { name: 'ClusterNotFoundError' } });
  });

  test('the sweep completes every instance waiting to terminate', async () => {
    h = new Harness({ clusterName: 'deleted-cluster' });
    h.aws.terminate(I1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'completed-unmanaged' }]);
    expect(h.aws.heartbeats).toEqual([]);
  });
});

describe('a drain in flight when this release deploys (version 1 marker)', () => {
  test('is kept alive, completed by its task event, and times out from its recorded start', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerV1(T0 / 1000 - 600, T0 / 1000 - 400));
    h.aws.addTasks(ci, 1, 'DEACTIVATING', 'STOPPED');
    h.aws.terminate(I1);
    // heartbeat due (lead 240 s before the 600 s timeout): kept alive, marker rewritten in version 2
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'waiting' }]);
    expect(h.markerOf()).toMatchObject({ drainStartedAt: T0 / 1000 - 600, lastHeartbeatAt: T0 / 1000, trigger: 'U' });
    h.aws.stopAll(ci);
    expect(await h.taskStopped(ci.arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });

  test('the timeout counts from the drain start it recorded', async () => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerV1(T0 / 1000 - 3600));
    h.aws.addTasks(ci, 1);
    h.aws.terminate(I1);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
  });
});

describe('a lost warm-pool return event: the sweep reconciles', () => {
  const warmGroup = (trigger: DrainTrigger, drainedSecondsAgo: number) => {
    h = new Harness();
    const ci = h.aws.addInstance(I1, 'DRAINING');
    const at = T0 / 1000 - drainedSecondsAgo;
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(at, at, OWNER, at, trigger));
    h.aws.groupStates.set(I1, 'InService'); // back from the warm pool; its event was lost
    h.aws.warmPoolStates.set('i-0aaaaaaaaaaaaaaa1', 'Warmed:Stopped');
    return ci;
  };

  test('an instance in service that this hook drained for a termination is set ACTIVE again', async () => {
    const ci = warmGroup(DrainTrigger.LIFECYCLE_ACTION, 3600);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'reactivated' }]);
    expect(ci.status).toBe('ACTIVE');
    expect(ci.attributes.has(DRAIN_MARKER_ATTRIBUTE)).toBe(false);
  });

  test.each([
    ['a Spot-warning drain (the instance is about to be reclaimed)', DrainTrigger.SPOT_INTERRUPTION, 3600],
    ['a drain of unknown cause (an earlier release\'s marker)', DrainTrigger.UNKNOWN, 3600],
    ['a drain that started just now (a new scale-in racing the read)', DrainTrigger.LIFECYCLE_ACTION, 30],
  ])('%s is left DRAINING', async (_, trigger, ago) => {
    const ci = warmGroup(trigger, ago);
    if (trigger === DrainTrigger.UNKNOWN) ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerV1(T0 / 1000 - ago));
    expect(await h.sweep()).toEqual([]);
    expect(ci.status).toBe('DRAINING');
    expect(h.aws.mutatingCalls()).toEqual([]);
  });

  test('with reactivateWarmPoolInstances off, nothing is reconciled', async () => {
    warmGroup(DrainTrigger.LIFECYCLE_ACTION, 3600);
    h = new Harness({ warmPoolReactivation: false });
    const ci = h.aws.addInstance(I1, 'DRAINING');
    ci.attributes.set(DRAIN_MARKER_ATTRIBUTE, marker(T0 / 1000 - 3600));
    h.aws.groupStates.set(I1, 'InService');
    h.aws.warmPoolStates.set('i-0aaaaaaaaaaaaaaa1', 'Warmed:Stopped');
    expect(await h.sweep()).toEqual([]);
    expect(ci.status).toBe('DRAINING');
  });
});

describe('DELETED tasks', () => {
  test('a task DescribeTasks shows as DELETED has stopped: the drain completes', async () => {
    const ci = await drainStarted(2);
    for (const t of h.aws.tasks) { t.desiredStatus = 'STOPPED'; t.lastStatus = 'DELETED'; }
    expect(await h.taskStopped(ci.arn, h.aws.tasks[0].arn)).toEqual([{ instanceId: I1, outcome: 'completed' }]);
  });
});

describe('drain gauges sent by every sweep', () => {
  test('nothing waits: 0 instances draining, oldest drain 0 s (an alarm sees data, not silence)', async () => {
    h = new Harness();
    await h.sweep();
    expect(h.out.metricValues('InstancesDraining')).toEqual([0]);
    expect(h.out.metricValues('OldestDrainAge')).toEqual([0]);
  });

  test('two drains: how many, and the age of the oldest, from its marker', async () => {
    const ci = givenInstance(1);
    h.aws.terminate(I1);
    await h.lifecycle(I1);
    h.advance(300);
    const other = h.aws.addInstance('i-0fedcba9876543210');
    h.aws.addTasks(other, 1);
    h.aws.terminate('i-0fedcba9876543210');
    await h.lifecycle('i-0fedcba9876543210');
    h.advance(300);
    await h.sweep();
    expect(ci.status).toBe('DRAINING');
    expect(h.out.metricValues('InstancesDraining')).toEqual([2]);
    expect(h.out.metricValues('OldestDrainAge')).toEqual([600]);
  });

  test('ECS cannot be read: no gauge (unknown is not zero)', async () => {
    givenInstance(1);
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.ecs.on(require('@aws-sdk/client-ecs').ListContainerInstancesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));
    h.advance(60);
    await h.sweep();
    expect(h.out.metricValues('InstancesDraining')).toEqual([]);
    expect(h.out.metricValues('OldestDrainAge')).toEqual([]);
  });
});

describe('drain events and named blockers', () => {
  const I2 = 'i-0fedcba9876543210';
  const started = new Date(T0).toISOString();

  test('a drain publishes Drain Started (counts only), then Drain Completed (duration, result) when its last task stops', async () => {
    const ci = await drainStarted(2);
    expect(h.aws.events).toEqual([{
      source: 'ecs-draining-lifecycle-hook', detailType: 'Drain Started', resources: [ci.arn], time: new Date(T0),
      detail: {
        version: '1', instanceId: I1, containerInstanceArn: ci.arn, clusterName: 'prod', clusterArn: h.config.clusterArn,
        autoScalingGroupName: ASG, lifecycleHookName: HOOK, trigger: 'LIFECYCLE_ACTION', drainStartedAt: started, drainSeconds: 0,
        drainTimeoutSeconds: 3600, blockingTaskCount: 2, blockingTasks: [], blockingTasksOmitted: 2,
      },
    }]);
    h.aws.stopAll(ci);
    h.advance(42);
    await h.taskStopped(ci.arn);
    expect(h.aws.eventTypes()).toEqual(['Drain Started', 'Drain Completed']);
    expect(h.aws.events[1].detail).toMatchObject({
      drainSeconds: 42, lifecycleActionResult: 'CONTINUE', blockingTaskCount: 0, blockingTasks: [], blockingTasksOmitted: 0,
    });
    expect(h.aws.events[1].time).toEqual(new Date(T0 + 42_000));
  });

  test('an idle instance: both events come from the one invocation that drains it', async () => {
    await drainStarted(0);
    expect(h.aws.eventTypes()).toEqual(['Drain Started', 'Drain Completed']);
  });

  test('a drain someone else started is taken over: Drain Started; a Spot warning\'s early drain: Drain Started, trigger SPOT_INTERRUPTION', async () => {
    h = new Harness();
    const adopted = h.aws.addInstance(I1, 'DRAINING');
    h.aws.addTasks(adopted, 1);
    h.aws.terminate(I1);
    await h.lifecycle();
    expect(h.aws.events.map((e) => [e.detailType, e.detail.trigger])).toEqual([['Drain Started', 'LIFECYCLE_ACTION']]);
    h.aws.restore();

    h = new Harness({ spotInterruptionDraining: true });
    const spot = h.aws.addInstance(I1);
    h.aws.groupStates.set(I1, 'InService');
    h.aws.addTasks(spot, 1);
    await h.send({ 'source': 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', 'detail': { 'instance-id': I1, 'instance-action': 'terminate' } });
    expect(h.aws.events.map((e) => [e.detailType, e.detail.trigger, e.detail.blockingTaskCount])).toEqual([['Drain Started', 'SPOT_INTERRUPTION', 1]]);
    // the lifecycle action that follows continues that drain: no second start
    h.aws.stopAll(spot);
    h.aws.terminate(I1);
    await h.lifecycle();
    expect(h.aws.eventTypes()).toEqual(['Drain Started', 'Drain Completed']);
  });

  test('a heartbeat names each blocking task in the logs, with what a task listing costs (ListTasks × 2, DescribeTasks)', async () => {
    h = new Harness();
    const busy = h.aws.addInstance(I1);
    h.aws.addTasks(busy, 1, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.addTasks(busy, 1, 'RUNNING', 'RUNNING', 'service:web');
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    h.advance(360); // the heartbeat is due; the tasks run on (the counts prove it, so no check is due)
    await h.sweep();
    expect(h.aws.calls()).toEqual([
      'DescribeAutoScalingGroups', 'ListContainerInstances', 'DescribeContainerInstances',
      'RecordLifecycleActionHeartbeat', 'PutAttributes', 'ListTasks', 'ListTasks', 'DescribeTasks',
    ]);
    const logs = h.out.logs();
    expect(logs.find((l) => l.message === 'recorded a lifecycle action heartbeat')).toMatchObject({ instanceId: I1, tasksNotStopped: 2, drainStartedAt: started });
    expect(logs.filter((l) => l.message === 'a task is still blocking the drain')).toEqual([
      expect.objectContaining({
        level: 'INFO', at: 'heartbeat', instanceId: I1, containerInstanceArn: busy.arn, drainStartedAt: started, drainTrigger: 'LIFECYCLE_ACTION',
        taskArn: h.aws.tasks[0].arn, group: 'family:batch', family: 'batch', lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
        since: '2026-11-23T09:00:30.000Z', sinceField: 'startedAt',
      }),
      expect.objectContaining({
        taskArn: h.aws.tasks[1].arn, service: 'web', family: 'web', startedBy: 'ecs-svc/1234567890123456789', lastStatus: 'RUNNING',
      }),
    ]);
    expect(logs.find((l) => l.message === 'a task is still blocking the drain')).not.toHaveProperty('service');
  });

  test('task events never name the blocking tasks: a drain\'s own calls stay as they were', async () => {
    const ci = await drainStarted(3);
    h.aws.applyDraining();
    h.aws.tasks[0].lastStatus = 'STOPPED';
    h.advance(10);
    await h.taskStopped(ci.arn);
    h.aws.tasks[1].lastStatus = 'STOPPED';
    await h.taskStopped(ci.arn);
    expect(h.out.logs().filter((l) => l.message === 'a task is still blocking the drain')).toEqual([]);
  });

  test('a heartbeat sent right before a sweep check is named by that check, from its own listing (no second listing)', async () => {
    const ci = await drainStarted(1);
    h.aws.applyDraining(); // DEACTIVATING: the counts drop to 0, so the back-off checks list the tasks
    h.advance(60);
    await h.sweep(); // back-off check at 1 interval
    h.advance(300);
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    await h.sweep(); // 360 s: the heartbeat and the back-off check at 4 intervals (240 s) are both due
    expect(h.aws.calls().filter((c) => c === 'ListTasks')).toHaveLength(2);
    expect(h.aws.calls().filter((c) => c === 'RecordLifecycleActionHeartbeat')).toHaveLength(1);
    expect(h.out.logs().filter((l) => l.message === 'a task is still blocking the drain')).toEqual([
      expect.objectContaining({ at: 'heartbeat', taskArn: h.aws.tasks[0].arn, lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' }),
    ]);
    expect(ci.status).toBe('DRAINING');
  });

  test('at the timeout: the action first, then each task still running is logged and named in Drain Timed Out', async () => {
    h = new Harness({ drainTimeoutSeconds: 1800, drainTimeoutResult: 'ABANDON' });
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 2, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    await h.lifecycle();
    h.advance(1800);
    h.aws.ecs.resetHistory();
    h.aws.autoScaling.resetHistory();
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    // the counts prove the tasks run: the check lists none, so they are listed after the completion, to be named
    const calls = h.aws.calls();
    expect(calls.indexOf('CompleteLifecycleAction')).toBeLessThan(calls.indexOf('ListTasks'));
    const warn = h.out.logs().find((l) => l.level === 'WARN');
    expect(warn).toMatchObject({ message: 'drain timed out with tasks still running; completed the lifecycle action', tasksNotStopped: 2, result: 'ABANDON' });
    expect(h.out.logs().filter((l) => l.message === 'a task is still blocking the drain').map((l) => [l.at, l.taskArn]))
      .toEqual(h.aws.tasks.map((t) => ['timeout', t.arn]));
    const timedOut = h.aws.events.find((e) => e.detailType === 'Drain Timed Out')!;
    expect(timedOut.detail).toMatchObject({
      drainSeconds: 1800, drainTimeoutSeconds: 1800, lifecycleActionResult: 'ABANDON', blockingTaskCount: 2, blockingTasksOmitted: 0,
      blockingTasks: h.aws.tasks.map((t) => ({
        taskArn: t.arn, group: 'family:batch', family: 'batch', lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
        since: '2026-11-23T09:00:30.000Z', sinceField: 'startedAt',
      })),
    });
    expect(h.aws.eventTypes()).toEqual(['Drain Started', 'Drain Timed Out']);
  });

  test('a listing that fails after the timeout: the timeout stands, the event counts the tasks without naming them', async () => {
    h = new Harness({ drainTimeoutSeconds: 600 });
    const ci = h.aws.addInstance(I1);
    h.aws.addTasks(ci, 2, 'RUNNING', 'RUNNING', 'family:batch');
    h.aws.terminate(I1);
    await h.lifecycle();
    h.aws.ecs.on(ListTasksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));
    h.advance(600);
    expect(await h.sweep()).toEqual([{ instanceId: I1, outcome: 'timed-out' }]);
    expect(h.aws.completedWith(I1)).toBe('CONTINUE');
    expect(h.out.metricValues('HandlerErrors')).toEqual([]);
    expect(h.out.logs().find((l) => l.message.startsWith('could not list the tasks still blocking'))).toMatchObject({ level: 'WARN' });
    expect(h.aws.events.at(-1)).toMatchObject({ detailType: 'Drain Timed Out', detail: { blockingTaskCount: 2, blockingTasks: [], blockingTasksOmitted: 2 } });
  });

  /** A drain from start to heartbeat to timeout, and one to completion, with PutEvents answering as told. */
  async function story(fault?: 'throw' | 'fail-entries') {
    h = new Harness({ drainTimeoutSeconds: 1200 });
    h.aws.putEventsFault = fault;
    const stuck = h.aws.addInstance(I1);
    h.aws.addTasks(stuck, 1, 'RUNNING', 'RUNNING', 'family:batch');
    const quick = h.aws.addInstance(I2);
    h.aws.addTasks(quick, 1);
    h.aws.terminate(I1);
    h.aws.terminate(I2);
    const reports = [...await h.lifecycle(I1), ...await h.lifecycle(I2)];
    h.aws.stopAll(quick);
    h.advance(30);
    reports.push(...await h.taskStopped(quick.arn));
    for (let t = 0; t < 1200; t += 60) {
      h.advance(60);
      reports.push(...await h.sweep());
    }
    const notAboutEvents = (l: Record<string, any>) => l.message !== 'could not publish a drain event to EventBridge; the drain is not affected'
      && !(l._aws && l.DrainEventsNotPublished !== undefined);
    const result = {
      reports, calls: h.aws.calls(), completed: [h.aws.completedWith(I1), h.aws.completedWith(I2)], heartbeats: [...h.aws.heartbeats],
      markers: [stuck, quick].map((ci) => ci.attributes.get(DRAIN_MARKER_ATTRIBUTE)), lines: h.out.parsed.filter(notAboutEvents),
      published: h.aws.eventTypes(), notPublished: h.out.metricValues('DrainEventsNotPublished').length,
      warnings: h.out.logs().filter((l) => !notAboutEvents(l)).length,
    };
    h.aws.restore();
    return result;
  }

  test('PutEvents failing (the whole request, or every entry) changes nothing else: same calls, outcomes, markers, logs and metrics', async () => {
    const ok = await story();
    expect(ok.published).toEqual(['Drain Started', 'Drain Started', 'Drain Completed', 'Drain Timed Out']);
    expect(ok.notPublished).toBe(0);
    expect(ok.reports.map((r) => r.outcome)).toContain('timed-out');
    for (const fault of ['throw', 'fail-entries'] as const) {
      const failing = await story(fault);
      const { published, notPublished, warnings, ...rest } = failing;
      const { published: _p, notPublished: _n, warnings: _w, ...expected } = ok;
      expect([fault, rest]).toEqual([fault, expected]);
      expect([fault, published, notPublished, warnings]).toEqual([fault, [], 4, 4]);
    }
    h = new Harness();
  });
});
