import {
  HEARTBEAT_SAFETY_MARGIN_SECONDS,
  assessTasks,
  backoffCheckDue,
  countsProveNotDrained,
  drainTimedOut,
  heartbeatDue,
  heartbeatLeadSeconds,
  planInstance,
  standaloneGraceOver,
  sweepAction,
} from '../../lambda/decisions';
import { decodeMarker } from '../../lambda/drain-marker';
import { OWNER, config, instance, marker, task } from './fixtures';

const m = (start: number, hb = start) => decodeMarker(marker(start, hb))!;

describe('planInstance', () => {
  test('an instance that is not registered completes at once', () => {
    expect(planInstance(undefined, OWNER)).toEqual({ action: 'complete', reason: expect.stringMatching(/not registered/) });
  });

  test.each(['INACTIVE', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'])('%s cannot be drained: complete at once', (status) => {
    expect(planInstance(instance({ status }), OWNER)).toEqual({ action: 'complete', reason: expect.stringContaining(status) });
  });

  test('ACTIVE starts a drain', () => {
    expect(planInstance(instance({ status: 'ACTIVE' }), OWNER)).toEqual({ action: 'start-drain' });
  });

  test('ACTIVE with a stale marker of ours still starts a fresh drain', () => {
    expect(planInstance(instance({ status: 'ACTIVE', markerValue: marker(100) }), OWNER)).toEqual({ action: 'start-drain' });
  });

  test('DRAINING with our marker keeps the recorded drain and evaluates', () => {
    expect(planInstance(instance({ status: 'DRAINING', markerValue: marker(100, 200) }), OWNER))
      .toEqual({ action: 'evaluate', marker: { owner: OWNER, drainStartedAt: 100, lastHeartbeatAt: 200, lastCheckedAt: 100, trigger: 'L', phase: 'D' } });
  });

  test('DRAINING without a marker, or with another hook\'s or a malformed one, is adopted', () => {
    expect(planInstance(instance({ status: 'DRAINING' }), OWNER)).toEqual({ action: 'adopt-drain' });
    expect(planInstance(instance({ status: 'DRAINING', markerValue: marker(100, 100, 'ffffffffffffffff') }), OWNER)).toEqual({ action: 'adopt-drain' });
    expect(planInstance(instance({ status: 'DRAINING', markerValue: 'garbage' }), OWNER)).toEqual({ action: 'adopt-drain' });
  });
});

describe('assessTasks', () => {
  test('no tasks: drained', () => {
    expect(assessTasks([], 'WAIT').drained).toBe(true);
  });

  test('every task STOPPED: drained', () => {
    expect(assessTasks([task('STOPPED', 'STOPPED', 'service:web', 1), task('STOPPED', 'STOPPED', 'family:job', 2)], 'WAIT').drained).toBe(true);
  });

  test('DELETED, the transition state DescribeTasks shows after a task stops, counts as stopped', () => {
    const a = assessTasks([task('DELETED', 'STOPPED', 'service:web', 1), task('STOPPED', 'STOPPED', 'service:web', 2)], 'WAIT');
    expect(a).toMatchObject({ drained: true, blocking: [], stillStopping: [] });
    expect(assessTasks([task('DELETED', 'STOPPED', 'family:job', 1)], 'STOP').standaloneRunning).toEqual([]);
  });

  test.each(['RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING'])(
    'the DEACTIVATING trap: desired STOPPED but lastStatus %s is not drained', (lastStatus) => {
      const a = assessTasks([task(lastStatus, 'STOPPED')], 'WAIT');
      expect(a.drained).toBe(false);
      expect(a.stillStopping.map((t) => t.lastStatus)).toEqual([lastStatus]);
    });

  test('a running standalone task blocks with WAIT and STOP, not with IGNORE', () => {
    const tasks = [task('STOPPED', 'STOPPED', 'service:web', 1), task('RUNNING', 'RUNNING', 'family:batch', 2)];
    expect(assessTasks(tasks, 'WAIT').drained).toBe(false);
    expect(assessTasks(tasks, 'STOP').drained).toBe(false);
    expect(assessTasks(tasks, 'STOP').standaloneRunning.map((t) => t.group)).toEqual(['family:batch']);
    expect(assessTasks(tasks, 'IGNORE').drained).toBe(true);
  });

  test('a task without a group counts as standalone', () => {
    expect(assessTasks([{ arn: 'a', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }], 'IGNORE').drained).toBe(true);
  });

  test('daemon service tasks are service tasks: IGNORE still waits for them', () => {
    const a = assessTasks([task('RUNNING', 'RUNNING', 'service:log-router')], 'IGNORE');
    expect(a.drained).toBe(false);
    expect(a.standaloneRunning).toEqual([]);
  });

  test('a standalone task already told to stop is not stopped again', () => {
    expect(assessTasks([task('STOPPING', 'STOPPED', 'family:batch')], 'STOP').standaloneRunning).toEqual([]);
  });
});

describe('countsProveNotDrained', () => {
  test('only with WAIT, and only while ECS counts running or pending tasks', () => {
    expect(countsProveNotDrained(instance({ runningTasksCount: 1 }), 'WAIT')).toBe(true);
    expect(countsProveNotDrained(instance({ pendingTasksCount: 1 }), 'WAIT')).toBe(true);
    expect(countsProveNotDrained(instance(), 'WAIT')).toBe(false);
    expect(countsProveNotDrained(instance({ runningTasksCount: 1 }), 'IGNORE')).toBe(false);
    expect(countsProveNotDrained(instance({ runningTasksCount: 1 }), 'STOP')).toBe(false);
  });
});

describe('time decisions', () => {
  const c = config({ drainTimeoutSeconds: 3600, heartbeatTimeoutSeconds: 600, sweepIntervalSeconds: 60 });

  test('drain times out exactly at drainTimeout', () => {
    expect(drainTimedOut(1000 + 3599, m(1000), c)).toBe(false);
    expect(drainTimedOut(1000 + 3600, m(1000), c)).toBe(true);
  });

  test('a heartbeat is due three sweeps plus the margin before expiry, so two failed sweeps in a row do no harm', () => {
    expect(heartbeatLeadSeconds(c)).toBe(3 * 60 + HEARTBEAT_SAFETY_MARGIN_SECONDS);
    const dueAt = 1000 + 600 - 3 * 60 - HEARTBEAT_SAFETY_MARGIN_SECONDS;
    expect(heartbeatDue(dueAt - 1, m(1000), c)).toBe(false);
    expect(heartbeatDue(dueAt, m(1000), c)).toBe(true);
    // Measured from the last heartbeat, not the drain start.
    expect(heartbeatDue(dueAt, m(0, 1000), c)).toBe(true);
    expect(heartbeatDue(dueAt, m(0, 1001), c)).toBe(false);
  });

  test('a long heartbeatTimeout is renewed with the same lead; a shorter one at half its length', () => {
    expect(heartbeatLeadSeconds(config({ heartbeatTimeoutSeconds: 7200, sweepIntervalSeconds: 60 }))).toBe(240);
    expect(heartbeatLeadSeconds(config({ heartbeatTimeoutSeconds: 7200, sweepIntervalSeconds: 600 }))).toBe(1860);
    expect(heartbeatLeadSeconds(config({ heartbeatTimeoutSeconds: 300, sweepIntervalSeconds: 60 }))).toBe(150);
  });

  test('the lead is never less than one sweep plus the margin: the next sweep always comes before expiry', () => {
    for (const [heartbeatTimeoutSeconds, sweepIntervalSeconds] of [[180, 60], [720, 600], [7200, 7080], [900, 300]]) {
      const cfg = config({ heartbeatTimeoutSeconds, sweepIntervalSeconds });
      const lead = heartbeatLeadSeconds(cfg);
      expect({ heartbeatTimeoutSeconds, sweepIntervalSeconds, enough: lead >= sweepIntervalSeconds + HEARTBEAT_SAFETY_MARGIN_SECONDS })
        .toEqual({ heartbeatTimeoutSeconds, sweepIntervalSeconds, enough: true });
      expect(lead).toBeLessThan(heartbeatTimeoutSeconds);
    }
    expect(heartbeatLeadSeconds(config({ heartbeatTimeoutSeconds: 720, sweepIntervalSeconds: 600 }))).toBe(660);
  });

  test('with the smallest allowed heartbeatTimeout (sweep + 2 min) a heartbeat is never due right after one', () => {
    const tight = config({ heartbeatTimeoutSeconds: 180, sweepIntervalSeconds: 60 });
    expect(heartbeatDue(1000, m(1000), tight)).toBe(false);
    expect(heartbeatDue(1059, m(1000), tight)).toBe(false);
    expect(heartbeatDue(1060, m(1000), tight)).toBe(true); // 180 s - (60 s + 60 s)
  });

  test('the standalone grace period only applies with STOP', () => {
    expect(standaloneGraceOver(1300, m(1000), config({ standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 300 }))).toBe(true);
    expect(standaloneGraceOver(1299, m(1000), config({ standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 300 }))).toBe(false);
    expect(standaloneGraceOver(9999, m(1000), config({ standaloneTaskPolicy: 'WAIT' }))).toBe(false);
  });

  test('back-off checks at 1, 2, 4, 8 … sweep intervals: sweeps one interval apart, each recording its check', () => {
    let checked = m(1000);
    const due: number[] = [];
    for (let n = 0; n < 40; n++) {
      const now = 1000 + n * 60 + 5;
      if (backoffCheckDue(now, checked, 60)) { due.push(n); checked = { ...checked, lastCheckedAt: now }; }
    }
    expect(due).toEqual([1, 2, 4, 8, 16, 32]);
  });

  test('irregular sweeps (EventBridge runs a schedule within its minute; late and retried runs) never skip a back-off point', () => {
    // ticks 1 to 119 s apart, in a fixed pseudo-random pattern
    let now = 1000;
    let checked = m(1000);
    const checks: number[] = [];
    for (let i = 0; i < 200; i++) {
      now += 1 + ((i * 7919) % 119);
      if (backoffCheckDue(now, checked, 60)) { checks.push(now - 1000); checked = { ...checked, lastCheckedAt: now }; }
    }
    // every point 60 × 2^k is followed by a check before the next sweep after it, and points are never checked twice
    for (const point of [60, 120, 240, 480, 960, 1920, 3840, 7680]) {
      expect({ point, checkedAfter: checks.some((c) => c >= point && c < point + 120) }).toEqual({ point, checkedAfter: true });
    }
    expect(checks.length).toBeLessThanOrEqual(9);
  });

  test('a check that came late still counts: the next point is the next power of two after it', () => {
    expect(backoffCheckDue(1000 + 130, { ...m(1000), lastCheckedAt: 1000 + 125 }, 60)).toBe(false); // 2 done
    expect(backoffCheckDue(1000 + 240, { ...m(1000), lastCheckedAt: 1000 + 125 }, 60)).toBe(true); // 4 due
    expect(backoffCheckDue(1000 + 300, { ...m(1000), lastCheckedAt: 1000 + 250 }, 60)).toBe(false); // 4 done late
  });
});

describe('sweepAction', () => {
  const c = config();
  const draining = (counts: number) => instance({ status: 'DRAINING', runningTasksCount: counts });

  test('tasks still desired RUNNING: left to the task events', () => {
    expect(sweepAction(1000 + 120, draining(3), m(1000), c)).toBe('none');
  });

  test('counts at 0: tasks checked when a back-off point passed since the last check', () => {
    expect(sweepAction(1000 + 125, draining(0), { ...m(1000), lastCheckedAt: 1000 + 65 }, c)).toBe('evaluate'); // point 2
    expect(sweepAction(1000 + 185, draining(0), { ...m(1000), lastCheckedAt: 1000 + 125 }, c)).toBe('none'); // next at 4
  });

  test('a point is not skipped when no sweep ran near it: jitter, a late or a lost sweep', () => {
    // the sweep meant for 2 intervals never ran; the one at 3.2 intervals still checks
    expect(sweepAction(1000 + 190, draining(0), { ...m(1000), lastCheckedAt: 1000 + 60 }, c)).toBe('evaluate');
    // a retried sweep right after a check does not check again
    expect(sweepAction(1000 + 191, draining(0), { ...m(1000), lastCheckedAt: 1000 + 190 }, c)).toBe('none');
  });

  test('a due heartbeat alone only keeps the action alive: no task listing', () => {
    expect(sweepAction(1000 + 360, draining(3), m(1000), c)).toBe('heartbeat');
    expect(sweepAction(1000 + 545, draining(0), { ...m(1000), lastCheckedAt: 1000 + 490 }, c)).toBe('heartbeat'); // next point at 16
    expect(sweepAction(1000 + 359, draining(3), m(1000), c)).toBe('none');
  });

  test('a timeout always evaluates', () => {
    expect(sweepAction(1000 + 3600, draining(3), m(1000, 1000 + 3500), c)).toBe('evaluate');
  });

  test('with STOP, the first sweep after the grace period evaluates (to stop standalone tasks), however late it runs', () => {
    const stop = config({ standaloneTaskPolicy: 'STOP', standaloneTaskGracePeriodSeconds: 300 });
    const checkedAt250 = { ...m(1000, 1300), lastCheckedAt: 1000 + 250 }; // the next back-off point is at 480
    expect(sweepAction(1000 + 310, draining(1), checkedAt250, stop)).toBe('evaluate');
    expect(sweepAction(1000 + 299, draining(1), checkedAt250, stop)).toBe('none');
    // run late, long after the grace period: still the one that stops them
    expect(sweepAction(1000 + 470, draining(1), checkedAt250, stop)).toBe('evaluate');
    // checked once after the grace period: done
    expect(sweepAction(1000 + 470, draining(1), { ...m(1000, 1300), lastCheckedAt: 1000 + 310 }, stop)).toBe('none');
  });
});
