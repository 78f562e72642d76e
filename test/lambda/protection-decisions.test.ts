/**
 * The pure decisions of TaskProtectionPolicy.WAIT, without mocks: which tasks are protected now, and whether a drain
 * held for them goes on.
 */
import { DrainPhase, DrainTrigger, newMarker } from '../../lambda/drain-marker';
import type { TaskProtection } from '../../lambda/ports';
import { holdDecision, isProtectedAt, latestExpiry, protectedAt } from '../../lambda/protection-decisions';
import { OWNER, config, taskArn } from './fixtures';

const NOW_MS = Date.UTC(2026, 10, 23, 10, 0, 0);
const protection = (overrides: Partial<TaskProtection> = {}): TaskProtection => ({
  arn: taskArn(1), protectionEnabled: true, expiresAt: NOW_MS + 60_000, ...overrides,
});

describe('isProtectedAt', () => {
  test('protectionEnabled with an expiration date ahead: protected', () => {
    expect(isProtectedAt(protection(), NOW_MS)).toBe(true);
  });

  test('an expiration date that has passed (or is now) counts as unprotected, whatever protectionEnabled still says', () => {
    expect(isProtectedAt(protection({ expiresAt: NOW_MS }), NOW_MS)).toBe(false);
    expect(isProtectedAt(protection({ expiresAt: NOW_MS - 1 }), NOW_MS)).toBe(false);
    expect(isProtectedAt(protection({ expiresAt: NOW_MS + 1 }), NOW_MS)).toBe(true);
  });

  test('protectionEnabled false: unprotected, with or without a date', () => {
    expect(isProtectedAt(protection({ protectionEnabled: false }), NOW_MS)).toBe(false);
    expect(isProtectedAt(protection({ protectionEnabled: false, expiresAt: undefined }), NOW_MS)).toBe(false);
  });

  test('protected with no expiration date: taken as protected (only drainTimeout ends the wait)', () => {
    expect(isProtectedAt(protection({ expiresAt: undefined }), NOW_MS)).toBe(true);
  });

  test('failures: TASK_NOT_VALID (a task of no service) and MISSING cannot be protected; any other reason is unknown, so protected', () => {
    expect(isProtectedAt(protection({ protectionEnabled: false, failure: 'TASK_NOT_VALID' }), NOW_MS)).toBe(false);
    expect(isProtectedAt(protection({ protectionEnabled: false, failure: 'MISSING' }), NOW_MS)).toBe(false);
    expect(isProtectedAt(protection({ protectionEnabled: false, failure: 'SOMETHING_NEW' }), NOW_MS)).toBe(true);
  });

  test('protectedAt keeps the protected ones; latestExpiry is the last date among them', () => {
    const list = [protection(), protection({ arn: taskArn(2), expiresAt: NOW_MS - 1 }), protection({ arn: taskArn(3), expiresAt: NOW_MS + 120_000 })];
    expect(protectedAt(list, NOW_MS).map((p) => p.arn)).toEqual([taskArn(1), taskArn(3)]);
    expect(latestExpiry(protectedAt(list, NOW_MS))).toBe(NOW_MS + 120_000);
    expect(latestExpiry([protection({ expiresAt: undefined })])).toBeUndefined();
  });
});

describe('holdDecision', () => {
  const start = NOW_MS / 1000;
  const held = newMarker(OWNER, start, DrainTrigger.LIFECYCLE_ACTION, DrainPhase.PROTECTED);
  const wait = config({ taskProtectionPolicy: 'WAIT', drainTimeoutSeconds: 3600 });

  test('with WAIT, a protected task holds the drain until drainTimeout', () => {
    expect(holdDecision(start, held, wait, 1)).toEqual({ action: 'hold' });
    expect(holdDecision(start + 3599, held, wait, 3)).toEqual({ action: 'hold' });
  });

  test('no protected task: the drain goes on', () => {
    expect(holdDecision(start + 10, held, wait, 0)).toEqual({ action: 'drain', why: 'unprotected' });
  });

  test('drainTimeout comes with a task still protected: the drain goes on (and times out); the wait counts against drainTimeout', () => {
    expect(holdDecision(start + 3600, held, wait, 1)).toEqual({ action: 'drain', why: 'drain-timeout' });
    expect(holdDecision(start + 10, held, config({ taskProtectionPolicy: 'WAIT', drainTimeoutSeconds: 0 }), 1)).toEqual({ action: 'drain', why: 'drain-timeout' });
  });

  test('IGNORE never holds (a drain held before the policy changed goes on)', () => {
    expect(holdDecision(start, held, config({ taskProtectionPolicy: 'IGNORE' }), 5)).toEqual({ action: 'drain', why: 'policy-ignores-protection' });
  });
});
