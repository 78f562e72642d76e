import { Annotations, Duration, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
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
 * The group and the cluster must be in the stack's region and account: the handler's IAM ARNs are built in the
 * stack's environment, and EventBridge rules see only the events of their own region and account. Tokens (an
 * environment-agnostic stack, an ARN that is a token) cannot be compared, and pass.
 */
export function validateEnvironment(scope: Construct, props: DrainingLifecycleHookProps): void {
  const stack = Stack.of(scope);
  const resources = [['autoScalingGroup', props.autoScalingGroup], ['cluster', props.cluster]] as const;
  for (const [name, resource] of resources) {
    for (const dimension of ['region', 'account'] as const) {
      if (Token.compareStrings(resource.env[dimension], stack[dimension]) === TokenComparison.DIFFERENT) {
        throw new Error(`${name} must be in the stack's ${dimension} (${stack[dimension]}), got ${dimension} ${resource.env[dimension]}: `
          + `the handler's permissions are built in the stack's ${dimension}, and EventBridge rules only see events of their own `
          + `region and account. Add the construct to a stack in ${dimension} ${resource.env[dimension]}`);
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

function describe(d: Duration): string {
  return d.toHumanString();
}

const SECONDS = Duration.seconds(0).unitLabel();

/**
 * Durations that are tokens: CloudFormation has no arithmetic, so a token can reach the lifecycle hook and the
 * handler's environment only in seconds. The sweep interval also sets the schedule and bounds the other durations,
 * so it must be known at synth time.
 */
function validateTokens(t: ResolvedTimes): void {
  if (t.sweepInterval.isUnresolved()) {
    throw new Error(`sweepInterval must not be a token: it sets the sweep schedule and the handler's SWEEP_INTERVAL_SECONDS, and the `
      + `other durations are checked against it. Give a whole number of minutes known at synth time, got ${describe(t.sweepInterval)}`);
  }
  const durations = [['drainTimeout', t.drainTimeout], ['heartbeatTimeout', t.heartbeatTimeout],
    ['standaloneTaskGracePeriod', t.standaloneTaskGracePeriod]] as const;
  for (const [name, d] of durations) {
    if (d.isUnresolved() && d.unitLabel() !== SECONDS) {
      throw new Error(`${name} must be given in seconds when it is a token, as Duration.seconds(token): CloudFormation cannot `
        + `convert a token to seconds; got ${describe(d)}`);
    }
  }
}

/**
 * drainTimeout must end, and the action be completed, before Auto Scaling ends the lifecycle action by itself (after
 * 48 hours, or 100 heartbeat timeouts). The handler starts the drain clock when it first handles the instance: up to
 * one sweepInterval late if the lifecycle event was lost. It checks the timeout at the next sweep or task event: up
 * to one more sweepInterval. Completing the action takes the rest of the margin.
 */
function validateDrainTimeoutLimit(drainTimeout: Duration, sweepInterval: Duration, heartbeatTimeout: Duration | undefined): void {
  const drain = drainTimeout.toSeconds();
  const margin = 2 * sweepInterval.toSeconds() + COMPLETION_MARGIN.toSeconds();
  const byHeartbeats = heartbeatTimeout ? MAX_HEARTBEATS * heartbeatTimeout.toSeconds() : Infinity;
  const limit = Math.min(MAX_LIFECYCLE_ACTION.toSeconds(), byHeartbeats);
  if (drain + margin <= limit) return;
  const limitName = heartbeatTimeout && byHeartbeats < MAX_LIFECYCLE_ACTION.toSeconds()
    ? `100 × heartbeatTimeout (100 × ${describe(heartbeatTimeout)} = ${limit} seconds)`
    : `48 hours (${limit} seconds)`;
  const neededHeartbeat = Math.ceil((drain + margin) / MAX_HEARTBEATS);
  const fix = drain + margin <= MAX_LIFECYCLE_ACTION.toSeconds() && neededHeartbeat <= 7200
    ? `lower drainTimeout, or raise heartbeatTimeout to at least ${neededHeartbeat} seconds`
    : 'lower drainTimeout or sweepInterval';
  throw new Error(`drainTimeout (${describe(drainTimeout)}) + 2 × sweepInterval (${describe(sweepInterval)}) + 2 minutes must be at most `
    + `${limitName}, after which Auto Scaling ends the lifecycle action: the drain clock may start one sweepInterval late and is `
    + `checked once per sweepInterval; the highest allowed drainTimeout is ${limit - margin} seconds: ${fix}`);
}

export function validate(props: DrainingLifecycleHookProps, t: ResolvedTimes, metricsNamespace: string): void {
  validateTokens(t);
  const resolved = (d: Duration) => !d.isUnresolved();
  if (resolved(t.heartbeatTimeout)) {
    const s = t.heartbeatTimeout.toSeconds({ integral: false });
    if (s < MIN_HEARTBEAT_TIMEOUT_SECONDS || s > MAX_HEARTBEAT_TIMEOUT_SECONDS || !Number.isInteger(s)) {
      throw new Error(`heartbeatTimeout must be a whole number of seconds between 30 seconds and 2 hours, got ${describe(t.heartbeatTimeout)}`);
    }
  }
  if (resolved(t.sweepInterval)) {
    const s = t.sweepInterval.toSeconds({ integral: false });
    if (s < MIN_SWEEP_INTERVAL_SECONDS || s % 60 !== 0) {
      throw new Error(`sweepInterval must be a whole number of minutes, at least 1 minute, got ${describe(t.sweepInterval)}`);
    }
  }
  if (resolved(t.heartbeatTimeout) && resolved(t.sweepInterval)) {
    const min = t.sweepInterval.plus(HEARTBEAT_MARGIN);
    if (t.heartbeatTimeout.toSeconds() < min.toSeconds()) {
      throw new Error(`heartbeatTimeout must be at least sweepInterval + 2 minutes (${min.toSeconds()} seconds), so a heartbeat is always sent before the lifecycle action expires; got ${describe(t.heartbeatTimeout)}`);
    }
  }
  if (resolved(t.drainTimeout)) {
    const s = t.drainTimeout.toSeconds({ integral: false });
    if (s <= 0 || !Number.isInteger(s)) {
      throw new Error(`drainTimeout must be a whole number of seconds, more than 0, got ${describe(t.drainTimeout)}`);
    }
  }
  if (resolved(t.drainTimeout) && resolved(t.sweepInterval)) {
    validateDrainTimeoutLimit(t.drainTimeout, t.sweepInterval, resolved(t.heartbeatTimeout) ? t.heartbeatTimeout : undefined);
  }
  if (props.standaloneTaskGracePeriod !== undefined && t.standaloneTaskPolicy !== StandaloneTaskPolicy.STOP) {
    throw new Error(`standaloneTaskGracePeriod is only used with StandaloneTaskPolicy.STOP, but standaloneTaskPolicy is ${t.standaloneTaskPolicy}`);
  }
  if (t.standaloneTaskPolicy === StandaloneTaskPolicy.STOP && resolved(t.standaloneTaskGracePeriod) && resolved(t.drainTimeout)
    && t.standaloneTaskGracePeriod.toSeconds() >= t.drainTimeout.toSeconds()) {
    const given = props.standaloneTaskGracePeriod !== undefined
      ? describe(t.standaloneTaskGracePeriod)
      : `the default, ${describe(t.standaloneTaskGracePeriod)}`;
    throw new Error(`standaloneTaskGracePeriod (${given}) must be shorter than drainTimeout (${describe(t.drainTimeout)}), or standalone tasks are never stopped`
      + (props.standaloneTaskGracePeriod === undefined ? ': set a shorter standaloneTaskGracePeriod, or a longer drainTimeout' : ''));
  }
  const name = props.lifecycleHookName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9\-_/]{1,255}$/.test(name)) {
    throw new Error(`lifecycleHookName must be 1 to 255 letters, digits, '-', '_' or '/', got '${name}'`);
  }
  if (!Token.isUnresolved(metricsNamespace) && !/^[^:$][^$]{0,254}$/.test(metricsNamespace)) {
    throw new Error(`metricsNamespace must be 1 to 255 characters, not start with ':' and contain no '$', got '${metricsNamespace}'`);
  }
  if (!Token.isUnresolved(metricsNamespace) && metricsNamespace.startsWith('AWS/')) {
    throw new Error(`metricsNamespace must not start with 'AWS/', which CloudWatch reserves for AWS services, got '${metricsNamespace}'`);
  }
}

/**
 * drainTimeout is checked only at a sweep or a task event: one shorter than sweepInterval can be overrun by up to one
 * sweepInterval. A token is not compared.
 */
export function warnIfDrainTimeoutBelowSweepInterval(scope: Construct, drainTimeout: Duration, sweepInterval: Duration): void {
  if (!drainTimeout.isUnresolved() && drainTimeout.toSeconds() < sweepInterval.toSeconds()) {
    Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL, `drainTimeout (${drainTimeout.toHumanString()}) is shorter than `
      + `sweepInterval (${sweepInterval.toHumanString()}): the handler checks the timeout only at a sweep or a task event, so a `
      + 'drain whose tasks do not stop can run up to one sweepInterval past drainTimeout. Lower sweepInterval, or raise drainTimeout.');
  }
}
