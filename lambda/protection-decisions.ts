/**
 * Pure decisions of TaskProtectionPolicy.WAIT: which tasks are protected now, and whether a drain held for them goes
 * on. No I/O, no clock: every input is passed in, so this module is tested without mocks.
 *
 * AWS: "After this time period lapses, protectionEnabled will be reset to false" (ECS API Reference,
 * UpdateTaskProtection, expiresInMinutes); GetTaskProtection answers `protectionEnabled` and `expirationDate`, "the
 * epoch time when protection for the task will expire" (ProtectedTask). docs/aws-behaviour.md, "Task scale-in
 * protection".
 */
import type { DrainConfig } from './config';
import { drainTimedOut } from './decisions';
import type { DrainMarker } from './drain-marker';
import type { TaskProtection } from './ports';

/**
 * Failure reasons of GetTaskProtection that mean the task cannot be protected: TASK_NOT_VALID, which ECS answers for a
 * task of no service ("This operation is only supported for tasks belonging to an Amazon ECS service. Invoking this
 * operation for a standalone task will result in an TASK_NOT_VALID failure", ECS API Reference, UpdateTaskProtection),
 * and MISSING, a task ECS no longer knows (API failure reasons; the task has gone). Any other failure leaves the
 * protection unknown, and counts as protected: waiting is bounded by drainTimeout, a cut task is not undone.
 */
const CANNOT_BE_PROTECTED = new Set(['TASK_NOT_VALID', 'MISSING']);

/**
 * Whether a task is protected at `nowMs`: `protectionEnabled` and an expiration date still ahead. Expired protection
 * is none, whatever `protectionEnabled` still says (ECS resets it when the period lapses, at a moment AWS does not
 * document). Protection without an expiration date is taken as protected (ECS always sets one; if it did not, only
 * drainTimeout would end the wait).
 */
export function isProtectedAt(protection: TaskProtection, nowMs: number): boolean {
  if (protection.failure !== undefined) return !CANNOT_BE_PROTECTED.has(protection.failure);
  if (!protection.protectionEnabled) return false;
  return protection.expiresAt === undefined || protection.expiresAt > nowMs;
}

/** The tasks of `protections` protected at `nowMs`. */
export function protectedAt(protections: readonly TaskProtection[], nowMs: number): TaskProtection[] {
  return protections.filter((p) => isProtectedAt(p, nowMs));
}

export type HoldDecision =
  /** A task is protected and drainTimeout has not come: the instance stays ACTIVE, its action kept alive. */
  | { readonly action: 'hold' }
  /** The hold ends: set DRAINING and drain as usual. */
  | { readonly action: 'drain'; readonly why: 'unprotected' | 'drain-timeout' | 'policy-ignores-protection' };

/**
 * Whether a drain held for protected tasks (or about to be) goes on. The wait counts against drainTimeout: the drain
 * clock started with the drain. At drainTimeout the instance is set DRAINING with its protected tasks still running,
 * and the usual timeout follows at once (the lifecycle action is completed with drainTimeoutResult).
 */
export function holdDecision(nowSeconds: number, marker: DrainMarker, config: DrainConfig, protectedTasks: number): HoldDecision {
  if (config.taskProtectionPolicy !== 'WAIT') return { action: 'drain', why: 'policy-ignores-protection' };
  if (protectedTasks === 0) return { action: 'drain', why: 'unprotected' };
  if (drainTimedOut(nowSeconds, marker, config)) return { action: 'drain', why: 'drain-timeout' };
  return { action: 'hold' };
}

/** The latest expiration date among protected tasks (epoch ms), for the logs: when the hold ends at the latest. */
export function latestExpiry(protections: readonly TaskProtection[]): number | undefined {
  const dates = protections.map((p) => p.expiresAt).filter((t): t is number => t !== undefined);
  return dates.length === 0 ? undefined : Math.max(...dates);
}
