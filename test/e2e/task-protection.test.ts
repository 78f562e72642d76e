/**
 * End-to-end: TaskProtectionPolicy.WAIT on the emulator, with the real template and bundle. The emulator follows AWS's
 * draining page: DRAINING stops protected service tasks like any other (docs/aws-behaviour.md, "Task scale-in
 * protection"). Each scenario's properties are checked with WAIT, and the same scenario is run with IGNORE (the
 * default) to show that every one of them fails without the policy.
 */
import { Duration } from 'aws-cdk-lib';
import type { Emulator, TerminationOutcome } from '../../emulator';
import { TaskProtectionPolicy } from '../../lib';
import { MINUTE, SECOND, withEmulator, within } from './assertions';

jest.setTimeout(240_000);

const SCALE = 40;

/** A terminating instance with two service tasks, one of them protected for `minutes` from the moment it scales in. */
async function scaleInWithProtectedTask(emu: Emulator, minutes: number) {
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 20 * SECOND });
  const ci = emu.world.containerInstanceOf(id)!;
  const [guarded] = emu.world.tasksOn(ci.arn);
  const start = emu.clock.now();
  emu.world.updateTaskProtection(guarded, true, minutes); // what the worker's PUT to the agent endpoint does
  emu.world.scaleIn(id);
  return { id, ci, guarded, start, protectedUntil: start + minutes * MINUTE };
}

/** The instance's state at emulated time `at`: whether its lifecycle action is still pending, and its ECS status. */
async function stateAt(emu: Emulator, id: string, at: number): Promise<{ pending: boolean; status: string }> {
  await emu.waitFor(() => emu.clock.now() >= at, at - emu.clock.now() + MINUTE, 'the sampling moment');
  return { pending: (emu.world.group.get(id)?.actions.size ?? 0) > 0, status: emu.world.containerInstanceOf(id)!.status };
}

interface Properties {
  /** The protected task was never told to stop (nor cut off) while its protection lasted. */
  readonly neverStoppedWhileProtected: boolean;
  /** Until the end of the hold the lifecycle action was pending (kept alive past several heartbeat timeouts), the instance ACTIVE. */
  readonly keptAliveAndActive: boolean;
  readonly ended: boolean;
}

describe('a protected task that keeps its protection for 20 minutes (7 heartbeat timeouts of 3 minutes)', () => {
  type Result = Properties & { outcome: TerminationOutcome; protectedUntil: number; calls: Record<string, number> };
  async function run(policy: TaskProtectionPolicy): Promise<Result> {
    return withEmulator({ scale: SCALE, props: { taskProtectionPolicy: policy, heartbeatTimeout: Duration.minutes(3) } }, async (emu) => {
      const { id, protectedUntil } = await scaleInWithProtectedTask(emu, 20);
      const late = await stateAt(emu, id, protectedUntil - 30 * SECOND);
      const [outcome] = await emu.waitForOutcomes([id], 40 * MINUTE);
      return {
        outcome, protectedUntil, calls: emu.callsFor(id),
        neverStoppedWhileProtected: emu.world.protectedStops.length === 0,
        keptAliveAndActive: late.pending && late.status === 'ACTIVE',
        // completed (never expired), nothing cut off, after the protection ended and within one sweep and the drain of it
        ended: outcome.how === 'completed' && outcome.tasksNotStopped === 0 && outcome.endedAt >= protectedUntil
          && outcome.endedAt - protectedUntil <= within(SCALE, 3 * MINUTE),
      };
    });
  }

  test('WAIT: never stopped while protected, the action kept alive, completed once the protection expired', async () => {
    const result = await run(TaskProtectionPolicy.WAIT);
    expect(result).toMatchObject({ neverStoppedWhileProtected: true, keptAliveAndActive: true, ended: true });
    // The hold's cost: about one GetTaskProtection and one ListTasks (desired RUNNING) per sweep, for 20 sweeps.
    expect(result.calls.GetTaskProtection).toBeGreaterThanOrEqual(18);
    expect(result.calls.GetTaskProtection).toBeLessThanOrEqual(26);
  });

  test('IGNORE (the default), the same scenario: every one of those properties fails', async () => {
    expect(await run(TaskProtectionPolicy.IGNORE)).toMatchObject({ neverStoppedWhileProtected: false, keptAliveAndActive: false, ended: false });
  });
});

describe('protection that outlives drainTimeout (60 minutes of protection, a 15-minute drainTimeout)', () => {
  async function run(policy: TaskProtectionPolicy) {
    return withEmulator({ scale: SCALE, props: { taskProtectionPolicy: policy, drainTimeout: Duration.minutes(15) } }, async (emu) => {
      const { id, guarded, start } = await scaleInWithProtectedTask(emu, 60);
      const drainTimeoutAt = start + 15 * MINUTE;
      const late = await stateAt(emu, id, drainTimeoutAt - 30 * SECOND);
      const [outcome] = await emu.waitForOutcomes([id], 40 * MINUTE);
      return {
        outcome, drainTimeoutAt, guarded,
        stops: emu.world.protectedStops,
        neverStoppedWhileProtected: emu.world.protectedStops.every((s) => s.at >= drainTimeoutAt),
        keptAliveAndActive: late.pending && late.status === 'ACTIVE',
        // at drainTimeout (within a sweep): completed with drainTimeoutResult, not expired
        ended: outcome.how === 'completed' && outcome.result === 'CONTINUE' && outcome.endedAt >= drainTimeoutAt
          && outcome.endedAt - drainTimeoutAt <= within(SCALE, 2 * MINUTE),
        timeoutWarned: emu.allLogLines().some((l) => l.includes('drainTimeout reached while tasks on the instance are still protected')),
      };
    });
  }

  test('WAIT: held until drainTimeout, then set DRAINING and completed at once: the protected task is cut, and the logs say so', async () => {
    const result = await run(TaskProtectionPolicy.WAIT);
    expect(result).toMatchObject({ neverStoppedWhileProtected: true, keptAliveAndActive: true, ended: true, timeoutWarned: true });
    // what happens then: DRAINING at drainTimeout makes ECS stop the protected task, and the instance ends before it
    // has stopped (drainTimeout is the limit: set it above the longest protection your workers take)
    expect(result.stops.map((s) => s.taskArn)).toContain(result.guarded.arn);
    expect(result.outcome.tasksNotStopped).toBeGreaterThan(0);
  });

  test('IGNORE (the default), the same scenario: every one of those properties fails', async () => {
    expect(await run(TaskProtectionPolicy.IGNORE))
      .toMatchObject({ neverStoppedWhileProtected: false, keptAliveAndActive: false, ended: false, timeoutWarned: false });
  });
});

describe('the worker drops its protection early, and the other reading of DRAINING', () => {
  test('UpdateTaskProtection false after 5 minutes: no ECS event comes, the next sweep sets DRAINING, and the drain completes clean', () => withEmulator({
    scale: SCALE, props: { taskProtectionPolicy: TaskProtectionPolicy.WAIT },
  }, async (emu) => {
    const { id, ci, guarded, start } = await scaleInWithProtectedTask(emu, 120);
    await stateAt(emu, id, start + 5 * MINUTE);
    expect(ci.status).toBe('ACTIVE');
    emu.world.updateTaskProtection(guarded, false);
    const droppedAt = emu.clock.now();
    const [outcome] = await emu.waitForOutcomes([id], 20 * MINUTE);
    expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 0 });
    expect(outcome.endedAt - droppedAt).toBeLessThanOrEqual(within(SCALE, 3 * MINUTE));
    expect(emu.world.protectedStops).toEqual([]);
  }));

  test('if DRAINING did spare protected tasks (undocumented), WAIT still holds and completes clean', () => withEmulator({
    scale: SCALE, props: { taskProtectionPolicy: TaskProtectionPolicy.WAIT },
  }, async (emu) => {
    emu.world.drainingSparesProtectedTasks = true;
    const { id, protectedUntil } = await scaleInWithProtectedTask(emu, 10);
    const [outcome] = await emu.waitForOutcomes([id], 30 * MINUTE);
    expect(outcome).toMatchObject({ how: 'completed', tasksNotStopped: 0 });
    expect(outcome.endedAt).toBeGreaterThanOrEqual(protectedUntil);
    expect(emu.world.protectedStops).toEqual([]);
  }));
});
