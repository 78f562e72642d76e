/**
 * Pure decisions of the disruption budget (`maxConcurrentDrains`): given what Auto Scaling and ECS report, which
 * instances waiting to terminate may start draining now. No I/O, no clock: every input is passed in, so this module
 * is tested without mocks. Why the rule is safe without a compare-and-set is argued in docs/design-budget.md.
 *
 * The rule, in one line: an instance may start draining when fewer than `limit` instances whose termination began
 * before its own (by Auto Scaling's termination activity) are still terminating, and fewer than `limit` instances
 * waiting to terminate are DRAINING already; or, over the budget, when waiting any longer would leave its drain less
 * than `drainTimeout` before Auto Scaling's own limit for the lifecycle action.
 */
import { COMPLETION_MARGIN_SECONDS, MAX_HEARTBEATS, MAX_LIFECYCLE_ACTION_SECONDS } from '../lib/handler-contract';
import type { DrainBudgetSetting, DrainConfig } from './config';

/**
 * Lifecycle states of an instance whose termination is under way and whose termination hooks have not all ended:
 * `Terminating` (before the hooks), and the two states in which this hook's action waits (see DRAIN_WAIT_STATES in
 * decisions.ts). EC2 Auto Scaling User Guide, "Amazon EC2 Auto Scaling instance lifecycle" and "Use lifecycle hooks
 * with a warm pool".
 */
export const TERMINATION_UNDER_WAY_STATES: ReadonlySet<string> = new Set(['Terminating', 'Terminating:Wait', 'Warmed:Pending:Wait']);

/** How many drains the budget allows at once, given how many of the group's instances are InService. */
export function budgetLimit(budget: DrainBudgetSetting, inServiceInstances: number): number {
  if (budget.kind === 'COUNT') return budget.value;
  // Rounded up, and never 0: a budget that admits nothing would hold every instance until its deadline.
  return Math.max(1, Math.ceil((budget.value * inServiceInstances) / 100));
}

/** An instance of the group whose termination is under way. */
export interface TerminatingInstance {
  readonly instanceId: string;
  /**
   * When its termination began (ms since the epoch): the start time of its Auto Scaling termination activity. Unknown
   * when the activity was not found among the group's recent activities.
   */
  readonly terminationStartedAtMs?: number;
}

/** What one invocation read about the group, all of it from AWS. */
export interface BudgetView {
  /** How many drains may run at once (see {@link budgetLimit}). */
  readonly limit: number;
  /** Every instance of the group whose termination is under way ({@link TERMINATION_UNDER_WAY_STATES}). */
  readonly terminating: readonly TerminatingInstance[];
  /** Those of them whose container instance is DRAINING (by this hook or anyone else). */
  readonly draining: ReadonlySet<string>;
}

/** An instance waiting to terminate whose container instance is ACTIVE: it may start draining, or must wait. */
export interface BudgetCandidate {
  readonly instanceId: string;
  /** When this hook first queued it (its QUEUED marker's start, epoch seconds), if it has one. */
  readonly queuedAt?: number;
}

export type BudgetVerdict =
  /** Within the budget: start draining. */
  | 'admit'
  /** Over the budget: waiting longer would leave the drain less than drainTimeout before Auto Scaling's limit. */
  | 'admit-over-budget'
  /** Keep waiting in its lifecycle wait state, its action kept alive. */
  | 'wait';

export interface BudgetDecision {
  readonly instanceId: string;
  readonly verdict: BudgetVerdict;
  /** How many terminating instances come before it (its place in the queue, 0 = next). */
  readonly ahead: number;
  /** When it must start draining at the latest (epoch seconds); undefined when its termination start is unknown. */
  readonly admitBy?: number;
}

/**
 * The order of the queue: by termination start, then by instance id (a tie within one millisecond). `a` before `b`?
 */
function before(a: TerminatingInstance & { terminationStartedAtMs: number }, b: TerminatingInstance & { terminationStartedAtMs: number }): boolean {
  return a.terminationStartedAtMs < b.terminationStartedAtMs
    || (a.terminationStartedAtMs === b.terminationStartedAtMs && a.instanceId < b.instanceId);
}

/** The longest Auto Scaling keeps a lifecycle action: 48 hours, or 100 × the heartbeat timeout if less. */
export function lifecycleActionLimitSeconds(config: Pick<DrainConfig, 'heartbeatTimeoutSeconds'>): number {
  return Math.min(MAX_LIFECYCLE_ACTION_SECONDS, MAX_HEARTBEATS * config.heartbeatTimeoutSeconds);
}

/**
 * The latest moment an instance whose lifecycle action began at `startedAt` (epoch seconds) may start draining, so
 * that a drain of the full `drainTimeout` still ends before Auto Scaling's limit: the same margin as the construct's
 * check of drainTimeout (a late check of the timeout, one more sweep, and the completion margin), and one sweep
 * interval more, since the next sweep may come that much later.
 */
export function admitBy(startedAt: number, config: Pick<DrainConfig, 'heartbeatTimeoutSeconds' | 'drainTimeoutSeconds' | 'sweepIntervalSeconds'>): number {
  return startedAt + lifecycleActionLimitSeconds(config) - config.drainTimeoutSeconds - 3 * config.sweepIntervalSeconds - COMPLETION_MARGIN_SECONDS;
}

/**
 * Decides, for each candidate, whether it starts draining now. Candidates are taken oldest first; each one admitted
 * counts against the budget of the next. `nowSeconds` is the invocation's clock.
 *
 * A terminating instance whose termination start is unknown counts as coming before every other (its place cannot be
 * known, so it is never left out of the count), and is itself admitted only over the budget, at its deadline (from
 * its QUEUED marker), or at once when it has no marker either. A candidate this read does not show terminating at all
 * (the read is older than its lifecycle event) waits: the next read decides.
 */
export function decideAdmissions(
  view: BudgetView, candidates: readonly BudgetCandidate[], nowSeconds: number,
  config: Pick<DrainConfig, 'heartbeatTimeoutSeconds' | 'drainTimeoutSeconds' | 'sweepIntervalSeconds'>,
): BudgetDecision[] {
  const known = view.terminating.filter((t): t is TerminatingInstance & { terminationStartedAtMs: number } => t.terminationStartedAtMs !== undefined);
  const unknownCount = view.terminating.length - known.length;
  const startOf = new Map(known.map((t) => [t.instanceId, t]));
  const ahead = (id: string): number => {
    const own = startOf.get(id);
    return own ? unknownCount + known.filter((t) => before(t, own)).length : view.terminating.length;
  };
  const ordered = [...candidates].sort((a, b) => ahead(a.instanceId) - ahead(b.instanceId) || (a.instanceId < b.instanceId ? -1 : 1));
  let draining = view.draining.size;
  return ordered.map((candidate): BudgetDecision => {
    const own = startOf.get(candidate.instanceId);
    const place = ahead(candidate.instanceId);
    if (!view.terminating.some((t) => t.instanceId === candidate.instanceId)) {
      return { instanceId: candidate.instanceId, ahead: place, verdict: 'wait' };
    }
    const startedAt = own ? Math.floor(own.terminationStartedAtMs / 1000)
      : candidate.queuedAt !== undefined ? candidate.queuedAt - config.sweepIntervalSeconds : undefined;
    const deadline = startedAt === undefined ? undefined : admitBy(startedAt, config);
    const base = { instanceId: candidate.instanceId, ahead: place, ...(deadline !== undefined ? { admitBy: deadline } : {}) };
    if (own && place < view.limit && draining < view.limit) {
      draining += 1;
      return { ...base, verdict: 'admit' };
    }
    if (deadline === undefined || nowSeconds >= deadline) {
      draining += 1;
      return { ...base, verdict: 'admit-over-budget' };
    }
    return { ...base, verdict: 'wait' };
  });
}
