/**
 * End-to-end scale scenarios (issue 12): a busy cluster whose tasks stop all the time while instances drain, three
 * groups of one cluster draining at once, and a hundred instances terminating together under ECS's documented token
 * buckets (the thousand-instance run is `npm run bench`). Each asserts no premature termination, no expired action,
 * completion within its bound, and the cost or bound the shared task-event path and the lifecycle queue give. Run
 * with release 0.1.0's wiring (SCALE_E2E_PER_GROUP_TASK_RULE=1, the per-group task rule), the cost and concurrency
 * assertions fail.
 */
import type { EmulatorOptions } from '../../emulator';
import { LIFECYCLE_MAX_CONCURRENCY, TASK_EVENT_MAX_CONCURRENCY } from '../../lib/handler-contract';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(240_000);

/** The wiring under test: the shared path (this release), or 0.1.0's, to check that the assertions fail without it. */
const perGroupTaskRule = process.env.SCALE_E2E_PER_GROUP_TASK_RULE === '1';

const layout = (groups?: string[]): Pick<EmulatorOptions, 'layout'> => ({ layout: { ...(groups ? { groups } : {}), perGroupTaskRule } });

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('a busy cluster: 2,000 unrelated task stops in two minutes while 5 instances drain', () => withEmulator({
  scale: 5, maxConcurrency: 4, ...layout(),
}, async (emu) => {
  const { startTaskChurn, taskEventCost } = await import('../../emulator');
  // GIVEN a cluster where 1,000 tasks a minute stop on instances nobody drains
  const churn = startTaskChurn(emu.world, { stopsPerMinute: 1000, durationMs: 2 * MINUTE });
  // WHEN five instances of the group drain meanwhile
  const ids = Array.from({ length: 5 }, () => emu.world.addInstance({ serviceTasks: 2, deactivatingMs: (i) => 20 * SECOND + i * 15 * SECOND }));
  ids.forEach((id) => emu.world.scaleIn(id));
  const outcomes = await emu.waitForOutcomes(ids, 10 * MINUTE);
  await emu.waitFor(() => emu.clock.now() > churn.endsAt, 5 * MINUTE, 'the churn to end');
  await emu.idle(10 * SECOND); // the last batching window
  await emu.settle();
  // THEN every drain completed cleanly, within the batching window and delivery of its last task event
  expectCleanDrains(outcomes, within(emu, 6 * SECOND));
  // AND finding out that a stop concerns no drain cost at most 0.1 ECS calls and 0.2 invocations per stop
  const stops = churn.stops();
  expect(stops).toBeGreaterThanOrEqual(1900);
  const cost = taskEventCost(emu.allInvocations(), emu.server.calls);
  expect(cost.describeContainerInstances / stops).toBeLessThanOrEqual(0.1);
  expect(cost.invocations / stops).toBeLessThanOrEqual(0.2);
}), 240_000);

test('three groups of one cluster drain at once: one shared task-event path, each group its own hook and metrics', () => withEmulator({
  scale: 10, maxConcurrency: 4, ...layout(['prod-capacity', 'batch-capacity', 'gpu-capacity']),
}, async (emu) => {
  const { hookNameOf, startTaskChurn, taskEventCost } = await import('../../emulator');
  const groups = ['prod-capacity', 'batch-capacity', 'gpu-capacity'];
  const churn = startTaskChurn(emu.world, { stopsPerMinute: 1000, durationMs: MINUTE });
  const ids = groups.flatMap((groupName) => Array.from({ length: 3 }, () => emu.world.addInstance({
    groupName, serviceTasks: 2, deactivatingMs: (i) => 15 * SECOND + i * 20 * SECOND,
  })));
  ids.forEach((id) => emu.world.scaleIn(id));
  const outcomes = await emu.waitForOutcomes(ids, 10 * MINUTE);
  await emu.waitFor(() => emu.clock.now() > churn.endsAt, 5 * MINUTE, 'the churn to end');
  await emu.idle(10 * SECOND);
  await emu.settle();
  expectCleanDrains(outcomes, within(emu, 6 * SECOND));
  // Each instance was let go by its own group's hook.
  for (const id of ids) {
    const groupName = groups[Math.floor(ids.indexOf(id) / 3)];
    const completions = emu.server.calls.filter((c) => c.operation === 'CompleteLifecycleAction' && !c.error && c.instanceIds.includes(id));
    expect({ id, hooks: completions.map((c) => JSON.parse(c.params).LifecycleHookName) }).toEqual({ id, hooks: [hookNameOf(groupName)] });
  }
  // Each group's drains are counted under its own dimension.
  const completedBy = emu.allLogLines().filter((l) => l.includes('"DrainsCompleted"')).map((l) => JSON.parse(l).AutoScalingGroupName);
  for (const g of groups) expect({ g, completed: completedBy.filter((x) => x === g).length }).toEqual({ g, completed: 3 });
  // The per-stop cost does not grow with the number of groups: at most 0.1 calls and 0.2 invocations per stop.
  const stops = churn.stops();
  const cost = taskEventCost(emu.allInvocations(), emu.server.calls);
  expect(cost.describeContainerInstances / stops).toBeLessThanOrEqual(0.1);
  expect(cost.invocations / stops).toBeLessThanOrEqual(0.2);
}), 240_000);

test('100 instances terminating together, 3 tasks each, under ECS token buckets at a tenth of the documented rates', () => withEmulator({
  // A tenth of the documented buckets (2 reads and 4 writes a second): a hundred instances put the pressure on ECS
  // that a thousand put on the full rates. Eight execution environments per function: enough for a storm to show.
  scale: 5, seed: 12, maxConcurrency: 8, faults: { ecsTokenBuckets: 0.1 }, ...layout(),
}, async (emu) => {
  const { peakConcurrency } = await import('../../emulator');
  // Load balancer deregistration delays from 30 s to 10.5 minutes: 300 task stops over ten minutes.
  const ids = Array.from({ length: 100 }, (_, n) => emu.world.addInstance({
    serviceTasks: 3, deactivatingMs: (i) => 30 * SECOND + ((n * 3 + i) % 120) * 5 * SECOND,
  }));
  ids.forEach((id) => emu.world.scaleIn(id));
  const outcomes = await emu.waitForOutcomes(ids, 30 * MINUTE);
  await emu.settle();
  expectCleanDrains(outcomes, within(emu, MINUTE));
  const latencies = outcomes.map((o) => o.endedAt - o.lastTaskStoppedAt!);
  expect(median(latencies)).toBeLessThanOrEqual(within(emu, 5 * SECOND));
  // Bounded concurrency: lifecycle actions reach the group function as at most two batches at a time, task events
  // the consumer as at most two.
  const lifecycleRuns = emu.lambda.invocations.filter((i) => i.detailType === 'EC2 Instance-terminate Lifecycle Action');
  expect(peakConcurrency(lifecycleRuns)).toBeLessThanOrEqual(LIFECYCLE_MAX_CONCURRENCY);
  if (emu.consumer) expect(peakConcurrency(emu.consumer.invocations)).toBeLessThanOrEqual(TASK_EVENT_MAX_CONCURRENCY);
  expect(lifecycleRuns.length).toBeLessThanOrEqual(ids.length / 2);
}), 240_000);
