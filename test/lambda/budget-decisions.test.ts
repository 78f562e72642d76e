import { admitBy, budgetLimit, type BudgetView, decideAdmissions, lifecycleActionLimitSeconds } from '../../lambda/budget-decisions';
import { config } from './fixtures';

const T0 = 1_800_000_000; // epoch seconds
const cfg = config({ drainTimeoutSeconds: 3600, heartbeatTimeoutSeconds: 600, sweepIntervalSeconds: 60 });

/** A view of `n` terminating instances i-1 … i-n, the k-th started k seconds after T0. */
function view(n: number, limit: number, draining: readonly string[] = [], unknown: readonly string[] = []): BudgetView {
  return {
    limit,
    terminating: Array.from({ length: n }, (_, k) => {
      const instanceId = `i-${k + 1}`;
      return unknown.includes(instanceId) ? { instanceId } : { instanceId, terminationStartedAtMs: (T0 + k + 1) * 1000 };
    }),
    draining: new Set(draining),
  };
}

const verdicts = (decisions: ReturnType<typeof decideAdmissions>) => Object.fromEntries(decisions.map((d) => [d.instanceId, d.verdict]));
const ids = (...n: number[]) => n.map((k) => ({ instanceId: `i-${k}` }));

describe('budgetLimit', () => {
  test('a count is the count; a percentage of the InService instances is rounded up, and never below 1', () => {
    expect(budgetLimit({ kind: 'COUNT', value: 2 }, 50)).toBe(2);
    expect(budgetLimit({ kind: 'PERCENT', value: 20 }, 10)).toBe(2);
    expect(budgetLimit({ kind: 'PERCENT', value: 20 }, 11)).toBe(3);
    expect(budgetLimit({ kind: 'PERCENT', value: 20 }, 0)).toBe(1);
    expect(budgetLimit({ kind: 'PERCENT', value: 100 }, 7)).toBe(7);
  });
});

describe('decideAdmissions: the oldest terminations first, never more than the limit', () => {
  test('ten terminating, none draining, a budget of 2: only the two oldest are admitted, whatever order they are asked in', () => {
    const decisions = decideAdmissions(view(10, 2), ids(7, 2, 9, 1, 5), T0 + 20, cfg);
    expect(verdicts(decisions)).toEqual({ 'i-1': 'admit', 'i-2': 'admit', 'i-5': 'wait', 'i-7': 'wait', 'i-9': 'wait' });
    expect(decisions.find((d) => d.instanceId === 'i-9')?.ahead).toBe(8);
  });

  test('asked one at a time, concurrent invocations agree: each one decides only about its own instance, and the answers add up to the limit', () => {
    const answers = Array.from({ length: 10 }, (_, k) => decideAdmissions(view(10, 2), ids(k + 1), T0 + 20, cfg)[0]);
    expect(answers.filter((d) => d.verdict === 'admit').map((d) => d.instanceId)).toEqual(['i-1', 'i-2']);
  });

  test('an instance not among the oldest waits even when a place is free: the older one keeps its turn', () => {
    // i-1 has not been asked about (its lifecycle event is late): i-3 must not take its place.
    expect(verdicts(decideAdmissions(view(5, 2, ['i-2']), ids(3), T0 + 20, cfg))).toEqual({ 'i-3': 'wait' });
  });

  test('when the oldest drains end (they leave the terminating instances), the next in line is admitted', () => {
    const after = { ...view(10, 2, ['i-2']), terminating: view(10, 2).terminating.slice(1) };
    expect(verdicts(decideAdmissions(after, ids(3, 4, 5), T0 + 200, cfg))).toEqual({ 'i-3': 'admit', 'i-4': 'wait', 'i-5': 'wait' });
  });

  test('drains that began outside the budget (DRAINING by hand, a Spot warning) use its places too', () => {
    // i-1 and i-2 are the oldest, but i-9 and i-10 are DRAINING already: nothing more starts.
    expect(verdicts(decideAdmissions(view(10, 2, ['i-9', 'i-10']), ids(1, 2), T0 + 20, cfg))).toEqual({ 'i-1': 'wait', 'i-2': 'wait' });
    expect(verdicts(decideAdmissions(view(10, 2, ['i-9']), ids(1, 2), T0 + 20, cfg))).toEqual({ 'i-1': 'admit', 'i-2': 'wait' });
  });

  test('a tie within one millisecond is broken by instance id, the same for every reader', () => {
    const tied: BudgetView = { limit: 1, draining: new Set(), terminating: [
      { instanceId: 'i-b', terminationStartedAtMs: T0 * 1000 }, { instanceId: 'i-a', terminationStartedAtMs: T0 * 1000 },
    ] };
    expect(verdicts(decideAdmissions(tied, [{ instanceId: 'i-b' }, { instanceId: 'i-a' }], T0, cfg))).toEqual({ 'i-a': 'admit', 'i-b': 'wait' });
  });

  test('a terminating instance whose termination start is unknown counts before every other; it is not admitted by its place', () => {
    const v = view(4, 2, [], ['i-4']);
    expect(verdicts(decideAdmissions(v, ids(1, 2), T0 + 20, cfg))).toEqual({ 'i-1': 'admit', 'i-2': 'wait' });
    // i-4 itself: only over the budget, at its deadline from its QUEUED marker
    expect(verdicts(decideAdmissions(v, [{ instanceId: 'i-4', queuedAt: T0 }], T0 + 20, cfg))).toEqual({ 'i-4': 'wait' });
    expect(verdicts(decideAdmissions(v, [{ instanceId: 'i-4', queuedAt: T0 }], admitBy(T0 - 60, cfg), cfg))).toEqual({ 'i-4': 'admit-over-budget' });
    // ... and at once when it has no marker either: its wait could not be bounded
    expect(verdicts(decideAdmissions(v, [{ instanceId: 'i-4' }], T0 + 20, cfg))).toEqual({ 'i-4': 'admit-over-budget' });
  });

  test('a candidate the read does not show terminating (the read is older than its event) waits', () => {
    expect(verdicts(decideAdmissions(view(1, 2), [{ instanceId: 'i-99', queuedAt: T0 }], T0 + 20, cfg))).toEqual({ 'i-99': 'wait' });
  });
});

describe('the deadline: the wait never outlasts Auto Scaling\'s limit for the lifecycle action', () => {
  test('the limit is 48 hours, or 100 × heartbeatTimeout if less', () => {
    expect(lifecycleActionLimitSeconds({ heartbeatTimeoutSeconds: 600 })).toBe(60_000);
    expect(lifecycleActionLimitSeconds({ heartbeatTimeoutSeconds: 7200 })).toBe(48 * 3600);
  });

  test('admitBy leaves a whole drainTimeout, three sweeps and the completion margin before the limit', () => {
    // 60 000 s limit − 3600 s drainTimeout − 3 × 60 s − 120 s
    expect(admitBy(T0, cfg)).toBe(T0 + 60_000 - 3600 - 180 - 120);
  });

  test('an instance still waiting at its deadline is admitted over the budget', () => {
    const v = view(10, 2, ['i-1', 'i-2']);
    const start = T0 + 10; // i-10 began 10 s after T0
    expect(verdicts(decideAdmissions(v, ids(10), admitBy(start, cfg) - 1, cfg))).toEqual({ 'i-10': 'wait' });
    const [decision] = decideAdmissions(v, ids(10), admitBy(start, cfg), cfg);
    expect(decision).toEqual({ instanceId: 'i-10', verdict: 'admit-over-budget', ahead: 9, admitBy: admitBy(start, cfg) });
  });

  test('a drain admitted at its deadline and timed out ends before the limit, however late the sweeps come', () => {
    const start = T0;
    const latestAdmission = admitBy(start, cfg) + cfg.sweepIntervalSeconds; // the sweep after the deadline, one interval late
    const latestTimeoutCheck = latestAdmission + cfg.drainTimeoutSeconds + cfg.sweepIntervalSeconds;
    expect(latestTimeoutCheck).toBeLessThanOrEqual(start + lifecycleActionLimitSeconds(cfg) - 120);
  });
});
