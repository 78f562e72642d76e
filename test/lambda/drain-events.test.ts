/**
 * Drain events and the blocking-task log lines: their payloads, their bounds (EventBridge's 256 KB entry limit), and a
 * publisher that never fails a drain.
 */
import {
  DrainEventType, EventBridgeDrainEvents, MAX_ENTRY_BYTES, describeBlockingTask, drainEvent, entryOf, entrySize, logBlockingTasks,
} from '../../lambda/drain-events';
import { DrainPhase, DrainTrigger } from '../../lambda/drain-marker';
import type { EventBridgeGateway, EventEntry, EventEntryResult } from '../../lambda/ports';
import { EmfMetrics, JsonLogger } from '../../lambda/telemetry';
import { DRAIN_EVENT_SOURCE, MAX_BLOCKING_TASKS_IN_EVENT, MAX_BLOCKING_TASKS_LOGGED } from '../../lib/handler-contract';
import { ASG, CLUSTER_ARN, CLUSTER_NAME, CapturedLines, HOOK, OWNER, config, containerInstanceArn, task } from './fixtures';

const NOW = 1_800_000_000;
const STARTED = NOW - 754;
const CI = { arn: containerInstanceArn(1), ec2InstanceId: 'i-0123456789abcdef0' };
const MARKER = {
  owner: OWNER, drainStartedAt: STARTED, lastHeartbeatAt: STARTED, lastCheckedAt: STARTED,
  trigger: DrainTrigger.LIFECYCLE_ACTION, phase: DrainPhase.DRAINING,
};
const iso = (s: number) => new Date(s * 1000).toISOString();

describe('describeBlockingTask: the fields the events and the logs name a task by', () => {
  test('a service task: its service, its family from the task definition ARN, startedBy, and since it began stopping', () => {
    expect(describeBlockingTask({
      ...task('STOPPING', 'STOPPED', 'service:web'), startedBy: 'ecs-svc/1234567890123456789',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web-app:12', createdAt: NOW - 900, startedAt: NOW - 880, stoppingAt: NOW - 60,
    })).toEqual({
      taskArn: task('STOPPING', 'STOPPED').arn, group: 'service:web', service: 'web', family: 'web-app', lastStatus: 'STOPPING',
      desiredStatus: 'STOPPED', startedBy: 'ecs-svc/1234567890123456789', since: iso(NOW - 60), sinceField: 'stoppingAt',
    });
  });

  test('a standalone task: its family from its group; since it started running; no startedBy when none was given', () => {
    expect(describeBlockingTask({ ...task('RUNNING', 'RUNNING', 'family:batch'), createdAt: NOW - 900, startedAt: NOW - 880 })).toEqual({
      taskArn: task('RUNNING', 'RUNNING').arn, group: 'family:batch', family: 'batch', lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
      since: iso(NOW - 880), sinceField: 'startedAt',
    });
  });

  test('a task still PROVISIONING: since it was created; nothing is made up for what ECS did not say', () => {
    expect(describeBlockingTask({ arn: 'arn:t', lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', createdAt: NOW - 5 }))
      .toEqual({ taskArn: 'arn:t', lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', since: iso(NOW - 5), sinceField: 'createdAt' });
    expect(describeBlockingTask({ arn: 'arn:t', lastStatus: 'PENDING', desiredStatus: 'RUNNING' }))
      .toEqual({ taskArn: 'arn:t', lastStatus: 'PENDING', desiredStatus: 'RUNNING' });
  });
});

describe('drainEvent: the detail of version 1 (docs/events.md)', () => {
  test('a timed-out drain names the instance, container instance, cluster, group, hook, trigger, duration and blocking tasks', () => {
    const blocking = [{ ...task('RUNNING', 'RUNNING', 'family:batch', 1), startedAt: NOW - 3000 }];
    const event = drainEvent(DrainEventType.TIMED_OUT, {
      instance: CI, marker: MARKER, nowSeconds: NOW, blockingTaskCount: 1, blockingTasks: blocking, lifecycleActionResult: 'ABANDON',
    }, config({ drainTimeoutSeconds: 600 }));
    expect(event).toEqual({
      type: 'Drain Timed Out',
      time: NOW * 1000,
      detail: {
        version: '1',
        instanceId: CI.ec2InstanceId,
        containerInstanceArn: CI.arn,
        clusterName: CLUSTER_NAME,
        clusterArn: CLUSTER_ARN,
        autoScalingGroupName: ASG,
        lifecycleHookName: HOOK,
        trigger: 'LIFECYCLE_ACTION',
        drainStartedAt: iso(STARTED),
        drainSeconds: 754,
        drainTimeoutSeconds: 600,
        lifecycleActionResult: 'ABANDON',
        blockingTaskCount: 1,
        blockingTasks: [describeBlockingTask(blocking[0])],
        blockingTasksOmitted: 0,
      },
    });
    expect(entryOf(event)).toEqual({
      source: DRAIN_EVENT_SOURCE, detailType: 'Drain Timed Out', detail: JSON.stringify(event.detail), resources: [CI.arn], time: NOW * 1000,
    });
  });

  test('the source is the library\'s own, never one of the aws. sources EventBridge reserves', () => {
    expect(DRAIN_EVENT_SOURCE).toBe('ecs-draining-lifecycle-hook');
    expect(DRAIN_EVENT_SOURCE.startsWith('aws.')).toBe(false);
  });

  test.each([
    [DrainTrigger.LIFECYCLE_ACTION, 'LIFECYCLE_ACTION'], [DrainTrigger.SPOT_INTERRUPTION, 'SPOT_INTERRUPTION'], [DrainTrigger.UNKNOWN, 'UNKNOWN'],
  ])('trigger %s is spelled %s', (trigger, name) => {
    const facts = { instance: CI, marker: { ...MARKER, trigger }, nowSeconds: NOW, blockingTaskCount: 0 };
    const event = drainEvent(DrainEventType.STARTED, facts, config());
    expect(event.detail.trigger).toBe(name);
  });

  test('a start knows only the count: no task is named, every one is counted as omitted; no lifecycle result', () => {
    const { detail } = drainEvent(DrainEventType.STARTED, { instance: CI, marker: MARKER, nowSeconds: STARTED, blockingTaskCount: 3 }, config());
    expect(detail).toMatchObject({ drainSeconds: 0, blockingTaskCount: 3, blockingTasks: [], blockingTasksOmitted: 3 });
    expect(detail).not.toHaveProperty('lifecycleActionResult');
  });

  test(`at most ${MAX_BLOCKING_TASKS_IN_EVENT} tasks are named; blockingTasksOmitted counts the rest`, () => {
    const many = Array.from({ length: 250 }, (_, i) => task('RUNNING', 'RUNNING', 'service:web', i + 1));
    const facts = { instance: CI, marker: MARKER, nowSeconds: NOW, blockingTaskCount: 250, blockingTasks: many };
    const { detail } = drainEvent(DrainEventType.TIMED_OUT, facts, config());
    expect(detail.blockingTasks).toHaveLength(MAX_BLOCKING_TASKS_IN_EVENT);
    expect(detail.blockingTasks.map((t) => t.taskArn)).toEqual(many.slice(0, MAX_BLOCKING_TASKS_IN_EVENT).map((t) => t.arn));
    expect(detail.blockingTasksOmitted).toBe(250 - MAX_BLOCKING_TASKS_IN_EVENT);
  });

  test('an entry never exceeds EventBridge\'s 256 KB, however long the task fields AWS returns are', () => {
    const huge = 'x'.repeat(40_000);
    const many = Array.from({ length: 30 }, (_, i) => ({ ...task('RUNNING', 'RUNNING', `service:${huge}`, i + 1), startedBy: huge }));
    const facts = { instance: CI, marker: MARKER, nowSeconds: NOW, blockingTaskCount: 30, blockingTasks: many };
    const event = drainEvent(DrainEventType.TIMED_OUT, facts, config());
    expect(entrySize(entryOf(event))).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(event.detail.blockingTasks.length).toBeGreaterThan(0);
    expect(event.detail.blockingTasks.length + event.detail.blockingTasksOmitted).toBe(30);
    // the unbounded event would not have fitted
    const unbounded = { ...event, detail: { ...event.detail, blockingTasks: many.slice(0, MAX_BLOCKING_TASKS_IN_EVENT).map(describeBlockingTask) } };
    expect(entrySize(entryOf(unbounded))).toBeGreaterThan(MAX_ENTRY_BYTES);
  });

  test('the largest event of ordinary tasks fits with room to spare', () => {
    const arn = `arn:aws:ecs:eu-west-1:123456789012:task/${'c'.repeat(255)}/${'f'.repeat(32)}`;
    const many = Array.from({ length: MAX_BLOCKING_TASKS_IN_EVENT }, () => ({
      arn, lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED', group: `service:${'s'.repeat(255)}`, startedBy: 'b'.repeat(128),
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${'f'.repeat(255)}:1`, startedAt: NOW, stoppingAt: NOW,
    }));
    const facts = { instance: CI, marker: MARKER, nowSeconds: NOW, blockingTaskCount: 20, blockingTasks: many };
    const event = drainEvent(DrainEventType.TIMED_OUT, facts, config());
    expect(event.detail.blockingTasks).toHaveLength(MAX_BLOCKING_TASKS_IN_EVENT);
    expect(entrySize(entryOf(event))).toBeLessThan(64 * 1024);
  });
});

describe('entrySize: EventBridge\'s own count (Calculating PutEvents event entry size)', () => {
  test('Time is 14 bytes; Source, DetailType, Detail and each resource count their UTF-8 bytes', () => {
    const entry: EventEntry = { source: 'src', detailType: 'Type', detail: '{"a":"é"}', resources: ['r1', 'r22'], time: 0 };
    expect(entrySize(entry)).toBe(14 + 3 + 4 + 10 + 2 + 3);
  });
});

describe('logBlockingTasks: one line per blocking task', () => {
  const out = () => new CapturedLines();

  test('each line names the task with the events\' fields, and says whether at a heartbeat or at the timeout', () => {
    const lines = out();
    const blocking = [
      { ...task('DEACTIVATING', 'STOPPED', 'service:web', 1), startedBy: 'ecs-svc/1', startedAt: NOW - 100 },
      task('RUNNING', 'RUNNING', 'family:batch', 2),
    ];
    logBlockingTasks(new JsonLogger(lines.write, () => NOW * 1000, { instanceId: CI.ec2InstanceId }), blocking, 'heartbeat');
    expect(lines.logs()).toEqual(blocking.map((t) => ({
      timestamp: iso(NOW), level: 'INFO', message: 'a task is still blocking the drain', instanceId: CI.ec2InstanceId, at: 'heartbeat',
      ...describeBlockingTask(t),
    })));
  });

  test(`more than ${MAX_BLOCKING_TASKS_LOGGED}: the first ones, then one line with how many more`, () => {
    const lines = out();
    const many = Array.from({ length: MAX_BLOCKING_TASKS_LOGGED + 7 }, (_, i) => task('RUNNING', 'RUNNING', 'service:web', i + 1));
    logBlockingTasks(new JsonLogger(lines.write, () => 0), many, 'timeout');
    const logs = lines.logs();
    expect(logs).toHaveLength(MAX_BLOCKING_TASKS_LOGGED + 1);
    expect(logs.at(-1)).toMatchObject({ message: 'more tasks are blocking the drain than are logged one by one', at: 'timeout',
      blockingTaskCount: MAX_BLOCKING_TASKS_LOGGED + 7, notLogged: 7 });
  });
});

describe('EventBridgeDrainEvents: best effort, never a failure of the drain', () => {
  const facts = { instance: CI, marker: MARKER, nowSeconds: NOW, blockingTaskCount: 0, blockingTasks: [] };
  const event = drainEvent(DrainEventType.COMPLETED, facts, config());

  function publisher(answer: (entries: readonly EventEntry[]) => Promise<EventEntryResult[]>) {
    const lines = new CapturedLines();
    const sent: EventEntry[][] = [];
    const gateway: EventBridgeGateway = { putEvents: async (entries) => { sent.push([...entries]); return answer(entries); } };
    const events = new EventBridgeDrainEvents(gateway, new JsonLogger(lines.write, () => 0), new EmfMetrics(lines.write, () => 0, 'Ns', ASG));
    return { events, lines, sent };
  }

  test('a published event: one entry in one request, no WARN, no metric', async () => {
    const { events, lines, sent } = publisher(async () => [{ eventId: 'e-1' }]);
    await events.publish(event);
    expect(sent).toEqual([[entryOf(event)]]);
    expect(lines.lines).toEqual([]);
  });

  test('an entry EventBridge failed: a WARN with its error code, one DrainEventsNotPublished; the next event is still tried', async () => {
    const { events, lines, sent } = publisher(async (entries) => entries.map(() => ({ errorCode: 'InternalFailure', errorMessage: 'oops' })));
    await expect(events.publish(event)).resolves.toBeUndefined();
    await events.publish(event);
    expect(sent).toHaveLength(2);
    expect(lines.metricValues('DrainEventsNotPublished')).toEqual([1, 1]);
    expect(lines.logs()[0]).toMatchObject({ level: 'WARN', message: 'could not publish a drain event to EventBridge; the drain is not affected',
      detailType: 'Drain Completed', instanceId: CI.ec2InstanceId, errorCode: 'InternalFailure', errorMessage: 'oops' });
  });

  test('a request that fails: never thrown; no more requests this invocation, each event left out is still logged and counted', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    const { events, lines, sent } = publisher(async () => { throw denied; });
    await expect(events.publish(event)).resolves.toBeUndefined();
    await expect(events.publish(event)).resolves.toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(lines.metricValues('DrainEventsNotPublished')).toEqual([1, 1]);
    expect(lines.logs().map((l) => [l.level, l.error?.name ?? l.reason])).toEqual([
      ['WARN', 'AccessDeniedException'],
      ['WARN', 'an earlier PutEvents of this invocation failed (AccessDeniedException): not tried again'],
    ]);
  });
});
