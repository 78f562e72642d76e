/**
 * What the scale scenarios share: the wiring under test (this release's shared task-event path, or release 0.1.0's
 * per-group task rule with SCALE_E2E_PER_GROUP_TASK_RULE=1, to check that their assertions fail without it).
 */
import type { EmulatorOptions } from '../../emulator';

/** The wiring under test: the shared path (this release), or 0.1.0's, to check that the assertions fail without it. */
export const perGroupTaskRule = process.env.SCALE_E2E_PER_GROUP_TASK_RULE === '1';

/** The emulator layout: the given groups of one cluster (one by default), on the wiring under test. */
export const layout = (groups?: string[]): Pick<EmulatorOptions, 'layout'> => ({ layout: { ...(groups ? { groups } : {}), perGroupTaskRule } });

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
