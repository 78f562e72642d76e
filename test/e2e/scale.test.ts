/**
 * End-to-end scale scenarios (issue 12), busy clusters: one whose tasks stop all the time while instances drain, and
 * three groups of one cluster draining at once (a hundred instances terminating together are in
 * scale-hundred-instances.test.ts; the thousand-instance run is `npm run bench`). Each asserts no premature
 * termination, no expired action, completion within its bound, and the cost the shared task-event path gives. Run
 * with release 0.1.0's wiring (SCALE_E2E_PER_GROUP_TASK_RULE=1, the per-group task rule), the cost assertions fail.
 */
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';
import { layout } from './scale-wiring';

jest.setTimeout(240_000);

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
