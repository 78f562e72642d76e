/**
 * End-to-end: a drain that outlives drainTimeout, with DrainTimeoutBehavior.retain() and a group whose instance
 * lifecycle policy retains instances on TerminateHookAbandon. The instance is retained with its tasks running, the
 * group replaces it, the drain goes on (the sweep reconciles drained instances back in service, with a warm pool, and
 * leaves it DRAINING), and once its last task is STOPPED it is terminated through Auto Scaling: no task cut, the
 * desired capacity the same before and after.
 *
 * Run with the behaviour off (RETENTION_E2E_OFF=1, drainTimeoutBehavior left at its default): every field of the
 * summary below differs from what this test expects, as checked when it was written.
 */
import { Duration } from 'aws-cdk-lib';
import { DrainTimeoutBehavior } from '../../lib';
import { MINUTE, SECOND, withEmulator, within } from './assertions';

jest.setTimeout(180_000);

const off = process.env.RETENTION_E2E_OFF === '1';

test('a drain past drainTimeout: retained with its tasks, never cut, terminated after its last task STOPPED, desired capacity unchanged', () => withEmulator({
  scale: 60,
  props: { drainTimeout: Duration.minutes(3), ...(off ? {} : { drainTimeoutBehavior: DrainTimeoutBehavior.retain() }) },
}, async (emu) => {
  const { world } = emu;
  world.terminateHookAbandon = 'retain';
  world.warmPoolConfigured = true; // the sweep reconciles drained instances that are back in service
  const id = world.addInstance({ serviceTasks: 2, deactivatingMs: 10 * MINUTE });
  world.addInstance();
  world.addInstance();
  world.trackDesiredCapacity();
  const ci = world.containerInstanceOf(id)!;

  // While it is retained: its container instance's statuses, and the group's capacity as the sweep would read it.
  const statusesWhileRetained = new Set<string>();
  let capacityWhenRetained: { desired?: number; inService: number } | undefined;
  const watch = setInterval(() => {
    if (world.group.get(id)?.lifecycleState !== 'Terminating:Retained') return;
    statusesWhileRetained.add(ci.status);
    capacityWhenRetained ??= { desired: world.desiredCapacity, inService: world.inCapacity().length };
  }, 2);

  // WHEN the group replaces the instance (TerminateInstanceInAutoScalingGroup without decrement, as an instance
  // refresh or a health-check replacement does)
  const start = emu.clock.now();
  world.terminateInstance(id, false);
  let outcome;
  try {
    [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
    await emu.settle();
  } finally {
    clearInterval(watch);
  }

  const retention = world.retentions.find((r) => r.instanceId === id);
  const terminateCalls = emu.server.calls.filter((c) => c.operation === 'TerminateInstanceInAutoScalingGroup' && !c.error);
  const sweepsWhileRetained = emu.lambda.invocations.filter((i) => i.detailType === 'Scheduled Event'
    && retention !== undefined && i.startedAt > retention.at && i.startedAt < outcome!.endedAt).length;
  const tasks = world.tasksOn(ci.arn);
  expect(tasks).toHaveLength(2);
  const summary = {
    // retained at drainTimeout (checked by the next sweep or task event), with both tasks still running
    retained: retention !== undefined && retention.at - start >= 3 * MINUTE && retention.at - start <= within(emu, 5 * MINUTE),
    tasksRunningWhenRetained: retention?.tasksNotStopped,
    // the drain went on while retained: the container instance stayed DRAINING through several sweeps (their
    // reconciliation of drained instances back in service left it alone)
    statusesWhileRetained: [...statusesWhileRetained],
    severalSweepsWhileRetained: sweepsWhileRetained >= 3,
    // no task cut: terminated only after the last one STOPPED, by ECS's own draining, none stopped by the handler
    tasksCut: outcome!.tasksNotStopped,
    completedAfterLastTaskStopped: outcome!.how === 'completed' && outcome!.lastTaskStoppedAt !== undefined
      && outcome!.endedAt >= outcome!.lastTaskStoppedAt && outcome!.endedAt - outcome!.lastTaskStoppedAt <= within(emu, 30 * SECOND),
    stoppedByEcsDrainingAlone: emu.server.calls.every((c) => c.operation !== 'StopTask')
      && tasks.every((t) => t.stopCode === 'ServiceSchedulerInitiated'),
    // terminated through Auto Scaling, once, without decrementing: the desired capacity the same before (the group
    // replaced the instance when it was retained) and after (no second replacement)
    terminateCalls: terminateCalls.map((c) => JSON.parse(c.params).ShouldDecrementDesiredCapacity),
    capacity: {
      whenRetained: capacityWhenRetained,
      after: { desired: world.desiredCapacity, inService: world.inCapacity().length, replacements: world.replacements.length },
    },
  };
  expect(summary).toEqual({
    retained: true,
    tasksRunningWhenRetained: 2,
    statusesWhileRetained: ['DRAINING'],
    severalSweepsWhileRetained: true,
    tasksCut: 0,
    completedAfterLastTaskStopped: true,
    stoppedByEcsDrainingAlone: true,
    terminateCalls: ['false'],
    capacity: { whenRetained: { desired: 3, inService: 3 }, after: { desired: 3, inService: 3, replacements: 1 } },
  });
}));

test('every task event lost, and a termination that runs no hooks again: the sweep still terminates the retained instance, within 15 minutes of its last task', () => withEmulator({
  scale: 100,
  props: { drainTimeout: Duration.minutes(3), ...(off ? {} : { drainTimeoutBehavior: DrainTimeoutBehavior.retain() }) },
  faults: { dropEventRate: 1, dropOnly: ['ECS Task State Change'] },
}, async (emu) => {
  const { world } = emu;
  world.terminateHookAbandon = 'retain';
  world.retainedTerminationRunsHooks = false;
  const id = world.addInstance({ serviceTasks: 1, deactivatingMs: 20 * MINUTE });
  world.addInstance();
  world.trackDesiredCapacity();
  world.terminateInstance(id, false);
  const [outcome] = await emu.waitForOutcomes([id], 60 * MINUTE);
  expect({
    retained: world.retentions.some((r) => r.instanceId === id && r.tasksNotStopped === 1),
    tasksCut: outcome.tasksNotStopped,
    releasedBySweepInTime: outcome.lastTaskStoppedAt !== undefined && outcome.endedAt >= outcome.lastTaskStoppedAt
      && outcome.endedAt - outcome.lastTaskStoppedAt <= within(emu, 16 * MINUTE),
  }).toEqual({ retained: true, tasksCut: 0, releasedBySweepInTime: true });
}));
