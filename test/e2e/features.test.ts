/**
 * End-to-end: the warm-pool round trip, Spot interruption warnings, standalone-task policies and daemon tasks.
 */
import { Duration } from 'aws-cdk-lib';
import { StandaloneTaskPolicy } from '../../lib';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(120_000);

describe('warm pool round trip', () => {
  test('scale-in into the warm pool drains; the return to service sets the container instance ACTIVE again', () => withEmulator({ scale: 20 }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 20 * SECOND });
    const ci = emu.world.containerInstanceOf(id)!;
    emu.world.scaleIn(id, 'WarmPool');
    const [outcome] = await emu.waitForOutcomes([id], 10 * MINUTE);
    expectCleanDrains([outcome], within(emu, 5 * SECOND));
    expect(outcome.destination).toBe('WarmPool');
    expect(ci.status).toBe('DRAINING');

    emu.world.returnFromWarmPool(id);
    await emu.waitFor(() => ci.status === 'ACTIVE' && !ci.attributes.has('ecs-draining-lifecycle-hook'), 2 * MINUTE,
      'the container instance to be ACTIVE without the drain marker');
    // The return event's own calls. (A task event handled at the same moment may still read DRAINING and try to
    // complete the action, which Auto Scaling refuses: that race is harmless, so it is not counted here.)
    const [launch] = emu.lambda.invocations.filter((i) => i.detailType === 'EC2 Instance Launch Successful');
    expect(emu.server.calls.filter((c) => c.invocationId === launch.requestId).map((c) => c.operation))
      .toEqual(['DescribeAutoScalingGroups', 'ListContainerInstances', 'DescribeContainerInstances', 'UpdateContainerInstancesState', 'DeleteAttributes']);
  }));

  test('an instance DRAINING for another reason is not reactivated', () => withEmulator({ scale: 20 }, async (emu) => {
    const id = emu.world.addInstance({ inWarmPool: true });
    const ci = emu.world.containerInstanceOf(id)!;
    ci.status = 'DRAINING';
    emu.world.returnFromWarmPool(id);
    await emu.waitFor(() => emu.lambda.invocations.some((i) => i.detailType === 'EC2 Instance Launch Successful' && i.ok !== undefined),
      2 * MINUTE, 'the launch event to be handled');
    expect(emu.lambda.invocations.find((i) => i.detailType === 'EC2 Instance Launch Successful')?.result)
      .toMatchObject({ trigger: 'warm-pool-return', instances: [{ instanceId: id, outcome: 'skipped' }] });
    expect(ci.status).toBe('DRAINING');
    expect(emu.mutatingCalls()).toEqual([]);
  }));

  test('an instance terminating from the warm pool completes at once', () => withEmulator({ scale: 20 }, async (emu) => {
    const id = emu.world.addInstance({ inWarmPool: true, status: 'unregistered' });
    const start = emu.clock.now();
    emu.world.scaleIn(id);
    const [outcome] = await emu.waitForOutcomes([id], 5 * MINUTE);
    expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 0 });
    expect(outcome.endedAt - start).toBeLessThan(within(emu, 10 * SECOND));
    expect(emu.callsFor(id)).toEqual({ CompleteLifecycleAction: 1 });
  }));
});

describe('Spot interruption', () => {
  test('the warning sets DRAINING two minutes early; the termination then waits for the tasks', () => withEmulator({
    scale: 20, props: { drainOnSpotInterruption: true },
  }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 30 * SECOND });
    const other = emu.world.containerInstanceOf(emu.world.addInstance({ serviceTasks: 1 }))!;
    const ci = emu.world.containerInstanceOf(id)!;
    const warnedAt = emu.clock.now();
    emu.world.spotInterruption(id);
    emu.world.spotInterruption('i-0fffffffffffffff0'); // an instance of another group
    await emu.waitFor(() => ci.status === 'DRAINING', MINUTE, 'DRAINING');
    expect(emu.clock.now() - warnedAt).toBeLessThan(within(emu, 5 * SECOND));
    expect(other.status).toBe('ACTIVE');
    await emu.idle(2 * MINUTE);
    // two minutes later EC2 reclaims it: Auto Scaling terminates it, through the lifecycle hook
    const terminatingAt = emu.clock.now();
    emu.world.scaleIn(id);
    const [outcome] = await emu.waitForOutcomes([id], 10 * MINUTE);
    // the tasks had stopped before the lifecycle action began: it completes at once
    expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 0 });
    expect(outcome.lastTaskStoppedAt!).toBeLessThan(terminatingAt);
    expect(outcome.endedAt - terminatingAt).toBeLessThan(within(emu, 10 * SECOND));
  }));
});

describe('standalone tasks', () => {
  test('STOP: stopped after the grace period, then waited for', () => withEmulator({
    scale: 40, props: { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(3) },
  }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 1, standaloneTasks: 1, deactivatingMs: 10 * SECOND });
    const start = emu.clock.now();
    emu.world.scaleIn(id);
    const [outcome] = await emu.waitForOutcomes([id], 20 * MINUTE);
    expectCleanDrains([outcome], within(emu, 5 * SECOND));
    expect(outcome.endedAt - start).toBeGreaterThanOrEqual(3 * MINUTE);
    expect(outcome.endedAt - start).toBeLessThan(5 * MINUTE);
    const standalone = [...emu.world.tasks.values()].find((t) => t.kind === 'standalone')!;
    expect(standalone).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: `ecs-draining-lifecycle-hook: instance ${id} is terminating` });
  }));

  test('IGNORE: the instance goes once the service tasks are STOPPED', () => withEmulator({
    scale: 20, props: { standaloneTaskPolicy: StandaloneTaskPolicy.IGNORE },
  }, async (emu) => {
    const id = emu.world.addInstance({ serviceTasks: 1, standaloneTasks: 1, deactivatingMs: 20 * SECOND });
    emu.world.scaleIn(id);
    const [outcome] = await emu.waitForOutcomes([id], 10 * MINUTE);
    expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 1 });
    const service = [...emu.world.tasks.values()].find((t) => t.kind === 'service')!;
    expect(service.lastStatus).toBe('STOPPED');
  }));
});

test('daemon tasks stop last, and the drain waits for them', () => withEmulator({ scale: 20 }, async (emu) => {
  const id = emu.world.addInstance({ serviceTasks: 2, daemonTasks: 1, deactivatingMs: 20 * SECOND, stoppingMs: 10 * SECOND });
  emu.world.scaleIn(id);
  const [outcome] = await emu.waitForOutcomes([id], 10 * MINUTE);
  expectCleanDrains([outcome], within(emu, 5 * SECOND));
  const tasks = [...emu.world.tasks.values()];
  const daemon = tasks.find((t) => t.kind === 'daemon')!;
  const lastService = Math.max(...tasks.filter((t) => t.kind === 'service').map((t) => t.stoppedAt!));
  // ECS stopped the daemon only after both service tasks were STOPPED, and the drain waited for it too
  expect(daemon.stoppedAt!).toBeGreaterThan(lastService);
  expect(outcome.endedAt).toBeGreaterThanOrEqual(daemon.stoppedAt!);
}));
