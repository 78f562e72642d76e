/**
 * End-to-end drains: the synthesized construct's rules and the bundled handler, on the wire-level emulator.
 */
import { Duration } from 'aws-cdk-lib';
import { runDrainScenario } from '../../emulator';
import { MINUTE, SECOND, expectCleanDrains, expectNoTokenLogged, withEmulator, within } from './assertions';

jest.setTimeout(120_000);

test('happy path: staggered task stops on three instances', () => withEmulator({ scale: 20 }, async (emu) => {
  const ids = [1, 2, 3].map(() => emu.world.addInstance({ serviceTasks: 4, deactivatingMs: (i) => 10 * SECOND + i * 15 * SECOND }));
  ids.forEach((id) => emu.world.scaleIn(id));
  const outcomes = await emu.waitForOutcomes(ids, 15 * MINUTE);
  expectCleanDrains(outcomes, within(emu, 5 * SECOND));
  await emu.settle();
  expectNoTokenLogged(emu);
  for (const id of ids) {
    expect(emu.callsFor(id).UpdateContainerInstancesState).toBeGreaterThanOrEqual(1);
    expect({ id, unexplained: emu.unexplainedDrainStarts(id) }).toEqual({ id, unexplained: 0 });
  }
}));

test('zero tasks: completes within seconds of the lifecycle event', () => withEmulator({ scale: 20 }, async (emu) => {
  const id = emu.world.addInstance();
  const start = emu.clock.now();
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 5 * MINUTE);
  expectCleanDrains([outcome], within(emu, 5 * SECOND));
  expect(outcome.endedAt - start).toBeLessThan(within(emu, 10 * SECOND));
  // every call is attributed to the invocation that made it (the bench splits event-driven from sweep calls by it)
  const lifecycleRun = emu.lambda.invocations.find((i) => i.instanceId === id)!;
  expect(emu.server.calls.filter((c) => c.instanceIds.includes(id)).map((c) => c.invocationId)).toEqual(
    expect.arrayContaining([lifecycleRun.requestId]));
  expect(emu.server.calls.filter((c) => !c.invocationId)).toEqual([]);
}));

test('an instance not registered in ECS: completed at once, nothing set DRAINING', () => withEmulator({ scale: 20 }, async (emu) => {
  const id = emu.world.addInstance({ status: 'unregistered' });
  const start = emu.clock.now();
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 5 * MINUTE);
  expectCleanDrains([outcome], 0);
  expect(outcome.endedAt - start).toBeLessThan(within(emu, 10 * SECOND));
  // a lifecycle batch of one instance costs what a single event does: one lookup for ACTIVE instances (the common
  // case), one for any other status, then the completion
  expect(emu.callsFor(id)).toEqual({ ListContainerInstances: 2, CompleteLifecycleAction: 1 });
}));

test('an instance already DRAINING: adopted, its tasks waited for, status never reset', () => withEmulator({ scale: 20 }, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 40 * SECOND });
  const ci = emu.world.containerInstanceOf(id)!;
  emu.world.setStatus(ci, 'DRAINING');
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 10 * MINUTE);
  expectCleanDrains([outcome], within(emu, 5 * SECOND));
  expect(emu.callsFor(id).UpdateContainerInstancesState ?? 0).toBe(0);
}));

test('tasks stuck in DEACTIVATING with runningTasksCount 0: never completed early', () => withEmulator({ scale: 40 }, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 3, deactivatingMs: (i) => 8 * MINUTE + i * 30 * SECOND });
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 20 * MINUTE);
  expectCleanDrains([outcome], within(emu, 5 * SECOND));
  expect(outcome.lastTaskStoppedAt! - emu.startedAt).toBeGreaterThan(8 * MINUTE);
  await emu.settle();
  expect(emu.allLogLines().some((l) => l.includes('"PrematureCompletionGuards"'))).toBe(true);
}));

test('a drain longer than several heartbeat timeouts: kept alive, never expires', () => withEmulator({
  scale: 100, props: { heartbeatTimeout: Duration.minutes(3), drainTimeout: Duration.hours(1) },
}, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 20 * MINUTE });
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 40 * MINUTE);
  expectCleanDrains([outcome], within(emu, 5 * SECOND));
  expect(outcome.endedAt - emu.startedAt).toBeGreaterThan(20 * MINUTE); // > 6 heartbeat timeouts
  expect(emu.callsFor(id).RecordLifecycleActionHeartbeat).toBeGreaterThanOrEqual(6);
}));

test('a standalone task that never stops: released at drainTimeout, not before, action never expired', () => withEmulator({
  scale: 100, props: { heartbeatTimeout: Duration.minutes(3), drainTimeout: Duration.minutes(12) },
}, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 1, standaloneTasks: 1 });
  const start = emu.clock.now();
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
  // the documented exception: drainTimeout lets the instance go with the standalone task still running
  expect(outcome).toMatchObject({ how: 'completed', result: 'CONTINUE', tasksNotStopped: 1 });
  expect(outcome.endedAt - start).toBeGreaterThanOrEqual(12 * MINUTE);
  expect(outcome.endedAt - start).toBeLessThan(12 * MINUTE + 3 * MINUTE);
  await emu.settle(); // the invocation that completed the action may still be writing its log
  expect(emu.allLogLines().some((l) => l.includes('drain timed out'))).toBe(true);
}));

test('a mixed fleet in one scale-in: busy, with a daemon, idle, unregistered, already DRAINING', async () => {
  const result = await runDrainScenario({
    scale: 20, limitMs: 15 * MINUTE,
    instances: [
      { serviceTasks: 3, deactivatingMs: (i) => 10 * SECOND + i * 20 * SECOND },
      { serviceTasks: 1, daemonTasks: 1, deactivatingMs: 15 * SECOND, stoppingMs: 5 * SECOND },
      {},
      { status: 'unregistered' },
      { serviceTasks: 2, deactivatingMs: 30 * SECOND },
    ],
    before: (emu, ids) => emu.world.setStatus(emu.world.containerInstanceOf(ids[4])!, 'DRAINING'),
  });
  expectCleanDrains(result.outcomes, within(20, 5 * SECOND));
  const [busy, daemon, idle, unregistered, draining] = result.instanceIds;
  expect(result.callsPerInstance[busy].UpdateContainerInstancesState).toBeGreaterThanOrEqual(1);
  expect(result.callsPerInstance[daemon].UpdateContainerInstancesState).toBeGreaterThanOrEqual(1);
  expect(result.unexplainedDrainStarts).toEqual({ [busy]: 0, [daemon]: 0, [idle]: 0, [unregistered]: 0, [draining]: 0 });
  expect(result.callsPerInstance[idle].CompleteLifecycleAction).toBe(1);
  // in a batch of several, a share of the batch's one lookup; alone in its batch, the single event's two lookups
  expect(result.callsPerInstance[unregistered].ListContainerInstances).toBeLessThanOrEqual(2);
  expect(result.callsPerInstance[unregistered].CompleteLifecycleAction).toBe(1);
  expect(result.callsPerInstance[draining].UpdateContainerInstancesState ?? 0).toBe(0);
  expect(result.invocations.filter((i) => i.ok === false)).toEqual([]);
  expect(result.deadLetters).toBe(0);
  expect(result.billedMs).toBeGreaterThan(0);
  expect(result.durationMs).toBeLessThan(within(20, 2 * MINUTE));
});
