/**
 * End-to-end: the disruption budget (`maxConcurrentDrains`). Ten instances terminate at once with a budget of 2:
 * never more than 2 DRAINING, every drain complete and clean, none expired, the oldest termination first; with the
 * lifecycle events arriving together (concurrent invocations) and out of order, one of them lost, and invocations
 * killed partway. The same scenario without the budget breaks each of those assertions (the control test below).
 */
import { Duration } from 'aws-cdk-lib';
import type { Emulator, EmulatorOptions } from '../../emulator';
import { DrainBudget } from '../../lib';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(240_000);

interface BudgetRun {
  /** Instance ids in the order their terminations began. */
  readonly terminationOrder: string[];
  /** Emulated ms at which each instance's container instance was set DRAINING (first time). */
  readonly drainingAt: Map<string, number>;
  /** The most container instances DRAINING at any moment. */
  readonly maxDraining: number;
  readonly outcomes: Awaited<ReturnType<Emulator['waitForOutcomes']>>;
  /** Invocations killed partway (crashes). */
  readonly crashes: number;
}

/**
 * Ten instances with two service tasks each (60 s to deregister) terminate one emulated second apart, in an order
 * unrelated to their ids; two more stay in service. With a budget of 2 the last one waits about five minutes: longer
 * than the 3-minute heartbeat timeout of the budget scenarios, so a queued instance not kept alive would expire. Every status change of a container instance is watched, so the
 * count of DRAINING ones is known at every moment, not sampled.
 */
async function tenTerminateAtOnce(emu: Emulator, crash = false): Promise<BudgetRun> {
  const ids = Array.from({ length: 10 }, () => emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 60 * SECOND, stoppingMs: 5 * SECOND }));
  emu.world.addInstance({ serviceTasks: 1 });
  emu.world.addInstance({ serviceTasks: 1 });
  const drainingAt = new Map<string, number>();
  let maxDraining = 0;
  const setStatus = emu.world.setStatus.bind(emu.world);
  emu.world.setStatus = (ci, status) => {
    setStatus(ci, status);
    if (status === 'DRAINING' && !drainingAt.has(ci.ec2InstanceId)) drainingAt.set(ci.ec2InstanceId, emu.clock.now());
    maxDraining = Math.max(maxDraining, [...emu.world.containerInstances.values()].filter((c) => c.status === 'DRAINING').length);
  };
  // Crashes at the two worst moments for the budget: just after ECS accepted the first DRAINING, and just after the
  // first QUEUED marker was written, before the handler saw either answer. Lambda retries them; the sweep re-decides.
  let crashes = 0;
  const crashedAt = new Set<string>();
  if (crash) {
    emu.server.onCall((c) => {
      const moment = c.operation === 'UpdateContainerInstancesState' && c.params.includes('DRAINING') ? 'draining'
        : c.operation === 'PutAttributes' && /\/Q\b/.test(c.params) ? 'queued' : undefined;
      if (moment && !crashedAt.has(moment)) {
        crashedAt.add(moment);
        crashes += emu.lambda.killBusy();
      }
    });
  }
  const terminationOrder = [3, 7, 0, 9, 4, 1, 8, 5, 2, 6].map((i) => ids[i]);
  for (const id of terminationOrder) {
    emu.world.scaleIn(id);
    await emu.idle(SECOND);
  }
  const outcomes = await emu.waitForOutcomes(terminationOrder, 40 * MINUTE);
  await emu.settle();
  return { terminationOrder, drainingAt, maxDraining, outcomes, crashes };
}

/** Lifecycle events up to 20 s late (so they arrive out of order), some lost, up to six invocations at once. */
const ROUGH: EmulatorOptions = {
  scale: 20, seed: 7, maxConcurrency: 6,
  faults: { maxExtraDelayMs: 20 * SECOND, dropEventRate: 0.1, dropOnly: ['EC2 Instance-terminate Lifecycle Action'] },
};

/** A budget of 2, and the shortest heartbeat timeout the construct allows with a 1-minute sweep. */
const BUDGET_OF_2 = { maxConcurrentDrains: DrainBudget.count(2), heartbeatTimeout: Duration.minutes(3) };

/** Whether each instance started draining no earlier than every instance whose termination began before it. */
function oldestFirst(run: BudgetRun): boolean {
  const starts = run.terminationOrder.map((id) => run.drainingAt.get(id)!);
  return starts.every((at, i) => i === 0 || at >= starts[i - 1]);
}

describe('a budget of 2, ten instances terminating at once', () => {
  test('never more than 2 DRAINING, all complete clean, none expired, oldest first: despite concurrent, late, lost events and killed invocations', () => withEmulator({
    ...ROUGH, props: BUDGET_OF_2,
  }, async (emu) => {
    const run = await tenTerminateAtOnce(emu, true);
    // the scenario really was rough: a lifecycle event lost, invocations killed, invocations running together
    expect(emu.bus.deliveries.filter((d) => d.fate === 'dropped').length).toBeGreaterThan(0);
    expect(run.crashes).toBeGreaterThan(0);
    expect(maxConcurrentInvocations(emu)).toBeGreaterThan(2);

    expect(run.maxDraining).toBe(2);
    expectCleanDrains(run.outcomes, within(emu, 70 * SECOND));
    expect(run.outcomes.filter((o) => o.how === 'expired')).toEqual([]);
    // the last instances waited longer than the heartbeat timeout (3 minutes): only the queue's heartbeats kept them
    expect(Math.max(...run.drainingAt.values()) - Math.min(...run.drainingAt.values())).toBeGreaterThan(3 * MINUTE);
    expect(run.drainingAt.size).toBe(10);
    expect(run.terminationOrder.map((id) => run.drainingAt.get(id))).toEqual(
      [...run.terminationOrder.map((id) => run.drainingAt.get(id)!)].sort((a, b) => a - b));
    expect(oldestFirst(run)).toBe(true);
    // Queued instances were kept waiting (QUEUED, reported by the sweep's gauge) and none went over the budget.
    const queuedGauge = emu.lambda.logLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.InstancesQueued !== undefined).map((l) => l.InstancesQueued);
    expect(Math.max(...queuedGauge)).toBeGreaterThan(0);
    expect(emu.lambda.logLines.filter((l) => l.includes('"DrainsOverBudget"'))).toEqual([]);
    // Instances that waited published Drain Queued, before any Drain Started of theirs, on the emulator's bus. Events
    // are best effort: an invocation killed between the QUEUED marker and PutEvents publishes none, and two invocations
    // that queue the same instance at the same moment (its lifecycle event and a sweep) may both publish it.
    const drainEvents = emu.bus.published.filter((e) => e.source === 'ecs-draining-lifecycle-hook') as Array<Record<string, any>>;
    const queuedEvents = [...new Set(drainEvents.filter((e) => e['detail-type'] === 'Drain Queued').map((e) => e.detail.instanceId))];
    expect(queuedEvents.length).toBeGreaterThanOrEqual(6);
    for (const id of queuedEvents) {
      const types = drainEvents.filter((e) => e.detail.instanceId === id).map((e) => e['detail-type']);
      if (types.includes('Drain Started')) expect(types.indexOf('Drain Queued')).toBeLessThan(types.indexOf('Drain Started'));
    }
  }));

  test('a freed place is taken at once, not at the next sweep: each admission follows the end of a drain within seconds', () => withEmulator({
    scale: 20, props: BUDGET_OF_2,
  }, async (emu) => {
    const run = await tenTerminateAtOnce(emu);
    expect(run.maxDraining).toBe(2);
    const ends = run.outcomes.map((o) => o.endedAt).sort((a, b) => a - b);
    // The 3rd to 10th drains start when the 1st to 8th end (the drain that ended frees the place).
    const laterStarts = run.terminationOrder.slice(2).map((id) => run.drainingAt.get(id)!);
    laterStarts.forEach((at, i) => expect(at - ends[i]).toBeLessThan(within(emu, 10 * SECOND)));
  }));
});

test('control: without a budget the same scenario drains more than 2 at once, and not oldest first', () => withEmulator({
  ...ROUGH, props: { heartbeatTimeout: Duration.minutes(3) },
}, async (emu) => {
  const run = await tenTerminateAtOnce(emu);
  expect(run.maxDraining).toBeGreaterThan(2);
  expect(oldestFirst(run)).toBe(false);
  expectCleanDrains(run.outcomes, within(emu, 70 * SECOND));
}));

/** The most invocations of the function that ran at the same moment. */
function maxConcurrentInvocations(emu: Emulator): number {
  const edges = emu.lambda.invocations.flatMap((i) => [[i.startedAt, 1], [i.startedAt + (i.emulatedMs ?? Infinity), -1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let max = 0;
  for (const [, delta] of edges) { running += delta; max = Math.max(max, running); }
  return max;
}
