/**
 * End-to-end scale scenario (issue 12): a hundred instances terminating together under ECS's documented token
 * buckets, at a tenth of their rates (the thousand-instance run is `npm run bench`). It asserts no premature
 * termination, no expired action, completion within its bound, and the concurrency the lifecycle queue and the shared
 * task-event path bound. Run with release 0.1.0's wiring (SCALE_E2E_PER_GROUP_TASK_RULE=1), the concurrency
 * assertions fail. In a file of its own, the longest e2e scenario runs beside the others.
 */
import { LIFECYCLE_MAX_CONCURRENCY, TASK_EVENT_MAX_CONCURRENCY } from '../../lib/handler-contract';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';
import { layout, median } from './scale-wiring';

jest.setTimeout(240_000);

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
