import type { Emulator, EmulatorOptions, TerminationOutcome } from '../../emulator';

/**
 * The three properties every drain scenario must show: no premature termination (no task was still running when
 * the instance ended), no expired lifecycle action, and completion within `boundMs` of the last task stopping.
 */
export function expectCleanDrains(outcomes: readonly TerminationOutcome[], boundMs: number): void {
  for (const o of outcomes) {
    expect({ instanceId: o.instanceId, tasksNotStopped: o.tasksNotStopped }).toEqual({ instanceId: o.instanceId, tasksNotStopped: 0 });
    expect({ instanceId: o.instanceId, how: o.how }).toEqual({ instanceId: o.instanceId, how: 'completed' });
    if (o.lastTaskStoppedAt !== undefined) {
      expect(o.endedAt).toBeGreaterThanOrEqual(o.lastTaskStoppedAt);
      expect(o.endedAt - o.lastTaskStoppedAt).toBeLessThanOrEqual(boundMs);
    }
  }
}

/** No lifecycle action token the emulator issued ever reaches the logs. */
export function expectNoTokenLogged(emu: Emulator): void {
  expect(emu.world.issuedTokens.length).toBeGreaterThan(0);
  expect(emu.allLogLines().filter((l) => emu.world.issuedTokens.some((t) => l.includes(t)))).toEqual([]);
}

/** Starts an emulator, runs `body`, always stops it (server, child processes, timers). */
export async function withEmulator<T>(options: EmulatorOptions, body: (emu: Emulator) => Promise<T>): Promise<T> {
  const { Emulator } = await import('../../emulator');
  const emu = await Emulator.start(options);
  let result: T;
  try {
    result = await body(emu);
  } catch (scenarioError) {
    // the scenario's own failure is the one to report, even if stopping fails too
    await emu.stop().catch((stopError) => console.error(stopError));
    throw scenarioError;
  }
  await emu.stop();
  return result;
}

export const SECOND = 1000;

/**
 * A bound in emulated time, plus an allowance for this machine's processing: one real second of handler and
 * child-process time (a cold start on a loaded 2-core CI machine), which the time compression stretches by `scale`.
 * Only completion bounds use it; no premature termination and no expired action are checked without slack.
 */
export function within(emuOrScale: Emulator | number, emulatedMs: number): number {
  const scale = typeof emuOrScale === 'number' ? emuOrScale : emuOrScale.clock.scale;
  return emulatedMs + scale * 1000;
}
export const MINUTE = 60 * SECOND;
