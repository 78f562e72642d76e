/**
 * Handler configuration, read from environment variables set by the construct (their names and limits are in
 * lib/handler-contract.ts, which the construct uses too).
 */
import {
  DRAIN_TIMEOUT_RESULTS, HandlerEnvironment as E, MAX_HEARTBEAT_TIMEOUT_SECONDS, MAX_LIFECYCLE_ACTION_SECONDS,
  MIN_HEARTBEAT_TIMEOUT_SECONDS, MIN_SWEEP_INTERVAL_SECONDS,
} from '../lib/handler-contract';

export type LifecycleResult = 'CONTINUE' | 'ABANDON';
export type StandalonePolicy = 'WAIT' | 'STOP' | 'IGNORE';
/** lib/task-protection-policy.ts: IGNORE sets DRAINING at once; WAIT leaves the instance ACTIVE while a task is protected. */
export type ProtectionPolicy = 'IGNORE' | 'WAIT';

/** With `DrainTimeoutBehavior.retain()`: drains that reach drainTimeout go on in the group's retained state. */
export interface RetentionConfig {
  /** Seconds after its start a retained drain is overdue: reported at every check until it ends. */
  readonly overdueAfterSeconds: number;
}

/** The longest `overdueAfter` the handler accepts: a year. */
const MAX_OVERDUE_SECONDS = 366 * 86400;

/** The disruption budget: at most `value` drains at once, or `value` % of the group's InService instances. */
export interface DrainBudgetSetting {
  readonly kind: 'COUNT' | 'PERCENT';
  readonly value: number;
}

export interface DrainConfig {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  readonly drainTimeoutSeconds: number;
  readonly heartbeatTimeoutSeconds: number;
  readonly sweepIntervalSeconds: number;
  /** The result sent at drainTimeout (ABANDON with retention). */
  readonly drainTimeoutResult: LifecycleResult;
  /** Set with `DrainTimeoutBehavior.retain()`: the instance is retained at drainTimeout, and its drain goes on. */
  readonly retention?: RetentionConfig;
  readonly standaloneTaskPolicy: StandalonePolicy;
  readonly standaloneTaskGracePeriodSeconds: number;
  readonly taskProtectionPolicy: ProtectionPolicy;
  readonly spotInterruptionDraining: boolean;
  readonly warmPoolReactivation: boolean;
  readonly metricsNamespace: string;
  /** Publish drain events to the default EventBridge bus (docs/events.md). */
  readonly drainEvents: boolean;
  /** The disruption budget (`maxConcurrentDrains`); undefined when there is none (every drain starts at once). */
  readonly drainBudget?: DrainBudgetSetting;
}

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value.trim();
}

function seconds(env: Env, name: string, min: number, max: number): number {
  const raw = required(env, name);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`environment variable ${name} must be a whole number of seconds from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T {
  const raw = required(env, name);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigurationError(`environment variable ${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function flag(env: Env, name: string): boolean {
  return oneOf(env, name, ['true', 'false'] as const) === 'true';
}

/** `MAX_CONCURRENT_DRAINS`: unset (no budget), `<n>` (n ≥ 1) or `<n>%` (1 to 100). */
function budget(env: Env): DrainBudgetSetting | undefined {
  const raw = env[E.MAX_CONCURRENT_DRAINS];
  if (raw === undefined || raw.trim() === '') return undefined;
  const match = /^(\d{1,9})(%?)$/.exec(raw.trim());
  const value = match ? Number(match[1]) : NaN;
  if (match && match[2] === '' && value >= 1) return { kind: 'COUNT', value };
  if (match && match[2] === '%' && value >= 1 && value <= 100) return { kind: 'PERCENT', value };
  throw new ConfigurationError(`environment variable ${E.MAX_CONCURRENT_DRAINS} must be a whole number of instances, at least 1, `
    + `or a percentage from 1% to 100%, got '${raw}'`);
}

export function loadConfig(env: Env): DrainConfig {
  const heartbeatTimeoutSeconds = seconds(env, E.HEARTBEAT_TIMEOUT_SECONDS, MIN_HEARTBEAT_TIMEOUT_SECONDS, MAX_HEARTBEAT_TIMEOUT_SECONDS);
  const drainTimeoutResult = oneOf(env, E.DRAIN_TIMEOUT_RESULT, DRAIN_TIMEOUT_RESULTS);
  const config: DrainConfig = {
    clusterName: required(env, E.CLUSTER_NAME),
    clusterArn: required(env, E.CLUSTER_ARN),
    autoScalingGroupName: required(env, E.AUTO_SCALING_GROUP_NAME),
    lifecycleHookName: required(env, E.LIFECYCLE_HOOK_NAME),
    drainTimeoutSeconds: seconds(env, E.DRAIN_TIMEOUT_SECONDS, 0, MAX_LIFECYCLE_ACTION_SECONDS),
    heartbeatTimeoutSeconds,
    sweepIntervalSeconds: seconds(env, E.SWEEP_INTERVAL_SECONDS, MIN_SWEEP_INTERVAL_SECONDS, 86400),
    drainTimeoutResult: drainTimeoutResult === 'RETAIN' ? 'ABANDON' : drainTimeoutResult,
    ...(drainTimeoutResult === 'RETAIN'
      ? { retention: { overdueAfterSeconds: seconds(env, E.RETAINED_DRAIN_OVERDUE_SECONDS, 60, MAX_OVERDUE_SECONDS) } }
      : {}),
    standaloneTaskPolicy: oneOf(env, E.STANDALONE_TASK_POLICY, ['WAIT', 'STOP', 'IGNORE'] as const),
    standaloneTaskGracePeriodSeconds: seconds(env, E.STANDALONE_TASK_GRACE_PERIOD_SECONDS, 0, MAX_LIFECYCLE_ACTION_SECONDS),
    taskProtectionPolicy: oneOf(env, E.TASK_PROTECTION_POLICY, ['IGNORE', 'WAIT'] as const),
    spotInterruptionDraining: flag(env, E.SPOT_INTERRUPTION_DRAINING),
    warmPoolReactivation: flag(env, E.WARM_POOL_REACTIVATION),
    metricsNamespace: required(env, E.METRICS_NAMESPACE),
    drainEvents: flag(env, E.DRAIN_EVENTS),
  };
  const drainBudget = budget(env);
  return drainBudget ? { ...config, drainBudget } : config;
}
