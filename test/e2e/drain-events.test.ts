/**
 * End-to-end: drain events on the emulator's default bus, the rules `onDrainTimedOut`, `onDrainCompleted` and
 * `onDrainEvent` make for them, the blocking tasks named in the logs and in the timeout event, and a PutEvents that
 * fails without touching a drain.
 */
import { Duration } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { type Emulator, synthDrainStack } from '../../emulator';
import { DrainEventType, type DrainingLifecycleHook } from '../../lib';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(180_000);

const SOURCE = 'ecs-draining-lifecycle-hook';
const drainEventsOf = (emu: Emulator) => emu.bus.published.filter((e) => e.source === SOURCE) as Array<Record<string, any>>;
/** Every function's log lines: the group's function, and the cluster's task-event consumer (which completes most drains). */
const logsOf = (emu: Emulator) => emu.allLogLines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

/** The stack with a rule of each kind: timeouts to an SNS topic, completions, and every drain event. */
function withRules(hook: DrainingLifecycleHook): void {
  const topic = new sns.Topic(hook, 'OnCallTopic');
  hook.onDrainTimedOut('TimedOutRule', { target: new targets.SnsTopic(topic) });
  hook.onDrainCompleted('CompletedRule');
  hook.onDrainEvent('AnyDrainEventRule');
  hook.onDrainEvent('StartedRule', { eventTypes: [DrainEventType.STARTED] });
}

describe('drain events on the default bus', () => {
  const props = { drainTimeout: Duration.minutes(3) };

  test('each drain\'s events arrive; onDrainTimedOut\'s rule matches the timeout, onDrainCompleted\'s the completion, and not each other\'s', () =>
    withEmulator({ scale: 40, synthesized: synthDrainStack(props, withRules) }, async (emu) => {
      const quick = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 20 * SECOND });
      const stuck = emu.world.addInstance({ serviceTasks: 1, stuckTasks: 1, deactivatingMs: 10 * SECOND });
      const stuckTask = [...emu.world.tasks.values()].find((t) => t.stuck)!;
      emu.world.scaleIn(quick);
      emu.world.scaleIn(stuck);
      const [quickOutcome, stuckOutcome] = await emu.waitForOutcomes([quick, stuck], 15 * MINUTE);
      await emu.settle();
      expectCleanDrains([quickOutcome], within(emu, 5 * SECOND));
      expect(stuckOutcome).toMatchObject({ how: 'completed', result: 'CONTINUE', tasksNotStopped: 1 });

      const events = drainEventsOf(emu);
      const of = (id: string) => events.filter((e) => e.detail.instanceId === id).map((e) => e['detail-type']);
      expect(of(quick)).toEqual(['Drain Started', 'Drain Completed']);
      expect(of(stuck)).toEqual(['Drain Started', 'Drain Timed Out']);
      for (const e of events) {
        expect(e).toMatchObject({ version: '0', account: '123456789012', region: 'eu-west-1', id: expect.any(String) });
        expect(e.detail).toMatchObject({ version: '1', clusterName: 'prod', autoScalingGroupName: 'prod-capacity', lifecycleHookName: 'drain-hook', trigger: 'LIFECYCLE_ACTION' });
      }

      // The timeout event names the task that kept the instance, as DescribeTasks knew it
      const timedOut = events.find((e) => e['detail-type'] === 'Drain Timed Out')!;
      expect(timedOut.detail).toMatchObject({
        instanceId: stuck, containerInstanceArn: emu.world.containerInstanceOf(stuck)!.arn, lifecycleActionResult: 'CONTINUE',
        drainTimeoutSeconds: 180, blockingTaskCount: 1, blockingTasksOmitted: 0,
        blockingTasks: [{
          taskArn: stuckTask.arn, service: 'web', family: 'web', group: 'service:web', startedBy: 'ecs-svc/1234567890123456789',
          // a task stuck in its load balancer deregistration, until the instance went with it
          desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING',
        }],
      });
      expect(timedOut.detail.drainSeconds).toBeGreaterThanOrEqual(180);

      // Each rule matched exactly its own events
      const completed = events.find((e) => e['detail-type'] === 'Drain Completed')!;
      expect(emu.bus.matchedBy('DrainHookTimedOutRule')).toEqual([timedOut]);
      expect(emu.bus.matchedBy('DrainHookCompletedRule')).toEqual([completed]);
      expect(emu.bus.matchedBy('DrainHookAnyDrainEventRule')).toEqual(events);
      expect(emu.bus.matchedBy('DrainHookStartedRule').map((e) => (e.detail as { instanceId: string }).instanceId).sort()).toEqual([quick, stuck].sort());
      // ... and no AWS event: the handler's own rules never see a drain event
      expect(emu.allInvocations().some((i) => i.detailType.startsWith('Drain '))).toBe(false);

      // The logs name it too, at the timeout
      const blockerLines = logsOf(emu).filter((l) => l.message === 'a task is still blocking the drain');
      expect(blockerLines).toEqual([expect.objectContaining({ at: 'timeout', instanceId: stuck, taskArn: stuckTask.arn, service: 'web' })]);
    }));

  test('publishDrainEvents false: the same drains, and no drain event on the bus', () => withEmulator({
    scale: 40, props: { ...props, publishDrainEvents: false },
  }, async (emu) => {
    const quick = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 10 * SECOND });
    emu.world.scaleIn(quick);
    const [outcome] = await emu.waitForOutcomes([quick], 10 * MINUTE);
    await emu.settle();
    expectCleanDrains([outcome], within(emu, 5 * SECOND));
    expect(drainEventsOf(emu)).toEqual([]);
    expect(emu.server.calls.filter((c) => c.service === 'events')).toEqual([]);
  }));

  test('PutEvents failing on every call: the drains end as they would, each unsent event a WARN line and a metric', () => withEmulator({
    scale: 40, props, faults: { serverErrorRate: { PutEvents: 1 } },
  }, async (emu) => {
    const quick = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 15 * SECOND });
    const stuck = emu.world.addInstance({ stuckTasks: 1 });
    emu.world.scaleIn(quick);
    emu.world.scaleIn(stuck);
    const [quickOutcome, stuckOutcome] = await emu.waitForOutcomes([quick, stuck], 15 * MINUTE);
    await emu.settle();
    expectCleanDrains([quickOutcome], within(emu, 5 * SECOND));
    expect(stuckOutcome).toMatchObject({ how: 'completed', tasksNotStopped: 1 });
    expect(drainEventsOf(emu)).toEqual([]);
    expect(emu.server.calls.filter((c) => c.operation === 'PutEvents').every((c) => c.error === 'InternalException')).toBe(true);
    const warnings = logsOf(emu).filter((l) => l.message === 'could not publish a drain event to EventBridge; the drain is not affected');
    expect(warnings.map((w) => w.detailType).sort()).toEqual(['Drain Completed', 'Drain Started', 'Drain Started', 'Drain Timed Out']);
    expect(emu.allLogLines().filter((l) => l.includes('"DrainEventsNotPublished"'))).toHaveLength(4);
    expect(emu.allInvocations().every((i) => i.ok)).toBe(true);
    expect(emu.bus.deadLetters).toEqual([]);
  }));
});

test('a waiting drain names its blocking tasks at each heartbeat, not at each task event', () => withEmulator({ scale: 60 }, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 2, stuckTasks: 1, deactivatingMs: 30 * SECOND });
  const stuckTask = [...emu.world.tasks.values()].find((t) => t.stuck)!;
  emu.world.scaleIn(id);
  // the first heartbeat comes 6 minutes into the drain (10-minute heartbeat timeout, 4 minutes ahead)
  await emu.waitFor(() => logsOf(emu).some((l) => l.message === 'recorded a lifecycle action heartbeat'), 10 * MINUTE, 'the first heartbeat');
  await emu.settle();
  const logs = logsOf(emu);
  const blockers = logs.filter((l) => l.message === 'a task is still blocking the drain');
  expect(blockers).toEqual([expect.objectContaining({
    at: 'heartbeat', instanceId: id, taskArn: stuckTask.arn, service: 'web', family: 'web', lastStatus: 'DEACTIVATING',
    desiredStatus: 'STOPPED', startedBy: 'ecs-svc/1234567890123456789', since: expect.any(String), drainTrigger: 'LIFECYCLE_ACTION',
  })]);
  expect(logs.find((l) => l.message === 'recorded a lifecycle action heartbeat')).toMatchObject({ tasksNotStopped: 1 });
  // the two task events (the service tasks that stopped) named nothing
  // (read by the cluster's task-event consumer, in batches)
  const taskEvents = emu.allInvocations().flatMap((i) => i.records ?? [i]).filter((r) => r.detailType === 'ECS Task State Change').length;
  expect(taskEvents).toBeGreaterThanOrEqual(2);
  expect(emu.outcomeOf(id)).toBeUndefined();
}));
