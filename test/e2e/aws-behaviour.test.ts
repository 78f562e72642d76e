/**
 * End-to-end: the AWS behaviours a review against AWS's documentation found the handler and the emulator getting
 * wrong together (docs/aws-behaviour.md). Each scenario fails with the handler of the release before the fix.
 */
import { Duration } from 'aws-cdk-lib';
import { StandaloneTaskPolicy } from '../../lib';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(150_000);

describe('scale-in into a warm pool: the instance waits in Warmed:Pending:Wait', () => {
  test('a drain longer than heartbeatTimeout is kept alive by the sweep and completes clean', () => withEmulator({
    scale: 20, props: { heartbeatTimeout: Duration.minutes(3) },
  }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 8 * MINUTE });
    emu.world.scaleIn(id, 'WarmPool');
    expect(emu.world.group.get(id)?.lifecycleState).toBe('Warmed:Pending:Wait');
    const [outcome] = await emu.waitForOutcomes([id], 20 * MINUTE);
    expectCleanDrains([outcome], within(emu, 5 * SECOND));
    expect(outcome.destination).toBe('WarmPool');
  }));

  test('its lifecycle event lost: the sweep starts the drain', () => withEmulator({
    scale: 20, faults: { dropEventRate: 1, dropOnly: ['EC2 Instance-terminate Lifecycle Action'] },
  }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 30 * SECOND });
    const ci = emu.world.containerInstanceOf(id)!;
    emu.world.scaleIn(id, 'WarmPool');
    await emu.waitFor(() => ci.status === 'DRAINING', 3 * MINUTE, 'the sweep to set DRAINING');
    const [outcome] = await emu.waitForOutcomes([id], 15 * MINUTE);
    expectCleanDrains([outcome], within(emu, 5 * MINUTE));
  }));
});

describe('ECS custom-attribute quota full (10 registered through ECS_INSTANCE_ATTRIBUTES)', () => {
  test('the instance is set DRAINING all the same and completes once its tasks have stopped', () => withEmulator({ scale: 20 }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 30 * SECOND, customAttributes: 10 });
    const ci = emu.world.containerInstanceOf(id)!;
    emu.world.scaleIn(id);
    await emu.waitFor(() => ci.status === 'DRAINING', MINUTE, 'DRAINING');
    const [outcome] = await emu.waitForOutcomes([id], 15 * MINUTE);
    // no marker, so no task event can complete it: the next sweep does, within one interval and a check
    expectCleanDrains([outcome], within(emu, 2 * MINUTE));
    expect(ci.attributes.has('ecs-draining-lifecycle-hook')).toBe(false);
    expect(emu.allLogLines().some((l) => l.includes('"DrainsWithoutMarker"'))).toBe(true);
  }));

  test('drainTimeout still applies, timed from the Auto Scaling termination activity', () => withEmulator({
    scale: 20, props: { drainTimeout: Duration.minutes(10) },
  }, async (emu) => {
    const id = emu.world.addInstance({ stuckTasks: 1, customAttributes: 10 });
    const start = emu.clock.now();
    emu.world.scaleIn(id);
    const [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
    expect(outcome).toMatchObject({ how: 'completed', result: 'CONTINUE' });
    expect(outcome.endedAt - start).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(outcome.endedAt - start).toBeLessThan(within(emu, 12 * MINUTE));
  }));
});

test('a lost warm-pool return event: the sweep sets the container instance ACTIVE again', () => withEmulator({
  scale: 20, faults: { dropEventRate: 1, dropOnly: ['EC2 Instance Launch Successful'] },
}, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 10 * SECOND });
  const ci = emu.world.containerInstanceOf(id)!;
  emu.world.scaleIn(id, 'WarmPool');
  await emu.waitForOutcomes([id], 10 * MINUTE);
  await emu.idle(5 * MINUTE);
  expect(ci.status).toBe('DRAINING');
  const returnedAt = emu.clock.now();
  emu.world.returnFromWarmPool(id);
  // ACTIVE first, then the marker is removed (a second call): wait for both
  await emu.waitFor(() => ci.status === 'ACTIVE' && !ci.attributes.has('ecs-draining-lifecycle-hook'), 5 * MINUTE,
    'the sweep to set ACTIVE and remove the marker');
  expect(emu.clock.now() - returnedAt).toBeLessThan(within(emu, 2 * MINUTE));
  expect(emu.bus.deliveries.filter((d) => d.detailType === 'EC2 Instance Launch Successful').map((d) => d.fate)).toEqual(['dropped']);
}));

test('tasks that DescribeTasks shows as DELETED have stopped: a drain whose task events were lost completes at the next check', () => withEmulator({
  scale: 20, faults: { dropEventRate: 1, dropOnly: ['ECS Task State Change'] },
}, async (emu) => {
  emu.world.deletedAfterMs = 20 * SECOND; // AWS documents no duration: sooner than the first back-off check
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 10 * SECOND });
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
  // the tasks were STOPPED for 20 s, then DELETED, by the time the back-off check listed them
  expect([...emu.world.tasks.values()].every((t) => t.lastStatus === 'DELETED')).toBe(true);
  expectCleanDrains([outcome], within(emu, 3 * MINUTE));
}));

test('an irregular schedule (ticks 119 s, then 1 s apart) never skips the end of the standalone grace period', () => withEmulator({
  scale: 20,
  props: { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(2) },
  faults: { scheduleOffsetsMs: [59 * SECOND, 0] },
}, async (emu) => {
  const id = emu.world.addInstance({ standaloneTasks: 1 });
  const standalone = [...emu.world.tasks.values()].find((t) => t.kind === 'standalone')!;
  const start = emu.clock.now();
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
  expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 0 });
  // stopped by the first sweep after the grace period, which comes at most two intervals after it
  expect(standalone.stopCode).toBe('UserInitiated');
  expect(outcome.endedAt - start).toBeLessThan(within(emu, 2 * MINUTE + 2 * MINUTE + 10 * SECOND));
}));

test('a cluster that does not exist: lifecycle actions complete at once, with an ERROR log and the ClusterNotFound metric', () => withEmulator({
  scale: 20,
  extraEnvironment: { CLUSTER_NAME: 'deleted-cluster', CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/deleted-cluster' },
}, async (emu) => {
  const id = emu.world.addInstance({ status: 'unregistered' });
  const start = emu.clock.now();
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 15 * MINUTE);
  expect(outcome).toMatchObject({ how: 'completed', result: 'CONTINUE' });
  expect(outcome.endedAt - start).toBeLessThan(within(emu, 10 * SECOND));
  // the invocation's logs are complete once it has returned
  await emu.waitFor(() => emu.lambda.invocations.some((i) => i.detailType === 'EC2 Instance-terminate Lifecycle Action' && i.ok !== undefined),
    MINUTE, 'the lifecycle invocation to return');
  expect(emu.lambda.logLines.some((l) => l.includes('"ClusterNotFound"'))).toBe(true);
  expect(emu.lambda.logLines.some((l) => l.includes('"level":"ERROR"') && l.includes('does not exist'))).toBe(true);
}));
