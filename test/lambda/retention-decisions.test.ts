/**
 * The pure decisions of retained drains (lambda/retention-decisions.ts), without mocks.
 */
import { DrainPhase, DrainTrigger, type DrainMarker } from '../../lambda/drain-marker';
import {
  RETAINED_CHECK_INTERVAL_SECONDS, isRetainedState, releaseAction, retainedCheckDue, retainedCheckIntervalSeconds, retainedDrainOverdue,
} from '../../lambda/retention-decisions';
import { OWNER, config, instance } from './fixtures';

const T = 1_800_000_000;
const retainedMarker = (drainStartedAt: number, lastCheckedAt: number): DrainMarker => ({
  owner: OWNER, drainStartedAt, lastHeartbeatAt: drainStartedAt, lastCheckedAt, trigger: DrainTrigger.LIFECYCLE_ACTION, phase: DrainPhase.RETAINED,
});

test('the retained states AWS documents, and no other', () => {
  for (const state of ['Terminating:Retained', 'Warmed:Pending:Retained', 'Warmed:Terminating:Retained']) expect([state, isRetainedState(state)]).toEqual([state, true]);
  for (const state of ['Terminating:Wait', 'Terminating:Proceed', 'Terminating', 'InService', 'Warmed:Pending:Wait', 'Standby']) {
    expect([state, isRetainedState(state)]).toEqual([state, false]);
  }
});

test('how a drained retained instance is let go, by its Auto Scaling state', () => {
  expect(releaseAction('Terminating:Retained')).toBe('terminate');
  // TerminateInstanceInAutoScalingGroup started a termination whose hooks run: this hook's new action is completed
  expect(releaseAction('Terminating:Wait')).toBe('complete');
  expect(releaseAction('Warmed:Pending:Wait')).toBe('complete');
  // TerminateInstanceInAutoScalingGroup "cannot be called on instances in a warm pool"
  expect(releaseAction('Warmed:Pending:Retained')).toBe('release-by-hand');
  expect(releaseAction('Warmed:Terminating:Retained')).toBe('release-by-hand');
  for (const state of ['Terminating', 'Terminating:Proceed', 'Terminated', 'InService', undefined]) expect([state, releaseAction(state)]).toEqual([state, 'none']);
});

describe('when the sweep checks a retained drain', () => {
  const cfg = config();
  test('at least every 15 minutes (or one sweep interval, if longer), whatever the back-off and the counts say', () => {
    const old = retainedMarker(T - 3 * 86400, T - 600);
    const counting = instance({ status: 'DRAINING', runningTasksCount: 2 });
    expect(retainedCheckDue(T, counting, old, cfg)).toBe(false);
    expect(retainedCheckDue(T + RETAINED_CHECK_INTERVAL_SECONDS - 601, counting, old, cfg)).toBe(false);
    expect(retainedCheckDue(T + RETAINED_CHECK_INTERVAL_SECONDS - 600, counting, old, cfg)).toBe(true);
    expect(retainedCheckIntervalSeconds(cfg)).toBe(900);
    expect(retainedCheckIntervalSeconds(config({ sweepIntervalSeconds: 3600 }))).toBe(3600);
  });

  test('at a back-off point when ECS counts no task running; never on the back-off alone while it counts some', () => {
    const young = retainedMarker(T - 100, T - 100);
    expect(retainedCheckDue(T + 20, instance({ status: 'DRAINING' }), young, cfg)).toBe(true); // the 120 s point passed
    expect(retainedCheckDue(T + 20, instance({ status: 'DRAINING', runningTasksCount: 1 }), young, cfg)).toBe(false);
  });

  test('when the standalone grace period ended since the last check (STOP)', () => {
    const stop = config({ standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 300 });
    const m = retainedMarker(T - 3 * 86400, T - 60);
    expect(retainedCheckDue(T, instance({ status: 'DRAINING', runningTasksCount: 1 }), { ...m, drainStartedAt: T - 310, lastCheckedAt: T - 60 }, stop)).toBe(true);
  });
});

test('a retained drain is overdue from overdueAfter after its start', () => {
  const m = retainedMarker(T, T);
  expect(retainedDrainOverdue(T + 86399, m, { overdueAfterSeconds: 86400 })).toBe(false);
  expect(retainedDrainOverdue(T + 86400, m, { overdueAfterSeconds: 86400 })).toBe(true);
});
