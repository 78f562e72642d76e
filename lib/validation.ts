import { Annotations, Duration, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { DrainBudget } from './drain-budget';
import type { DrainingLifecycleHookProps } from './draining-lifecycle-hook';
import {
  COMPLETION_MARGIN_SECONDS, MAX_HEARTBEATS, MAX_HEARTBEAT_TIMEOUT_SECONDS, MAX_LIFECYCLE_ACTION_SECONDS,
  MIN_HEARTBEAT_ABOVE_SWEEP_SECONDS, MIN_HEARTBEAT_TIMEOUT_SECONDS, MIN_SWEEP_INTERVAL_SECONDS,
} from './handler-contract';
import { StandaloneTaskPolicy } from './standalone-task-policy';
import { DrainingLifecycleHookWarnings } from './warnings';

/**
 * The checks a `DrainingLifecycleHook` runs on its props before it creates anything: errors for props that cannot
 * work, a warning for props that work worse than the user may expect. Token-aware: what is unknown at synth time is
 * not checked. The limits come from the construct–handler contract (handler-contract.ts).
 *
 * Internal: not exported from lib/index.ts.
 */

/** What the sweep needs on top of its interval to be sure to heartbeat in time. */
const HEARTBEAT_MARGIN = Duration.seconds(MIN_HEARTBEAT_ABOVE_SWEEP_SECONDS);
/** The longest Auto Scaling keeps a lifecycle action, heartbeats or not. */
const MAX_LIFECYCLE_ACTION = Duration.seconds(MAX_LIFECYCLE_ACTION_SECONDS);
/** What a drain needs after drainTimeout on top of 2 × sweepInterval: time to complete the action. */
const COMPLETION_MARGIN = Duration.seconds(COMPLETION_MARGIN_SECONDS);

/**
 * A prop of a `DrainingLifecycleHook` that cannot work. The message names the rule and the bad value; the path of
 * the construct that was given it is in `constructPath` and in the stack trace, where aws-cdk-lib's own
 * `ValidationError` puts it. (That class is `@internal` to aws-cdk-lib, and its constructor has changed between
 * minor versions, so this library does not throw it.)
 */
export class DrainingLifecycleHookValidationError extends Error {
  /** The path of the construct whose props failed, e.g. `Stack/Group/DrainHook`. */
  public readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(message);
    this.name = 'DrainingLifecycleHookValidationError';
    this.constructPath = scope.node.path;
    // Node prints the stack of an uncaught error, so `cdk synth` shows the path; the message stays the rule alone.
    this.stack = `${this.stack}\nRelates to construct: ${this.constructPath}`;
  }
}

/**
 * The group and the cluster must be in the stack's region and account: the handler's IAM ARNs are built in the
 * stack's environment, and EventBridge rules see only the events of their own region and account. Tokens (an
 * environment-agnostic stack, an ARN that is a token) cannot be compared, and pass.
 */
export function validateEnvironment(scope: IConstruct, props: DrainingLifecycleHookProps): void {
  const stack = Stack.of(scope);
  const resources = [['autoScalingGroup', props.autoScalingGroup], ['cluster', props.cluster]] as const;
  for (const [name, resource] of resources) {
    for (const dimension of ['region', 'account'] as const) {
      if (Token.compareStrings(resource.env[dimension], stack[dimension]) === TokenComparison.DIFFERENT) {
        throw new DrainingLifecycleHookValidationError(scope, `${name} must be in the stack's ${dimension} (${stack[dimension]}), `
          + `got ${dimension} ${resource.env[dimension]}: the handler's permissions are built in the stack's ${dimension}, and `
          + `EventBridge rules only see events of their own region and account. Add the construct to a stack in ${dimension} `
          + `${resource.env[dimension]}`);
      }
    }
  }
}

/** The durations and the standalone task policy, with their defaults filled in. */
export interface ResolvedTimes {
  readonly drainTimeout: Duration;
  readonly heartbeatTimeout: Duration;
  readonly sweepInterval: Duration;
  readonly standaloneTaskGracePeriod: Duration;
  readonly standaloneTaskPolicy: StandaloneTaskPolicy;
}

/**
 * Every rule on the props, in this order (the first broken one is reported): durations that are tokens, then each
 * duration, then the durations against each other, then the names.
 */
export function validateProps(scope: IConstruct, props: DrainingLifecycleHookProps, t: ResolvedTimes, metricsNamespace: string): void {
  validateTokens(scope, t);
  validateHeartbeatTimeout(scope, t.heartbeatTimeout, t.sweepInterval);
  validateDrainTimeout(scope, t.drainTimeout, t.sweepInterval, t.heartbeatTimeout);
  validateStandaloneTaskGracePeriod(scope, props.standaloneTaskGracePeriod, t);
  validateLifecycleHookName(scope, props.lifecycleHookName);
  validateMetricsNamespace(scope, metricsNamespace);
  validateNetwork(scope, props);
  validateDrainTimeoutBehavior(scope, props);
  validateDrainBudget(scope, props.maxConcurrentDrains);
}

/** The longest `overdueAfter` of `DrainTimeoutBehavior.retain()`; the handler accepts no more. */
const MAX_OVERDUE_AFTER = Duration.days(366);

/** `drainTimeoutResult` is the deprecated form of `drainTimeoutBehavior`: one of them. And retain()'s `overdueAfter`. */
function validateDrainTimeoutBehavior(scope: IConstruct, props: DrainingLifecycleHookProps): void {
  const behavior = props.drainTimeoutBehavior;
  if (behavior !== undefined && props.drainTimeoutResult !== undefined) {
    throw new DrainingLifecycleHookValidationError(scope, 'only one of drainTimeoutResult (deprecated) and drainTimeoutBehavior may be '
      + `set, got drainTimeoutResult ${props.drainTimeoutResult} and drainTimeoutBehavior ${behavior.name}: remove drainTimeoutResult`);
  }
  const overdueAfter = behavior?.overdueAfter;
  if (overdueAfter === undefined) return;
  if (overdueAfter.isUnresolved()) {
    if (overdueAfter.unitLabel() !== SECONDS) {
      throw new DrainingLifecycleHookValidationError(scope, 'overdueAfter of DrainTimeoutBehavior.retain() must be given in seconds when '
        + `it is a token, as Duration.seconds(token): CloudFormation cannot convert a token to seconds; got ${describe(overdueAfter)}`);
    }
    return;
  }
  const s = overdueAfter.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < 60 || s > MAX_OVERDUE_AFTER.toSeconds()) {
    throw new DrainingLifecycleHookValidationError(scope, 'overdueAfter of DrainTimeoutBehavior.retain() must be a whole number of '
      + `seconds from 1 minute to 366 days, got ${describe(overdueAfter)}`);
  }
}

/** `drainTimeoutResult` is deprecated: a prop that is set draws a warning with its own ID (docs/compatibility.md). */
export function warnIfDrainTimeoutResultSet(scope: IConstruct, drainTimeoutResult: string | undefined): void {
  if (drainTimeoutResult !== undefined) {
    Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_RESULT_DEPRECATED, 'drainTimeoutResult is '
      + `deprecated: use drainTimeoutBehavior: DrainTimeoutBehavior.${drainTimeoutResult} instead (the same behaviour). It keeps `
      + 'working until the next major release.');
  }
}

/** A count of at least 1 instance, or a percentage from 1 to 100, both whole numbers; a token is not checked. */
function validateDrainBudget(scope: IConstruct, budget: DrainBudget | undefined): void {
  if (budget === undefined || Token.isUnresolved(budget._value)) return;
  const value = budget._value;
  if (budget._kind === 'COUNT' && (!Number.isInteger(value) || value < 1)) {
    throw new DrainingLifecycleHookValidationError(scope, 'maxConcurrentDrains must allow at least 1 drain: DrainBudget.count takes a '
      + `whole number of instances, at least 1, got ${value}`);
  }
  if (budget._kind === 'PERCENT' && (!Number.isInteger(value) || value < 1 || value > 100)) {
    throw new DrainingLifecycleHookValidationError(scope, 'DrainBudget.percent takes a whole number from 1 to 100 (a percentage of the '
      + `group's InService instances) for maxConcurrentDrains, got ${value}`);
  }
}

/** Levels at which Lambda drops INFO lines, and with them the handler's metrics. */
const LEVELS_ABOVE_INFO: ReadonlySet<lambda.ApplicationLogLevel> = new Set([
  lambda.ApplicationLogLevel.WARN, lambda.ApplicationLogLevel.ERROR, lambda.ApplicationLogLevel.FATAL,
]);

/**
 * Lambda gives a JSON line without a `level` the level INFO: the handler's EMF metric lines carry none, so a log
 * level above INFO drops every metric.
 */
export function warnIfLogLevelDropsMetrics(scope: IConstruct, logLevel: lambda.ApplicationLogLevel | undefined): void {
  if (logLevel !== undefined && LEVELS_ABOVE_INFO.has(logLevel)) {
    Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.LOG_LEVEL_DROPS_METRICS, `logLevel ${logLevel} drops the handler's `
      + 'metrics: they are written as EMF log lines without a level, which Lambda treats as INFO, so the metric methods and any '
      + 'alarm on them see no data. Use INFO, or leave logLevel unset.');
  }
}

/**
 * With a disruption budget, how long an instance can wait before it must start draining (the handler's `admitBy`,
 * lambda/budget-decisions.ts): Auto Scaling's limit for the lifecycle action less a full drainTimeout, three sweep
 * intervals and the completion margin. Warned when that is less than one drainTimeout. Tokens are not compared.
 */
export function warnIfDrainBudgetCannotWait(scope: IConstruct, budget: DrainBudget | undefined, t: ResolvedTimes): void {
  if (budget === undefined || !resolved(t.drainTimeout) || !resolved(t.heartbeatTimeout)) return;
  const limit = Math.min(MAX_LIFECYCLE_ACTION.toSeconds(), MAX_HEARTBEATS * t.heartbeatTimeout.toSeconds());
  const drain = t.drainTimeout.toSeconds();
  const room = limit - drain - 3 * t.sweepInterval.toSeconds() - COMPLETION_MARGIN.toSeconds();
  if (room >= drain) return;
  const wait = room > 0 ? `at most ${describe(Duration.seconds(room))}` : 'not at all';
  Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.DRAIN_BUDGET_SHORT_WAIT, 'maxConcurrentDrains: an instance can wait '
    + `for the budget ${wait}, less than one drainTimeout (${describe(t.drainTimeout)}): Auto Scaling ends the lifecycle action after `
    + `${describe(Duration.seconds(limit))} (48 hours, or 100 × heartbeatTimeout), and each drain keeps its full drainTimeout, so an `
    + 'instance still waiting then starts draining over the budget. Raise heartbeatTimeout (29 minutes gives the full 48 hours), '
    + 'or lower drainTimeout.');
}

/**
 * drainTimeout is checked only at a sweep or a task event: one shorter than sweepInterval can be overrun by up to one
 * sweepInterval. A token is not compared.
 */
export function warnIfDrainTimeoutBelowSweepInterval(scope: IConstruct, drainTimeout: Duration, sweepInterval: Duration): void {
  if (!drainTimeout.isUnresolved() && drainTimeout.toSeconds() < sweepInterval.toSeconds()) {
    Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL, `drainTimeout (${drainTimeout.toHumanString()}) is shorter than `
      + `sweepInterval (${sweepInterval.toHumanString()}): the handler checks the timeout only at a sweep or a task event, so a `
      + 'drain whose tasks do not stop can run up to one sweepInterval past drainTimeout. Lower sweepInterval, or raise drainTimeout.');
  }
}

function describe(d: Duration): string {
  return d.toHumanString();
}

function resolved(d: Duration): boolean {
  return !d.isUnresolved();
}

const SECONDS = Duration.seconds(0).unitLabel();

/**
 * Durations that are tokens: CloudFormation has no arithmetic, so a token can reach the lifecycle hook and the
 * handler's environment only in seconds. The sweep interval also sets the schedule and bounds the other durations,
 * so it must be known at synth time.
 */
function validateTokens(scope: IConstruct, t: ResolvedTimes): void {
  if (t.sweepInterval.isUnresolved()) {
    throw new DrainingLifecycleHookValidationError(scope, 'sweepInterval must not be a token: it sets the sweep schedule and the '
      + 'handler\'s SWEEP_INTERVAL_SECONDS, and the other durations are checked against it. Give a whole number of minutes known '
      + `at synth time, got ${describe(t.sweepInterval)}`);
  }
  const durations = [['drainTimeout', t.drainTimeout], ['heartbeatTimeout', t.heartbeatTimeout],
    ['standaloneTaskGracePeriod', t.standaloneTaskGracePeriod]] as const;
  for (const [name, d] of durations) {
    if (d.isUnresolved() && d.unitLabel() !== SECONDS) {
      throw new DrainingLifecycleHookValidationError(scope, `${name} must be given in seconds when it is a token, as `
        + `Duration.seconds(token): CloudFormation cannot convert a token to seconds; got ${describe(d)}`);
    }
  }
}

/**
 * Auto Scaling's range for the heartbeat timeout; the sweep interval, a whole number of minutes (EventBridge
 * schedules); and a heartbeat timeout long enough for the sweep to send a heartbeat in time. Called after
 * validateTokens: sweepInterval is known.
 */
function validateHeartbeatTimeout(scope: IConstruct, heartbeatTimeout: Duration, sweepInterval: Duration): void {
  if (resolved(heartbeatTimeout)) {
    const s = heartbeatTimeout.toSeconds({ integral: false });
    if (s < MIN_HEARTBEAT_TIMEOUT_SECONDS || s > MAX_HEARTBEAT_TIMEOUT_SECONDS || !Number.isInteger(s)) {
      throw new DrainingLifecycleHookValidationError(scope, 'heartbeatTimeout must be a whole number of seconds between 30 seconds '
        + `and 2 hours, got ${describe(heartbeatTimeout)}`);
    }
  }
  const sweep = sweepInterval.toSeconds({ integral: false });
  if (sweep < MIN_SWEEP_INTERVAL_SECONDS || sweep % 60 !== 0) {
    throw new DrainingLifecycleHookValidationError(scope, `sweepInterval must be a whole number of minutes, at least 1 minute, got ${describe(sweepInterval)}`);
  }
  if (resolved(heartbeatTimeout)) {
    const min = sweepInterval.plus(HEARTBEAT_MARGIN);
    if (heartbeatTimeout.toSeconds() < min.toSeconds()) {
      throw new DrainingLifecycleHookValidationError(scope, 'heartbeatTimeout must be at least sweepInterval + 2 minutes '
        + `(${min.toSeconds()} seconds), so a heartbeat is always sent before the lifecycle action expires; got ${describe(heartbeatTimeout)}`);
    }
  }
}

/** A whole number of seconds, more than 0, that ends before Auto Scaling ends the lifecycle action. */
function validateDrainTimeout(scope: IConstruct, drainTimeout: Duration, sweepInterval: Duration, heartbeatTimeout: Duration): void {
  if (!resolved(drainTimeout)) return;
  const s = drainTimeout.toSeconds({ integral: false });
  if (s <= 0 || !Number.isInteger(s)) {
    throw new DrainingLifecycleHookValidationError(scope, `drainTimeout must be a whole number of seconds, more than 0, got ${describe(drainTimeout)}`);
  }
  validateDrainTimeoutLimit(scope, drainTimeout, sweepInterval, heartbeatTimeout);
}

/**
 * drainTimeout must end, and the action be completed, before Auto Scaling ends the lifecycle action by itself (after
 * 48 hours, or 100 heartbeat timeouts; a heartbeat timeout that is a token bounds nothing here). The handler starts
 * the drain clock when it first handles the instance: up to one sweepInterval late if the lifecycle event was lost.
 * It checks the timeout at the next sweep or task event: up to one more sweepInterval. Completing the action takes
 * the rest of the margin.
 */
function validateDrainTimeoutLimit(scope: IConstruct, drainTimeout: Duration, sweepInterval: Duration, heartbeatTimeout: Duration): void {
  const drain = drainTimeout.toSeconds();
  const margin = 2 * sweepInterval.toSeconds() + COMPLETION_MARGIN.toSeconds();
  const byHeartbeats = resolved(heartbeatTimeout) ? MAX_HEARTBEATS * heartbeatTimeout.toSeconds() : Infinity;
  const limit = Math.min(MAX_LIFECYCLE_ACTION.toSeconds(), byHeartbeats);
  if (drain + margin <= limit) return;
  const limitName = byHeartbeats < MAX_LIFECYCLE_ACTION.toSeconds()
    ? `100 × heartbeatTimeout (100 × ${describe(heartbeatTimeout)} = ${limit} seconds)`
    : `48 hours (${limit} seconds)`;
  const neededHeartbeat = Math.ceil((drain + margin) / MAX_HEARTBEATS);
  const fix = drain + margin <= MAX_LIFECYCLE_ACTION.toSeconds() && neededHeartbeat <= 7200
    ? `lower drainTimeout, or raise heartbeatTimeout to at least ${neededHeartbeat} seconds`
    : 'lower drainTimeout or sweepInterval';
  throw new DrainingLifecycleHookValidationError(scope, `drainTimeout (${describe(drainTimeout)}) + 2 × sweepInterval `
    + `(${describe(sweepInterval)}) + 2 minutes must be at most ${limitName}, after which Auto Scaling ends the lifecycle action: `
    + 'the drain clock may start one sweepInterval late and is checked once per sweepInterval; the highest allowed drainTimeout '
    + `is ${limit - margin} seconds: ${fix}`);
}

/**
 * The grace period is only used with StandaloneTaskPolicy.STOP, and must end before drainTimeout. `given` is the
 * prop as the user set it: a default that does not fit is reported as the default.
 */
function validateStandaloneTaskGracePeriod(scope: IConstruct, given: Duration | undefined, t: ResolvedTimes): void {
  if (given !== undefined && t.standaloneTaskPolicy !== StandaloneTaskPolicy.STOP) {
    throw new DrainingLifecycleHookValidationError(scope, 'standaloneTaskGracePeriod is only used with StandaloneTaskPolicy.STOP, '
      + `but standaloneTaskPolicy is ${t.standaloneTaskPolicy}`);
  }
  if (t.standaloneTaskPolicy === StandaloneTaskPolicy.STOP && resolved(t.standaloneTaskGracePeriod) && resolved(t.drainTimeout)
    && t.standaloneTaskGracePeriod.toSeconds() >= t.drainTimeout.toSeconds()) {
    const grace = given !== undefined
      ? describe(t.standaloneTaskGracePeriod)
      : `the default, ${describe(t.standaloneTaskGracePeriod)}`;
    throw new DrainingLifecycleHookValidationError(scope, `standaloneTaskGracePeriod (${grace}) must be shorter than drainTimeout `
      + `(${describe(t.drainTimeout)}), or standalone tasks are never stopped`
      + (given === undefined ? ': set a shorter standaloneTaskGracePeriod, or a longer drainTimeout' : ''));
  }
}

/** The subnets and security groups place the function in a VPC: without one they mean nothing. */
function validateNetwork(scope: IConstruct, props: DrainingLifecycleHookProps): void {
  if (props.vpc !== undefined) return;
  const given = [
    ...(props.vpcSubnets !== undefined ? ['vpcSubnets'] : []),
    ...(props.securityGroups !== undefined ? [`securityGroups (${props.securityGroups.length})`] : []),
  ];
  if (given.length > 0) {
    throw new DrainingLifecycleHookValidationError(scope, 'vpcSubnets and securityGroups are only used with vpc, which places the '
      + `handler in a VPC: set vpc, or remove them; got ${given.join(' and ')} without vpc`);
  }
}

/** What Auto Scaling accepts as a lifecycle hook name. */
function validateLifecycleHookName(scope: IConstruct, name: string | undefined): void {
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9\-_/]{1,255}$/.test(name)) {
    throw new DrainingLifecycleHookValidationError(scope, `lifecycleHookName must be 1 to 255 letters, digits, '-', '_' or '/', got '${name}'`);
  }
}

/** What CloudWatch accepts as a custom namespace. */
function validateMetricsNamespace(scope: IConstruct, metricsNamespace: string): void {
  if (Token.isUnresolved(metricsNamespace)) return;
  if (!/^[^:$][^$]{0,254}$/.test(metricsNamespace)) {
    throw new DrainingLifecycleHookValidationError(scope, 'metricsNamespace must be 1 to 255 characters, not start with \':\' and '
      + `contain no '$', got '${metricsNamespace}'`);
  }
  if (metricsNamespace.startsWith('AWS/')) {
    throw new DrainingLifecycleHookValidationError(scope, 'metricsNamespace must not start with \'AWS/\', which CloudWatch reserves '
      + `for AWS services, got '${metricsNamespace}'`);
  }
}
